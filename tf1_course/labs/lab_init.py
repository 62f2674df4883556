"""Initialization lab (``tf1-course lab init``): zeros, large random and He initial weights.

make_circles: 300 training points (seed 1), 100 test points (seed 2). Network [2, 10, 5, 1],
learning rate 0.01, 15000 full-batch gradient-descent iterations, a cost line every 1000.
"""

from tf1_course.core import course_numbers
from tf1_course.labs import data2d
from tf1_course.labs.config import Hyperparameters, Variant

NAME = "init"
LIMITS = ((-1.5, 1.5), (-1.5, 1.5))  # the course's plot window
COURSE = course_numbers.INIT


def load_data():
    return data2d.load_circles()


def variants():
    hyper = Hyperparameters(layers_dims=(2, 10, 5, 1), init="he", learning_rate=0.01, num_steps=15000)
    base = Variant(name="he", title="Model with He initialization", hyper=hyper, print_every=1000,
                   record_every=1000)
    return [
        base.replace(name="zeros", title="Model with Zeros initialization", init="zeros"),
        base.replace(name="random", title="Model with large random initialization", init="random"),
        base,
    ]
