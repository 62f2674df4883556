"""What every concept shares; imports nothing else from tf1_course.

- :mod:`.compat`         the one TensorFlow import (``tf.compat.v1``, v2 behaviour off)
- :mod:`.device`         ``--device cpu|gpu|auto`` and each Session's configuration (threads, GPU)
- :mod:`.errors`         the errors a user can cause (one line, exit code 2)
- :mod:`.fileio`         atomic writes, JSON, sha256, folder locks
- :mod:`.command`        every command's parser and ``main()`` body, shared argument types
- :mod:`.interrupt`      Ctrl-C and SIGTERM alike: finish the epoch, save, exit 130 / 143
- :mod:`.cluster`        Ray: a local instance for one command (its own temporary folder), or ``--address``
- :mod:`.progress`, :mod:`.plots`   progress bars and lines, PNGs
- :mod:`.minibatches`    the course's ``random_mini_batches`` (the labs and the SIGNS model)
- :mod:`.batch_norm`     batch norm as graph ops (the labs and the SIGNS model)
- :mod:`.schedules`      Week 2's learning-rate decay, as floats and as graph ops (the labs and the SIGNS model)
- :mod:`.course_numbers` every number the course prints
"""
