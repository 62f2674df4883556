import subprocess
import sys

from tf1_course import cli


def test_top_level_help_lists_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert f"  {name}" in out


def test_unknown_command_is_one_line(capsys):
    assert cli.main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown command 'frobnicate'" in err[0]


def test_every_command_has_help(capsys):
    for name in cli.COMMANDS:
        try:
            cli.main([name, "--help"])
        except SystemExit as e:
            assert e.code == 0
        assert "usage:" in capsys.readouterr().out


def test_python_dash_m_and_bad_flag():
    r = subprocess.run([sys.executable, "-m", "tf1_course", "data", "build", "--nope"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unrecognized arguments: --nope" in lines[0]


def test_help_of_every_command_does_not_load_tensorflow():
    """`--help` stays fast: only the modules that build graphs import TensorFlow, and lazily."""
    code = ("import sys\nfrom tf1_course import cli\n"
            "for name in cli.COMMANDS:\n"
            "    try:\n        cli.main([name, '--help'])\n    except SystemExit:\n        pass\n"
            "print('tensorflow' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False"
