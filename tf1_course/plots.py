"""Plots saved as PNG (never shown: these run headless). Every save is atomic."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tf1_course.fileio import atomic_path  # noqa: E402


def save_figure(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def cost_curve(costs, path, title, xlabel="epoch", labels=None):
    """One or more cost curves. ``costs``: a sequence of floats, or {label: sequence}."""
    series = costs if isinstance(costs, dict) else {labels or "cost": costs}
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    if len(series) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def confusion_matrix(matrix, path, title, class_names):
    """A [C, C] count matrix (rows: true class, columns: predicted) as an annotated heat map."""
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names)
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > threshold else "black")
    save_figure(fig, path)
