"""The course's TensorFlow model: the 3-layer SIGNS hand-sign classifier and its runs.

- :mod:`.settings`   ``TrainConfig``: a run's hyperparameters, checked, resumed, saved
- :mod:`.model`      the graph (placeholders, parameters, forward, cost, Adam); runs nothing
- :mod:`.loops`      how one epoch of mini-batches is fed (the course's loop, the fast loop)
- :mod:`.rundir`     the run folder and every name in it
- :mod:`.training`   training in named steps (prepare, build, restore or init, epochs, finish)
- :mod:`.devset`     a dev set: its files, evaluations, the best checkpoint, early stopping
- :mod:`.summaries`  a run's TensorBoard (scalars, the misclassified photos)
- :mod:`.gallery`    the misclassified photos, grouped by true sign (evaluate --gallery)
- :mod:`.inference`  a trained run restored: probabilities for photos
- :mod:`.evaluation` scoring a run: accuracy per class, the confusion matrix (evaluate's library)
- :mod:`.train`, :mod:`.evaluate`, :mod:`.predict`   the commands
- :mod:`.doctor`     the command ``tf1-course doctor``: what this machine has for training

May import :mod:`tf1_course.core` and :mod:`tf1_course.data`; never the labs, tuning or the
reproduction (they build on it).
"""
