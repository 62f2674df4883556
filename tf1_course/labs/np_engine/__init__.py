"""The NumPy engine: the course's from-scratch implementation for any ``layers_dims``."""
