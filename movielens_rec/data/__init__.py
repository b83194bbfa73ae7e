"""Reading, checking, splitting and encoding MovieLens ratings, and laying them out as tensors."""
