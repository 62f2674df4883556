"""Parameter updates in the graph: the course's rules as assign ops, or TensorFlow's own optimizers.

``course_update`` writes the same formulas as np_engine.optimizers with ``assign`` ops and
non-trainable slot variables (v, s, t). ``builtin_update`` uses ``tf.train``'s optimizer, which is
not always the course's formula:

    tf.train.MomentumOptimizer(lr, beta)   accum = beta * accum + g;  W -= lr * accum
        no (1 - beta): the same trajectory as the course's with lr * (1 - beta) (up to rounding),
        otherwise steps 1 / (1 - beta) = 10x larger.
    tf.train.AdamOptimizer(lr, b1, b2, eps)   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)
        W -= lr_t * m / (sqrt(v) + eps): eps is added to the uncorrected sqrt(v), i.e. the course's
        formula with eps / sqrt(1 - b2^t) in place of eps (31.6 eps at t = 1, eps as t grows).
    tf.train.RMSPropOptimizer(lr, decay, 0, eps)   ms starts at 1 (not 0); W -= lr * g / sqrt(ms + eps).

Both return a train op that waits for every gradient and every fetched cost: the graph's variables
are TF1 reference variables, whose reads are not ordered against assigns unless we say so.

Both also work inside a ``tf.while_loop`` body (the fused loop, ``train.py``): the variables they
make (slots, Adam's t and beta powers) and the constants those start from are made in
``tf.init_scope()``, outside the loop, since a variable cannot start from a value computed in a loop.
"""

from tf1_course.core.compat import tf
from tf1_course.labs.config import TFOptions


def wait_for(tensors, grads):
    """The gradients again, but usable only once every tensor in ``tensors`` and ``grads`` is computed."""
    with tf.control_dependencies(list(tensors) + list(grads)):
        return [tf.identity(g) for g in grads]


def _state(name, initial):
    """A non-trainable float64 variable starting at ``initial`` (made outside any loop)."""
    with tf.init_scope():
        return tf.get_variable(name, initializer=tf.constant(initial, tf.float64), trainable=False)


def _slot(name, like):
    """A non-trainable float64 variable of zeros shaped like the variable ``like``."""
    with tf.init_scope():
        return tf.get_variable(name, initializer=tf.zeros(like.shape, dtype=tf.float64), trainable=False)


def course_update(hyper, parameters, grads, learning_rate):
    """The course's update of every parameter as assign ops. Returns the grouped train op."""
    updates = []
    t = None
    if hyper.optimizer == "adam":
        t = _state("adam_t", 0.).assign_add(1.)  # mini-batches seen, counted from 1
    for (name, W), g in zip(parameters.items(), grads):
        if hyper.optimizer == "gd":
            step = learning_rate * g
        elif hyper.optimizer == "momentum":
            v = _slot(f"v_d{name}", W)
            v = v.assign(hyper.beta * v + (1 - hyper.beta) * g)
            step = learning_rate * v
        elif hyper.optimizer == "rmsprop":
            s = _slot(f"s_d{name}", W)
            s = s.assign(hyper.beta * s + (1 - hyper.beta) * tf.square(g))
            step = learning_rate * g / (tf.sqrt(s) + hyper.epsilon)
        elif hyper.optimizer == "adam":
            v, s = _slot(f"v_d{name}", W), _slot(f"s_d{name}", W)
            v = v.assign(hyper.beta1 * v + (1 - hyper.beta1) * g)
            v_corrected = v / (1 - tf.pow(tf.constant(hyper.beta1, tf.float64), t))
            s = s.assign(hyper.beta2 * s + (1 - hyper.beta2) * tf.square(g))
            s_corrected = s / (1 - tf.pow(tf.constant(hyper.beta2, tf.float64), t))
            step = learning_rate * v_corrected / (tf.sqrt(s_corrected) + hyper.epsilon)
        else:
            raise ValueError(f"unknown optimizer {hyper.optimizer!r}")
        updates.append(W.assign_sub(step))
    return tf.group(*updates, name="course_update")


def builtin_optimizer(hyper, learning_rate, float64=True):
    """TensorFlow's own optimizer for ``hyper.optimizer``, with the course's hyperparameters.

    The hyperparameters go in as float64 tensors: given Python floats, tf.train's optimizers make
    float32 tensors of them and cast those to the variables' float64 (momentum 0.9 becomes
    0.8999999762), which would blur the comparison with the course's formulas.
    ``float64=False`` (TFOptions.float64_hyperparameters) passes the Python floats, to measure that effect.
    """
    f64 = _float64_constant if float64 else float
    if hyper.optimizer == "gd":
        return tf.train.GradientDescentOptimizer(learning_rate)
    if hyper.optimizer == "momentum":
        return tf.train.MomentumOptimizer(learning_rate, momentum=f64(hyper.beta))
    if hyper.optimizer == "rmsprop":
        return tf.train.RMSPropOptimizer(learning_rate, decay=f64(hyper.beta), momentum=f64(0.0),
                                         epsilon=f64(hyper.epsilon))
    if hyper.optimizer == "adam":
        return tf.train.AdamOptimizer(learning_rate, beta1=f64(hyper.beta1), beta2=f64(hyper.beta2),
                                      epsilon=f64(hyper.epsilon))
    raise ValueError(f"unknown optimizer {hyper.optimizer!r}")


def _float64_constant(x):
    """x as a float64 constant outside any loop: Adam's beta powers start from beta1 and beta2."""
    with tf.init_scope():
        return tf.constant(x, tf.float64)


def builtin_update(hyper, parameters, grads, learning_rate, float64=True):
    """apply_gradients of TF's optimizer. Returns the train op."""
    optimizer = builtin_optimizer(hyper, learning_rate, float64)
    return optimizer.apply_gradients(list(zip(grads, parameters.values())), name="builtin_update")


def minimize(hyper, parameters, grads, learning_rate, fetched=(), options=TFOptions()):
    """The train op for ``hyper``: every gradient and fetched cost first, then the update.

    options.builtin picks tf.train's optimizer over the course's rule.
    """
    grads = wait_for(fetched, grads)
    if options.builtin:
        return builtin_update(hyper, parameters, grads, learning_rate, options.float64_hyperparameters)
    return course_update(hyper, parameters, grads, learning_rate)
