"""The pytorch-accelerated trainer, the one inner-split search, and training recipes."""
