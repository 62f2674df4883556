"""Initial weights, as the course draws them: ``np.random.seed(3)`` then one ``randn`` per layer.

``np.random.RandomState(3)`` gives the same numbers as ``np.random.seed(3); np.random.randn``
without touching NumPy's global generator. Biases are always zeros.
"""

import numpy as np

SEED = 3


# method -> W^[l] from (generator, n_l, n_{l-1}); the arithmetic is written as the course writes it.
METHODS = {
    "zeros": lambda rng, n_l, n_prev: np.zeros((n_l, n_prev)),            # fails to break symmetry
    "random": lambda rng, n_l, n_prev: rng.randn(n_l, n_prev) * 10,         # too large: cost starts at inf
    "he": lambda rng, n_l, n_prev: rng.randn(n_l, n_prev) * np.sqrt(2. / n_prev),  # He et al. 2015 (ReLU)
    "xavier": lambda rng, n_l, n_prev: rng.randn(n_l, n_prev) / np.sqrt(n_prev),   # reg_utils' initializer
}


def initialize_parameters(layers_dims, method="he", seed=SEED):
    """{"W1": [n_1, n_0], "b1": [n_1, 1], ..., "WL": [n_L, n_{L-1}], "bL": [n_L, 1]}, float64."""
    if method not in METHODS:
        raise ValueError(f"unknown initialization {method!r} (choose from {', '.join(METHODS)})")
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters[f"W{l}"] = METHODS[method](rng, layers_dims[l], layers_dims[l - 1])
        parameters[f"b{l}"] = np.zeros((layers_dims[l], 1))
    return parameters


def num_layers(parameters):
    """L, the number of (W, b) pairs."""
    return len(parameters) // 2
