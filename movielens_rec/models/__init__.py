"""Pure `nn.Module` rating models (no I/O): matrix factorisation in `models.mf`, the Behaviour Sequence Transformer in `models.bst`."""
