"""tf1-course: deeplearning.ai Course 2 ("Improving Deep Neural Networks") in TF1 graph mode.

Importing the package is cheap; TensorFlow is imported only by modules that build graphs,
always through :mod:`tf1_course.core.compat`.
"""

__version__ = "0.1.0"
