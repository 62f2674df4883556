"""The course's labs (initialization, regularization, gradient checking, optimization) twice.

``np_engine`` writes forward, backward and every update out in NumPy, the way the course teaches;
``tf_engine`` builds the same network as a TF1 graph (placeholders, variables, ``tf.gradients`` and
``tf.train``, Sessions). The two packages have the same module names, so the Adam update is in
``np_engine/optimizers.py`` and ``tf_engine/optimizers.py``. The TF engine starts from the NumPy
engine's initial arrays in float64, so the two check each other: same weights in, same costs out.

Neither engine imports the other: what the course fixes for both (gradient-check constants, θ's
layout, the dropout masks, mini-batch seeds, learning-rate schedules) is in ``course.py``, and the
``model()`` loop around an engine's step is ``training_loop.py``. ``config.py`` holds a variant:
the course's ``Hyperparameters``, the TF engine's ``TFOptions`` and the report's fields.
``lab_*.py`` define each lab's data and variants; ``runner.py`` runs a variant on the engines and
reports; ``cli.py`` is ``tf1-course lab NAME``.
"""

import importlib

# Each lab's module, by the name ``tf1-course lab NAME`` and reproduce use.
LABS = {
    "init": "tf1_course.labs.lab_init",
    "regularization": "tf1_course.labs.lab_regularization",
    "gradcheck": "tf1_course.labs.lab_gradcheck",
    "optimization": "tf1_course.labs.lab_optimization",
    "batchnorm": "tf1_course.labs.lab_batchnorm",
}


def lab(name):
    """The module of lab ``name`` (imported now: some load TensorFlow only when they run)."""
    return importlib.import_module(LABS[name])

