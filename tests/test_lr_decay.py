"""Week 2's learning-rate decay: one definition (core/schedules.py) for the lab and the SIGNS model,
built in the SIGNS graph from the global step, so both loops agree and --resume continues it."""

import numpy as np
import pytest
from conftest import make_h5_pair

from tf1_course.core import schedules
from tf1_course.core.fileio import read_json
from tf1_course.labs import course
from tf1_course.signs import train, training

RTOL = 1e-6  # feed against fast: test_loops.py explains this tolerance (they agree to the bit here)
DECAYS = {"inverse-time": 0.3, "exponential": 0.9, "scheduled": 0.5}
SETTINGS = {"learning_rate": 0.003, "minibatch_size": 8, "print_every": 1, "save_every": 100}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_h5_pair(tmp_path_factory.mktemp("decay") / "data", m_train=60, m_test=12)


def run(data, run_dir, epochs, resume=False, **flags):
    result = training.train(run_dir, {**SETTINGS, "num_epochs": epochs, **flags}, data, "cpu", resume=resume,
                            echo=False, show_progress=False)
    assert result.outcome == "finished"
    return result.metrics


def test_the_lab_uses_the_shared_definition():
    assert course.update_lr is schedules.update_lr and course.SCHEDULES is schedules.SCHEDULES
    assert course.schedule_lr_decay is schedules.schedule_lr_decay and course.TIME_INTERVAL == 1000


@pytest.mark.parametrize("schedule", sorted(schedules.SCHEDULES))
def test_the_graph_rate_is_the_float_formula_of_the_epoch_before(schedule):
    """Step s of epoch e = s // steps runs at the rate after epoch max(e - 1, 0), as the lab's loop."""
    from tf1_course.core.compat import tf

    steps, alpha0, k, interval = 7, 0.01, 0.9, 3
    graph = tf.Graph()
    with graph.as_default():
        step = tf.placeholder(tf.int64, [])
        rate = schedules.rate_from_global_step(schedule, alpha0, k, steps, step, interval)
    with tf.Session(graph=graph) as sess:
        got = [sess.run(rate, {step: s}) for s in range(0, 10 * steps)]
    want = [schedules.rate(schedule, alpha0, schedules.epoch_num_of(s // steps), k, interval)
            for s in range(0, 10 * steps)]
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    assert got[0] == got[steps] == got[2 * steps - 1] == alpha0 * (k if schedule == "inverse-sqrt" else 1)
    assert len(set(got[2 * steps:3 * steps])) == 1 and got[2 * steps] != got[steps] or schedule == "scheduled"


@pytest.mark.parametrize("schedule", sorted(DECAYS))
def test_a_decaying_run_shows_its_rate_and_resumes_to_the_same_bits(schedule, data, tmp_path):
    flags = {"lr_decay": schedule, "decay_rate": DECAYS[schedule]}
    if schedule == "scheduled":
        flags["decay_interval"] = 2
    whole = run(data, tmp_path / "whole", 6, **flags)
    plain = run(data, tmp_path / "plain", 6)
    # epochs 0 and 1 run at alpha0 (the course's convention), then the rate falls
    assert whole["costs"][:2] == plain["costs"][:2] and whole["costs"][2:] != plain["costs"][2:]
    rates = [schedules.rate(schedule, 0.003, schedules.epoch_num_of(e), DECAYS[schedule], flags.get("decay_interval"))
             for e in range(6)]
    log = (tmp_path / "whole" / "train.log").read_text()
    for e in range(6):
        assert f"Cost after epoch {e}: {whole['costs'][e]:f} (learning rate {rates[e]:.6g})" in log
    run(data, tmp_path / "split", 3, loop="feed", **flags)  # the course's loop, then the fast one
    resumed = run(data, tmp_path / "split", 6, resume=True, loop="fast")
    np.testing.assert_allclose(resumed["costs"], whole["costs"], rtol=RTOL, atol=0)
    assert resumed["config"]["lr_decay"] == schedule
    run(data, tmp_path / "fast", 3, **flags)
    assert run(data, tmp_path / "fast", 6, resume=True)["costs"] == whole["costs"]  # same engine: same bits


def test_resuming_with_another_schedule_is_refused(data, tmp_path, capsys):
    args = ["--run-dir", str(tmp_path / "run"), "--data-dir", str(data), "--device", "cpu"]
    assert train.main([*args, "--epochs", "1", "--lr-decay", "exponential", "--decay-rate", "0.9"]) == 0
    capsys.readouterr()
    assert train.main([*args, "--epochs", "2", "--resume", "--decay-rate", "0.8"]) == 2
    assert "cannot resume with a different --decay-rate" in capsys.readouterr().err


@pytest.mark.parametrize("args, needle", [
    (["--decay-rate", "0.5"], "--decay-rate only applies with --lr-decay"),
    (["--lr-decay", "exponential", "--decay-rate", "1.5"], "must be in (0, 1]"),
    (["--lr-decay", "inverse-time", "--decay-rate", "nan"], "--decay-rate must be 0 or a positive finite number"),
    (["--lr-decay", "inverse-time", "--decay-interval", "10"], "--decay-interval only applies with --lr-decay scheduled"),
    (["--lr-decay", "scheduled", "--decay-interval", "0"], "--decay-interval must be a positive"),
])
def test_bad_decay_flags_are_one_line(data, tmp_path, capsys, args, needle):
    assert train.main(["--run-dir", str(tmp_path / "run"), "--data-dir", str(data), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_default_flags_give_the_courses_bits(data, tmp_path):
    """The new features off (the defaults) are the course's run: the costs, accuracies and weights of
    a bare loop over the course's graph (model.build_graph + the engine, nothing of training.py),
    with evaluations at every epoch or none, and with --lr-decay none said explicitly."""
    from tf1_course.core import device
    from tf1_course.core.compat import tf
    from tf1_course.data import h5
    from tf1_course.data.prepare import prepare
    from tf1_course.signs import loops, model
    from tf1_course.signs.settings import TrainConfig

    epochs, cfg = 4, TrainConfig()
    X, Y = prepare(h5.load_split(data / "train_signs.h5", "train"), np.float32)
    graph = tf.Graph()
    with graph.as_default():
        g = model.build_graph(cfg.learning_rate, cfg.hidden, cfg.seed)
        engine = loops.make_engine("fast", g, X, Y, cfg.minibatch_size)
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, config=device.session_config("cpu", 1, 1)) as sess:
        sess.run(init)
        engine.initialize(sess)
        costs = [engine.epoch(sess, cfg.minibatch_seed + e + 1) for e in range(epochs)]
        weights = sess.run(g.parameters)
    for name, flags in (("default", {}), ("evaluated", {"eval_every": 1, "eval_test": True}),
                        ("explicit", {"lr_decay": "none"})):
        result = training.train(tmp_path / name, {"num_epochs": epochs, **flags}, data, "cpu", echo=False,
                                show_progress=False)
        assert result.metrics["costs"] == costs, name
        trained = np.load(tmp_path / name / "parameters.npz")
        assert all(np.array_equal(trained[k], weights[k]) for k in weights), name
    assert read_json(tmp_path / "evaluated" / "metrics.json")["test_accuracy"] == result.metrics["test_accuracy"]


def test_decay_can_be_searched_but_is_not_in_the_default_space():
    from tf1_course.tuning import search_space

    assert not {"lr_decay", "decay_rate", "decay_interval"} & set(search_space.DEFAULT_SPACE)
    space = search_space.parse_space({"lr_decay": "choice:none,exponential,scheduled",
                                      "decay_rate": "one-minus-log:0.99:0.9999", "decay_interval": "choice:100,500"})
    drawn = search_space.sample(space, 12, 0)
    assert {v["lr_decay"] for v in drawn} == {"none", "exponential", "scheduled"}
    for values in drawn:
        flags = search_space.train_flags(values)
        training.resolve_config(flags)  # every trial is one `train` accepts
        assert ("decay_rate" in flags) == (values["lr_decay"] != "none")
        assert ("decay_interval" in flags) == (values["lr_decay"] == "scheduled")
    for bad in ("lr_decay=log:1:2", "lr_decay=choice:none,cosine", "decay_rate=choice:0,0.5"):
        name, spec = bad.split("=")
        with pytest.raises(search_space.UsageError):
            search_space.parse_spec(name, spec)
