"""Week 3's hyperparameter search on Ray (``tf1-course tune``).

- :mod:`.search_space`  random values, not a grid (log scales, powers of two, coarse to fine)
- :mod:`.trials`        SIGNS trainings as Ray Tune trials: the data through the object store, the
                        checkpoints through Tune's storage (no disk shared with the nodes)
- :mod:`.study`         the study folder: results, plots, the best run
- :mod:`.hparams`       the study in TensorBoard's HParams view (written by the driver)
- :mod:`.cli`           the command

May import core, data and the SIGNS model (a trial is ``signs.training.train``).
"""
