"""The numbers the course prints, for comparison (facts from the published outputs): the TF
basics, the SIGNS model, and the labs.

For the labs, two editions differ: the 2017 notebooks (Python 2 era: accuracies printed with 12 digits, the
optimization lab runs 10000 epochs and prints the *last mini-batch's* cost) and the 2021 revision
(5000 epochs, prints the epoch cost = sum of mini-batch cost totals / m, adds learning-rate decay).
Costs are keyed by the printed step; ``accuracy_at`` by the run length the accuracy was printed after.
"""


def merge(*editions):
    """One {variant: numbers} from several editions: cost dicts side by side, accuracies by run length."""
    merged = {}
    for edition in editions:
        for name, numbers in edition.items():
            entry = merged.setdefault(name, {})
            for key, value in numbers.items():
                entry[key] = {**entry.get(key, {}), **value}
    return merged

INIT = {
    "zeros": {"costs": {**{i: 0.6931471805599453 for i in range(0, 15000, 1000)}, 10000: 0.6931471805599455},
              "accuracy_at": {15000: {"train_accuracy": 0.5, "test_accuracy": 0.5}}},
    "random": {"costs": {0: float("inf"), 1000: 0.6237287551108738, 2000: 0.5981106708339466,
                         3000: 0.5638353726276827, 4000: 0.550152614449184, 5000: 0.5444235275228304,
                         6000: 0.5374184054630083, 7000: 0.47357131493578297, 8000: 0.39775634899580387,
                         9000: 0.3934632865981078, 10000: 0.39202525076484457, 11000: 0.38921493051297673,
                         12000: 0.38614221789840486, 13000: 0.38497849983013926,
                         14000: 0.38278397192120406},
               "accuracy_at": {15000: {"train_accuracy": 0.83, "test_accuracy": 0.86}}},
    "he": {"costs": {0: 0.8830537463419761, 1000: 0.6879825919728063, 2000: 0.6751286264523371,
                     3000: 0.6526117768893807, 4000: 0.6082958970572938, 5000: 0.5304944491717495,
                     6000: 0.4138645817071794, 7000: 0.3117803464844441, 8000: 0.23696215330322562,
                     9000: 0.18597287209206836, 10000: 0.1501555628037182, 11000: 0.12325079292273548,
                     12000: 0.09917746546525937, 13000: 0.0845705595402428, 14000: 0.07357895962677366},
           "accuracy_at": {15000: {"train_accuracy": 298 / 300, "test_accuracy": 0.96}}},  # 0.993333333333
}

REGULARIZATION = {  # accuracies printed with 12 digits (0.947867298578 = 200/211)
    "baseline": {"costs": {0: 0.6557412523481002, 10000: 0.16329987525724216, 20000: 0.13851642423255986},
                 "accuracy_at": {30000: {"train_accuracy": 200 / 211, "test_accuracy": 0.915}}},
    "l2": {"costs": {0: 0.6974484493131264, 10000: 0.2684918873282239, 20000: 0.2680916337127301},
           "accuracy_at": {30000: {"train_accuracy": 198 / 211, "test_accuracy": 0.93}}},
    "dropout": {"costs": {0: 0.6543912405149825, 10000: 0.06101698657490559, 20000: 0.060582435798513114},
                "accuracy_at": {30000: {"train_accuracy": 196 / 211, "test_accuracy": 0.95}}},
}

GRADCHECK = {
    "1d": 2.91933588329e-10,          # printed; the notebook's "expected output" says 2.9193358103083e-10
    "nd-planted-bug": 0.2850931567761624,  # 2017 edition printed 0.285093156781
    "nd-fixed": 1.1890913022840002e-07,    # a learner's published output of the fixed backprop
}

# 2017 edition, 10000 epochs: the printed cost is the last mini-batch's mean cost.
OPTIMIZATION_2017 = {
    "gd": {"last_minibatch_costs": {0: 0.690736, 1000: 0.685273, 2000: 0.647072, 3000: 0.619525,
                                    4000: 0.576584, 5000: 0.607243, 6000: 0.529403, 7000: 0.460768,
                                    8000: 0.465586, 9000: 0.464518},
           "accuracy_at": {10000: {"train_accuracy": 239 / 300}}},  # printed 0.796666666667
    "momentum": {"last_minibatch_costs": {0: 0.690741, 1000: 0.685341, 2000: 0.647145, 3000: 0.619594,
                                          4000: 0.576665, 5000: 0.607324, 6000: 0.529476, 7000: 0.460936,
                                          8000: 0.465780, 9000: 0.464740},
                 "accuracy_at": {10000: {"train_accuracy": 239 / 300}}},
    "adam": {"last_minibatch_costs": {0: 0.690552, 1000: 0.185567, 2000: 0.150852, 3000: 0.074454,
                                      4000: 0.125936, 5000: 0.104235, 6000: 0.100552, 7000: 0.031601,
                                      8000: 0.111709, 9000: 0.197648},
             "accuracy_at": {10000: {"train_accuracy": 0.94}}},
}

# 2021 edition, 5000 epochs: the printed cost is the epoch cost (what we print).
OPTIMIZATION_2021 = {
    "gd": {"costs": {0: 0.702405, 1000: 0.668101, 2000: 0.635288, 3000: 0.600491, 4000: 0.573367},
           "accuracy_at": {5000: {"train_accuracy": 215 / 300}}},  # printed 0.7166666666666667
    "momentum": {"costs": {0: 0.702413, 1000: 0.668167, 2000: 0.635388, 3000: 0.600591, 4000: 0.573444},
                 "accuracy_at": {5000: {"train_accuracy": 215 / 300}}},
    "adam": {"costs": {0: 0.702166, 1000: 0.167845, 2000: 0.141316, 3000: 0.138788, 4000: 0.136066}},
    "gd-decay": {"costs": {0: 0.701091, 1000: 0.661884, 2000: 0.658620, 3000: 0.656765, 4000: 0.655486},
                 "learning_rates_after": {0: 0.1, 1000: 0.0001, 2000: 0.00005, 3000: 0.000033,
                                          4000: 0.000025}},
    "gd-scheduled": {"costs": {0: 0.701091, 1000: 0.127161, 2000: 0.120304, 3000: 0.117033, 4000: 0.117512},
                     "learning_rates_after": {0: 0.1, 1000: 0.05, 2000: 0.033333, 3000: 0.025, 4000: 0.02}},
    "momentum-scheduled": {"costs": {0: 0.702226, 1000: 0.128974, 2000: 0.125965, 3000: 0.123375,
                                     4000: 0.123218}},
    "adam-scheduled": {"costs": {0: 0.699346, 1000: 0.130074, 2000: 0.129826, 3000: 0.129282,
                                 4000: 0.128361}},
}


# --- TensorFlow basics (tf1-course basics): what the course's cells print -----------------------
BASICS = {
    "loss": 9,
    "constants.tensor": 'Tensor("Mul:0", shape=(), dtype=int32)',
    "constants.value": 20,
    "placeholders.twice_x": 6,
    "linear_function": [[-2.15657382], [2.95891446], [-1.08926781], [-0.84538042]],
    "sigmoid(0)": 0.5,
    "sigmoid(12)": 0.999994,
    "cost(sigmoid(logits))": [1.0053872, 1.0366409, 0.4138543, 0.39956614],  # the course feeds sigmoid(z)
    "one_hot": [[0., 0., 0., 1., 0., 0.], [1., 0., 0., 0., 0., 1.], [0., 1., 0., 0., 1., 0.],
                [0., 0., 1., 0., 0., 0.]],
    "ones": [1., 1., 1.],
    "minimize.w": 4.999,  # "the answer you get is 4.999"
    "training": [0.9, 8.54, 13.124001, 15.874401, 17.52464, 18.514786, 19.108871, 19.46532,
                 19.679192, 19.807514],
}

# --- The SIGNS model (tf1-course train, course defaults) ----------------------------------------
# The notebook's printed run; another published run of the same notebook (other machine and
# TensorFlow version) printed slightly different costs and test accuracy 0.725.
SIGNS_EPOCHS = list(range(0, 1500, 100))
SIGNS = {
    "notebook": {
        "costs": dict(zip(SIGNS_EPOCHS, [1.855702, 1.016458, 0.733102, 0.572940, 0.468774, 0.381021,
                                         0.313822, 0.254158, 0.203829, 0.166421, 0.141486, 0.107580,
                                         0.086270, 0.059371, 0.052228])),
        "train_accuracy": 0.999074, "test_accuracy": 0.716667,
    },
    "published run": {
        "costs": dict(zip(SIGNS_EPOCHS, [1.855702, 1.017255, 0.733184, 0.573071, 0.468573, 0.381228,
                                         0.313815, 0.253708, 0.203900, 0.166454, 0.146636, 0.107279,
                                         0.086698, 0.059342, 0.052289])),
        "train_accuracy": 0.9990741, "test_accuracy": 0.725,
    },
}
