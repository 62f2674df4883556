"""Learning-rate decay, as the course's lecture and its update_lr / schedule_lr_decay write it.

Each schedule maps (alpha0, epoch_num, rate) to alpha. As in the course's ``model()``, the rate is
updated *after* epoch i with epoch_num = i (so epoch 0 and epoch 1 both run at alpha0).
"""

import numpy as np

TIME_INTERVAL = 1000  # schedule_lr_decay: the rate only changes every 1000 epochs


def update_lr(learning_rate0, epoch_num, decay_rate):
    """1 / (1 + decay_rate * epoch_num) * alpha0 (the course's exercise 7)."""
    return 1 / (1 + decay_rate * epoch_num) * learning_rate0


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=TIME_INTERVAL):
    """update_lr in steps: 1 / (1 + decay_rate * floor(epoch_num / time_interval)) * alpha0."""
    return 1 / (1 + decay_rate * np.floor(epoch_num / time_interval)) * learning_rate0


def exponential_decay(learning_rate0, epoch_num, base):
    """base^epoch_num * alpha0 (the lecture's 0.95^epoch_num * alpha0)."""
    return base ** epoch_num * learning_rate0


def inverse_sqrt_decay(learning_rate0, epoch_num, k):
    """k / sqrt(epoch_num + 1) * alpha0: the lecture's k / sqrt(epoch_num), counting epochs from 1."""
    return k / np.sqrt(epoch_num + 1) * learning_rate0


SCHEDULES = {
    "inverse-time": update_lr,
    "scheduled": schedule_lr_decay,
    "exponential": exponential_decay,
    "inverse-sqrt": inverse_sqrt_decay,
}


def learning_rate_after(variant, epoch_num):
    """The rate to use after epoch ``epoch_num`` (variant.learning_rate if it does not decay)."""
    if variant.decay is None:
        return variant.learning_rate
    return float(SCHEDULES[variant.decay](variant.learning_rate, epoch_num, variant.decay_rate))
