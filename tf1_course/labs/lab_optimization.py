"""Optimization lab (``tf1-course lab optimization``): mini-batch GD, momentum, RMSprop, Adam and more.

make_moons: 300 points (seed 3), train only. Network [2, 5, 2, 1], He weights (seed 3), mini-batches
of 64 reshuffled each epoch (seed 10 + epoch + 1), learning rate 0.0007, 10000 epochs, a cost line
every 1000 epochs. Beyond the lab, as the lectures teach: RMSprop, batch vs stochastic gradient
descent, and learning-rate decay (the 2021 notebook's runs: 5000 epochs, alpha0 0.1 or 0.01).
The ``builtin-*`` variants use tf.train's optimizer (TF engine only) and are measured against the
course's rule.
"""

from tf1_course.core import course_numbers
from tf1_course.labs import data2d
from tf1_course.labs.config import Hyperparameters, Variant

NAME = "optimization"
LIMITS = ((-1.5, 2.5), (-1.0, 1.5))
COURSE = course_numbers.merge(course_numbers.OPTIMIZATION_2017, course_numbers.OPTIMIZATION_2021)
SGD_EPOCHS = 1000  # one update per example: 300 updates per epoch


def load_data():
    return data2d.load_moons()


def variants():
    hyper = Hyperparameters(layers_dims=(2, 5, 2, 1), init="he", learning_rate=0.0007, num_steps=10000,
                            minibatch_size=64, first_seed=10)
    gd = Variant(name="gd", title="Model with Gradient Descent optimization", hyper=hyper, print_every=1000,
                 record_every=100)
    momentum = gd.replace(name="momentum", title="Model with Momentum optimization", optimizer="momentum")
    rmsprop = gd.replace(name="rmsprop", title="Model with RMSprop optimization", optimizer="rmsprop")
    adam = gd.replace(name="adam", title="Model with Adam optimization", optimizer="adam")
    tf_only = dict(builtin=True, engines=("tf",))
    decay = dict(learning_rate=0.1, num_steps=5000)
    return [
        gd, momentum, rmsprop, adam,
        momentum.replace(name="builtin-momentum", title="tf.train.MomentumOptimizer",
                         reference="momentum", **tf_only),
        momentum.replace(name="builtin-momentum-scaled", title="tf.train.MomentumOptimizer, lr * (1 - beta)",
                         learning_rate=gd.hyper.learning_rate * (1 - momentum.hyper.beta),
                         reference="momentum", **tf_only),
        rmsprop.replace(name="builtin-rmsprop", title="tf.train.RMSPropOptimizer", reference="rmsprop",
                        **tf_only),
        adam.replace(name="builtin-adam", title="tf.train.AdamOptimizer", reference="adam", **tf_only),
        gd.replace(name="batch-gd", title="Batch gradient descent (mini-batch = 300)", minibatch_size=300),
        gd.replace(name="sgd", title="Stochastic gradient descent (mini-batch = 1)", minibatch_size=1,
                   num_steps=SGD_EPOCHS, print_every=100),
        gd.replace(name="gd-decay", title="GD, lr = 1 / (1 + epoch) * 0.1", decay="inverse-time", **decay),
        gd.replace(name="gd-scheduled", title="GD, lr = 1 / (1 + floor(epoch / 1000)) * 0.1",
                   decay="scheduled", **decay),
        momentum.replace(name="momentum-scheduled", title="Momentum, scheduled decay from 0.1",
                         decay="scheduled", **decay),
        adam.replace(name="adam-scheduled", title="Adam, scheduled decay from 0.01", decay="scheduled",
                     learning_rate=0.01, num_steps=5000),
        gd.replace(name="gd-exponential", title="GD, lr = 0.95^epoch * 0.1", decay="exponential",
                   decay_rate=0.95, **decay),
        gd.replace(name="gd-inverse-sqrt", title="GD, lr = 1 / sqrt(epoch + 1) * 0.1", decay="inverse-sqrt",
                   decay_rate=1.0, **decay),
    ]
