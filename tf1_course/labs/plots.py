"""The labs' figures, saved with tf1_course.core.plots (Agg backend, atomic PNG writes).

    variant_figure   cost curve + decision boundary of one variant on one engine
    comparison       several cost curves in one plot (the optimization lab's comparison)
    gradient_figure  |grad - gradapprox| per parameter for a gradient check
"""

import numpy as np

from tf1_course.core.plots import plt, save_figure

GRID_STEP = 0.01  # the course's plot_decision_boundary resolution


def grid(limits, h=GRID_STEP):
    """(xx, yy, points float64 [2, G]) covering ``limits`` = ((x_min, x_max), (y_min, y_max))."""
    (x0, x1), (y0, y1) = limits
    xx, yy = np.meshgrid(np.arange(x0, x1, h), np.arange(y0, y1, h))
    return xx, yy, np.c_[xx.ravel(), yy.ravel()].T


def decision_boundary(ax, xx, yy, grid_predictions, X, Y, title):
    """Filled regions of the 0/1 predictions on the grid, the examples on top (course colours)."""
    ax.contourf(xx, yy, np.asarray(grid_predictions).reshape(xx.shape), cmap=plt.cm.Spectral)
    ax.scatter(X[0, :], X[1, :], c=Y[0, :], s=12, cmap=plt.cm.Spectral, edgecolors="k", linewidths=0.3)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title(title)


def variant_figure(path, title, costs, unit, learning_rate, X, Y, xx, yy, grid_predictions):
    """One PNG: the cost at every step (left) and the decision boundary over the training set (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    costs = np.asarray(costs, dtype=float)
    left.plot(np.arange(len(costs)), np.where(np.isfinite(costs), costs, np.nan))
    left.set_xlabel(f"{unit}s")
    left.set_ylabel("cost")
    left.set_title(f"Learning rate = {learning_rate}")
    left.grid(alpha=0.3)
    decision_boundary(right, xx, yy, grid_predictions, X, Y, title)
    save_figure(fig, path)


def comparison(path, curves, title, xlabel):
    """Several cost curves {label: (steps, costs)} in one PNG (log-scale cost)."""
    fig, ax = plt.subplots(figsize=(10, 5))
    for i, (label, (steps, costs)) in enumerate(curves.items()):
        costs = np.asarray(costs, dtype=float)
        ax.plot(steps, np.where(np.isfinite(costs), costs, np.nan), label=label, linewidth=1.2,
                color=plt.cm.tab20(i % 20), linestyle="--" if label.startswith("builtin") else "-")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    save_figure(fig, path)


def gradient_figure(path, title, grad, gradapprox, keys):
    """|grad - gradapprox| for each entry of θ (log scale), coloured by the parameter it belongs to."""
    diff = np.abs(np.ravel(grad) - np.ravel(gradapprox))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    names = list(dict.fromkeys(keys))
    for name in names:
        index = [i for i, k in enumerate(keys) if k == name]
        ax.bar(index, np.maximum(diff[index], 1e-18), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("entry of θ (W1 b1 W2 b2 W3 b3)")
    ax.set_ylabel("|grad - gradapprox|")
    ax.set_title(title)
    ax.legend(ncol=len(names), fontsize=8)
    save_figure(fig, path)
