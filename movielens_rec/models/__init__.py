"""Every model (pure `nn.Module`s and fitted baselines, no file reading) and the saved-model contract."""
