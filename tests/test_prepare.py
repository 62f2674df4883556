import numpy as np

from tf1_course.data import prepare
from tf1_course.core.minibatches import batch_bounds, permutation, random_mini_batches


def test_flatten_and_scale_is_the_course_reshape():
    x = np.random.RandomState(1).randint(0, 256, (5, 64, 64, 3)).astype(np.uint8)
    X = prepare.flatten_and_scale(x)
    assert X.shape == (12288, 5) and X.dtype == np.float64
    np.testing.assert_array_equal(X, x.reshape(x.shape[0], -1).T / 255.)
    assert X.min() >= 0 and X.max() <= 1
    # column j is image j, pixel (row, col, channel) at index (row * 64 + col) * 3 + channel
    assert X[(2 * 64 + 7) * 3 + 1, 3] == x[3, 2, 7, 1] / 255.


def test_convert_to_one_hot():
    Y = prepare.convert_to_one_hot(np.array([[1, 2, 3, 0, 2, 1]]), 4)
    np.testing.assert_array_equal(Y, [[0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 1],
                                      [0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0]])


def test_permutation_is_the_course_global_seed_permutation():
    np.random.seed(7)
    expected = np.random.permutation(100)
    np.testing.assert_array_equal(permutation(100, 7), expected)


def test_random_mini_batches_partition_and_pairing():
    m = 148
    X = np.arange(3 * m).reshape(3, m).astype(float)
    Y = np.arange(m).reshape(1, m).astype(float)
    batches = random_mini_batches(X, Y, 64, seed=0)
    assert [b[0].shape[1] for b in batches] == [64, 64, 20]
    cols = np.concatenate([b[1][0] for b in batches]).astype(int)
    np.testing.assert_array_equal(cols, permutation(m, 0))
    for bx, by in batches:  # X and Y shuffled together
        np.testing.assert_array_equal(bx[0], by[0])
    assert batch_bounds(1080, 32)[-1] == (1056, 1080) and len(batch_bounds(1080, 32)) == 34
    assert len(batch_bounds(128, 64)) == 2


def test_float32_flatten_is_what_tensorflow_makes_of_the_float64():
    x = np.random.RandomState(2).randint(0, 256, (300, 64, 64, 3)).astype(np.uint8)
    X32 = prepare.flatten_and_scale(x, np.float32, chunk=64)
    assert X32.dtype == np.float32 and X32.flags.c_contiguous and X32.ctypes.data % 64 == 0
    np.testing.assert_array_equal(X32, prepare.flatten_and_scale(x).astype(np.float32))
    from tf1_course.core.compat import tf

    with tf.Graph().as_default():
        ph = tf.placeholder(tf.float32, [12288, None])
        with tf.Session() as sess:
            fed = sess.run(tf.identity(ph), {ph: prepare.flatten_and_scale(x[:5])})
    np.testing.assert_array_equal(fed, X32[:, :5])
