"""Pure `nn.Module` rating models (no I/O): matrix factorisation in `models.mf`."""
