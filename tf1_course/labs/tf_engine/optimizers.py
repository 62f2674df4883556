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
"""

from tf1_course.compat import tf


def wait_for(tensors, grads):
    """The gradients again, but usable only once every tensor in ``tensors`` and ``grads`` is computed."""
    with tf.control_dependencies(list(tensors) + list(grads)):
        return [tf.identity(g) for g in grads]


def _slot(name, like):
    """A non-trainable float64 variable of zeros shaped like the variable ``like``."""
    return tf.get_variable(name, initializer=tf.zeros(like.shape, dtype=tf.float64), trainable=False)


def course_update(variant, parameters, grads, learning_rate):
    """The course's update of every parameter as assign ops. Returns the grouped train op."""
    updates = []
    t = None
    if variant.optimizer == "adam":
        t = tf.get_variable("adam_t", initializer=tf.constant(0., tf.float64), trainable=False)
        t = t.assign_add(1.)  # mini-batches seen, counted from 1
    for (name, W), g in zip(parameters.items(), grads):
        if variant.optimizer == "gd":
            step = learning_rate * g
        elif variant.optimizer == "momentum":
            v = _slot(f"v_d{name}", W)
            v = v.assign(variant.beta * v + (1 - variant.beta) * g)
            step = learning_rate * v
        elif variant.optimizer == "rmsprop":
            s = _slot(f"s_d{name}", W)
            s = s.assign(variant.beta * s + (1 - variant.beta) * tf.square(g))
            step = learning_rate * g / (tf.sqrt(s) + variant.epsilon)
        elif variant.optimizer == "adam":
            v, s = _slot(f"v_d{name}", W), _slot(f"s_d{name}", W)
            v = v.assign(variant.beta1 * v + (1 - variant.beta1) * g)
            v_corrected = v / (1 - tf.pow(tf.constant(variant.beta1, tf.float64), t))
            s = s.assign(variant.beta2 * s + (1 - variant.beta2) * tf.square(g))
            s_corrected = s / (1 - tf.pow(tf.constant(variant.beta2, tf.float64), t))
            step = learning_rate * v_corrected / (tf.sqrt(s_corrected) + variant.epsilon)
        else:
            raise ValueError(f"unknown optimizer {variant.optimizer!r}")
        updates.append(W.assign_sub(step))
    return tf.group(*updates, name="course_update")


def builtin_optimizer(variant, learning_rate):
    """TensorFlow's own optimizer for ``variant.optimizer``, with the course's hyperparameters.

    The hyperparameters go in as float64 tensors: given Python floats, tf.train's optimizers make
    float32 tensors of them and cast those to the variables' float64 (momentum 0.9 becomes
    0.8999999762), which would blur the comparison with the course's formulas.
    ``variant.float64_hyperparameters = False`` passes the Python floats, to measure that effect.
    """
    f64 = (lambda x: tf.constant(x, tf.float64)) if variant.float64_hyperparameters else float
    if variant.optimizer == "gd":
        return tf.train.GradientDescentOptimizer(learning_rate)
    if variant.optimizer == "momentum":
        return tf.train.MomentumOptimizer(learning_rate, momentum=f64(variant.beta))
    if variant.optimizer == "rmsprop":
        return tf.train.RMSPropOptimizer(learning_rate, decay=f64(variant.beta), momentum=f64(0.0),
                                         epsilon=f64(variant.epsilon))
    if variant.optimizer == "adam":
        return tf.train.AdamOptimizer(learning_rate, beta1=f64(variant.beta1), beta2=f64(variant.beta2),
                                      epsilon=f64(variant.epsilon))
    raise ValueError(f"unknown optimizer {variant.optimizer!r}")


def builtin_update(variant, parameters, grads, learning_rate):
    """apply_gradients of TF's optimizer. Returns the train op."""
    optimizer = builtin_optimizer(variant, learning_rate)
    return optimizer.apply_gradients(list(zip(grads, parameters.values())), name="builtin_update")


def minimize(variant, parameters, grads, learning_rate, fetched=()):
    """The train op for ``variant``: every gradient and fetched cost first, then the update."""
    grads = wait_for(fetched, grads)
    update = builtin_update if variant.builtin else course_update
    return update(variant, parameters, grads, learning_rate)
