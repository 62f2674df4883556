"""Plots saved as PNG (never shown: these run headless). Every save is atomic."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tf1_course.core.fileio import atomic_path  # noqa: E402


def save_figure(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def cost_curve(costs, path, title, xlabel="epoch", labels=None, points=None):
    """One or more cost curves. ``costs``: a sequence of floats, or {label: sequence}.

    ``points``: {label: {step: cost}} drawn as markers over the curves (the course's printed costs).
    """
    series = costs if isinstance(costs, dict) else {labels or ("ours" if points else "cost"): costs}
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=label)
    longest = max((len(v) for v in series.values()), default=0)
    for (label, marks), marker in zip((points or {}).items(), "ox^s"):
        shown = {s: c for s, c in marks.items() if s < longest}
        if shown:
            ax.plot(list(shown), list(shown.values()), marker, fillstyle="none", linestyle="none", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    if len(series) > 1 or points:
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


STATUS_STYLE = {  # how each trial status is drawn: collapsed and diverged trials shown, not hidden
    "finished": dict(marker="o", color="tab:blue"),
    "stopped": dict(marker="s", color="tab:gray"),
    "collapsed": dict(marker="x", color="tab:red"),
    "diverged": dict(marker="X", color="tab:purple"),
    "error": dict(marker="^", color="black"),
}


def scatter_by_status(points, path, title, xlabel, ylabel, log_x=False, chance=None):
    """[(x, y, status)]: one marker style per status; y None (no score) is drawn at 0."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for status, style in STATUS_STYLE.items():
        xs = [x for x, _, s in points if s == status]
        ys = [0.0 if y is None else y for _, y, s in points if s == status]
        if xs:
            ax.scatter(xs, ys, label=f"{status} ({len(xs)})", **style)
    if chance is not None:
        ax.axhline(chance, color="tab:red", linestyle=":", linewidth=1, label="chance (1/6)")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def curves(costs, accuracies, path, title):
    """Two panels side by side: {label: cost per epoch}, {label: accuracy per epoch}."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, values in costs.items():
        left.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=label)
    for label, values in accuracies.items():
        right.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=label)
    left.set_xlabel("epoch")
    left.set_ylabel("cost")
    right.set_xlabel("epoch")
    right.set_ylabel("dev accuracy")
    left.legend(fontsize=8)
    fig.suptitle(title)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    save_figure(fig, path)


def spread(values, course, path, title, labels=None, collapsed=None, titles=None):
    """One panel per quantity: our runs as points, the course's values as lines.

    ``values``: {quantity: [our runs]}; ``course``: {quantity: {edition: value}}; ``labels``: one
    name per run (the x axis: each run has its column, e.g. "o1s1" = data order 1, seed 1);
    ``collapsed``: one bool per run, drawn as a red x apart from the runs that learned; ``titles``:
    {quantity: panel title} (default the quantity's name). The legend
    sits below the panels, never on a point.
    """
    n = len(next(iter(values.values()), []))
    labels = labels or [str(k) for k in range(n)]
    collapsed = collapsed or [False] * n
    x = np.arange(n)
    fig, axes = plt.subplots(1, len(values), figsize=(4.6 * len(values), 4.2))
    for ax, (key, vals) in zip(np.atleast_1d(axes), values.items()):
        vals = np.asarray(vals, dtype=float)
        dead = np.asarray(collapsed, dtype=bool)
        ax.scatter(x[~dead], vals[~dead], color="tab:blue", zorder=3, label="our runs that learned")
        if dead.any():
            ax.scatter(x[dead], vals[dead], color="tab:red", marker="x", s=60, zorder=3,
                       label="our runs that collapsed to one class")
        for (edition, v), style in zip(course.get(key, {}).items(), ("--", ":")):
            ax.axhline(v, color="tab:green", linestyle=style, label=f"course ({edition})")
        ax.set_xticks(x, labels, rotation=60, fontsize=7)
        ax.set_xlim(-0.7, n - 0.3)
        ax.set_xlabel("run: data order (o) and initial seed (s)", fontsize=8)
        shown = " / ".join(f"{v:.4g}" for v in course.get(key, {}).values())
        ax.set_title((titles or {}).get(key, key.replace("_", " ")) + (f"\n(course: {shown})" if shown else ""),
                     fontsize=10)
        ax.grid(alpha=0.3)
    handles, names = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    save_figure(fig, path)


def figure_png(fig, dpi=100, tight=True):
    """The figure as PNG bytes (for TensorBoard's image summaries); the figure is closed."""
    import io

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return out.getvalue()


def photo_groups(groups, title, columns=10, note=None, scale=2):
    """Labelled photos in groups, each group starting a row (wrapping after ``columns``), as one
    figure at 100 dpi (save it with :func:`figure_png`, ``tight=False``).

    ``groups``: [(group label, [(image [h, w, 3] uint8, or float in [0, 1], caption)])], the empty
    ones left out; the label is written left of the group's first row. The photos are pasted into
    one picture (each ``scale`` times its size) drawn with a single imshow: a hundred photos take
    a fraction of a second, where a subplot each takes seconds.
    """
    rows = [(label if k == 0 else None, photos[k:k + columns])
            for label, photos in groups if photos for k in range(0, len(photos), columns)]
    size = (next((p[0][0].shape[0] for _, p in rows), 64)) * scale
    cell_w, cell_h, left, top = size + 10, size + 24, 100, 50 if note else 34
    width = left + cell_w * max((len(photos) for _, photos in rows), default=1)
    height = top + cell_h * max(len(rows), 1)
    canvas = np.ones((height, width, 3))
    for r, (_, photos) in enumerate(rows):
        for c, (image, _) in enumerate(photos):
            image = np.asarray(image, dtype=float) / (255 if np.asarray(image).dtype == np.uint8 else 1)
            y, x = top + r * cell_h + 16, left + c * cell_w + 5
            canvas[y:y + size, x:x + size] = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(canvas, interpolation="nearest")
    ax.axis("off")
    small = 8 if scale >= 2 else 6.5
    for r, (label, photos) in enumerate(rows):
        y = top + r * cell_h
        for c, (_, caption) in enumerate(photos):
            ax.text(left + c * cell_w + cell_w / 2, y + 13, caption, ha="center", va="bottom", fontsize=small)
        if label:
            ax.text(left - 8, y + 16 + size / 2, label, ha="right", va="center", fontsize=small + 1, fontweight="bold")
    ax.text(width / 2, 6, title + (f"\n{note}" if note else ""), ha="center", va="top", fontsize=small + 2)
    return fig
