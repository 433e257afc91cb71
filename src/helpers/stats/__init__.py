"""The numerical core: design matrices and model-fitting numerics (no pandas beyond the design step)."""
