"""Where the model is wrong: every misclassified photo, grouped by its true sign.

    misclassified(probabilities, labels) -> [Miss]   probabilities float [6, m], labels int [m]
    render(images, misses, title, path=None) -> PNG bytes (written atomically to ``path`` too)

``evaluate --gallery`` writes the test set's as misclassified.png in the run; training puts the
same picture in TensorBoard (tag ``misclassified/test``) when a run finishes.
"""

from collections import namedtuple

import numpy as np

from tf1_course.signs.inference import CLASS_NAMES

# one wrong photo: its column in the data set, its true sign, the sign predicted and that sign's probability
Miss = namedtuple("Miss", ["index", "true", "predicted", "probability"])


def misclassified(probabilities, labels):
    """[Miss] for every column whose argmax is not its label, by true sign, then by column."""
    probabilities = np.asarray(probabilities)
    predicted = np.argmax(probabilities, axis=0)
    wrong = np.flatnonzero(predicted != np.asarray(labels))
    misses = [Miss(int(j), int(labels[j]), int(predicted[j]), float(probabilities[predicted[j], j])) for j in wrong]
    return sorted(misses, key=lambda miss: (miss.true, miss.index))


def images_of(X):
    """X float [12288, m] in [0, 1] (the model's input) -> images float [m, 64, 64, 3]."""
    return np.asarray(X).T.reshape(-1, 64, 64, 3)


def render(images, misses, title, path=None, total=None, scale=2):
    """A grid of the misclassified ``images`` ([m, 64, 64, 3]), a row per true sign, each photo
    captioned with the sign predicted and its probability. Returns the PNG's bytes."""
    from tf1_course.core import plots  # matplotlib: only when a picture is drawn

    total = len(images) if total is None else total
    groups = []
    for sign in range(len(CLASS_NAMES)):
        mine = [m for m in misses if m.true == sign]
        groups.append((f"true {sign}\n({len(mine)} wrong)",
                       [(images[m.index], f"as {m.predicted} ({m.probability:.2f})") for m in mine]))
    perfect = [str(sign) for sign, (_, photos) in enumerate(groups) if not photos]
    note = "a row per true sign; under each photo: \"as\" the sign predicted (its probability)"
    if perfect and misses:
        note += f"; no mistake on sign {', '.join(perfect)}"
    heading = f"{title}: {len(misses)} of {total} photos misclassified"
    if not misses:
        heading = f"{title}: no photo misclassified (of {total})"
    png = plots.figure_png(plots.photo_groups(groups, heading, note=note, scale=scale), tight=False)
    if path is not None:
        from tf1_course.core.fileio import atomic_path

        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(png)
    return png
