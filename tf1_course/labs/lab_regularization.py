"""Regularization lab (``tf1-course lab regularization``): baseline, L2 and dropout.

The French football data (train 211 points, test 200). Network [2, 20, 3, 1], weights
randn / sqrt(n_{l-1}) with seed 3, learning rate 0.3, 30000 iterations, a cost line every 10000.
``nn-dropout`` is TensorFlow's own dropout (tf.nn.dropout, keep-prob placeholder), TF engine only.
"""

from tf1_course.core import course_numbers
from tf1_course.labs import data2d
from tf1_course.labs.config import Hyperparameters, Variant

NAME = "regularization"
LIMITS = ((-0.75, 0.40), (-0.75, 0.65))
COURSE = course_numbers.REGULARIZATION


def load_data():
    return data2d.load_football()


def variants():
    hyper = Hyperparameters(layers_dims=(2, 20, 3, 1), init="xavier", learning_rate=0.3, num_steps=30000)
    base = Variant(name="baseline", title="Model without regularization", hyper=hyper, print_every=10000,
                   record_every=1000)
    dropout = base.replace(name="dropout", title="Model with dropout", keep_prob=0.86)
    return [
        base,
        base.replace(name="l2", title="Model with L2-regularization", lambd=0.7),
        dropout,
        dropout.replace(name="nn-dropout", title="Model with tf.nn.dropout", dropout="tf-nn",
                        engines=("tf",), reference="dropout"),
    ]
