"""Every number the course prints, ours beside it (``tf1-course reproduce``).

- :mod:`.report`  verdicts (exact, within float rounding, differs) and REPORT.md
- :mod:`.cli`     the command: TF basics, every lab on both engines, the SIGNS runs on Ray

The top of the package: may import every concept (core, data, signs, labs, tuning).
"""
