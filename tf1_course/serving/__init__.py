"""The trained SIGNS model served: a TF1 SavedModel for serving systems, a local web page for people.

- :mod:`.savedmodel`  the export graph (uint8 images in, probabilities and classes out), writing a
                      numbered version folder, finding and loading the newest one
- :mod:`.models`      what the server runs: a run (restored by :mod:`tf1_course.signs.inference`) or
                      a SavedModel folder, behind one ``probabilities(images)``
- :mod:`.app`         the FastAPI app: the page (``static/``), ``POST /api/predict``, ``GET /healthz``
- :mod:`.export`, :mod:`.serve`   the commands

May import :mod:`tf1_course.core`, :mod:`tf1_course.data` and :mod:`tf1_course.signs`; nothing
imports it but the dispatcher. A photo becomes the model's 64x64 in
:func:`tf1_course.data.images.read_image`, the function ``predict`` and the data set use.
"""
