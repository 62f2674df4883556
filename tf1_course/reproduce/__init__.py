"""Every number the course prints, ours beside it (``tf1-course reproduce``).

- :mod:`.plan`      what runs (the tasks and their estimates) and how results become rows
- :mod:`.work`      the tasks, runnable on any Ray node (data in, values out; no shared disk)
- :mod:`.schedule`  the tasks on Ray, the longest first; the profile (--profile)
- :mod:`.report`    verdicts (exact, within float rounding, differs) and REPORT.md
- :mod:`.cli`       the command: TF basics, every lab on both engines, the SIGNS runs

The top of the package: may import every concept (core, data, signs, labs, tuning).
"""
