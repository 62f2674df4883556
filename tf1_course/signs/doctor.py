"""``tf1-course doctor``: what this machine has for training the SIGNS model, on one screen.

Versions (Python, TensorFlow, NumPy, Ray), the GPU (a CUDA build? which GPUs? if none, the
likely reason), whether this runs in a container, the data (the bundled files' sha256, the data
set's files, provenance and checksums), whether the run folder is writable, and ``pip check``.
Exit code 0 when everything ``train`` needs is in place, 1 otherwise; ``--json`` for scripts.
Paste its output into a bug report.
"""

import ctypes.util
import json
import os
import platform
import subprocess
import sys
from collections import namedtuple
from importlib import metadata
from pathlib import Path

from tf1_course.core.command import Parser, run_main
from tf1_course.core.errors import DataError
from tf1_course.core.fileio import check_writable
from tf1_course.signs.rundir import DEFAULT_RUN_DIR

OK, NOTE, FAIL = "ok", "note", "FAIL"
# status: OK, NOTE (worth knowing, not a problem for train) or FAIL (train cannot run: ``fix`` says why)
Check = namedtuple("Check", ["name", "status", "detail", "fix"])


def versions():
    """Python, TensorFlow, NumPy, Ray; TensorFlow failing to import is a FAIL."""
    checks = [Check("python", OK, f"{platform.python_version()} ({platform.system()} {platform.machine()})", "")]
    try:
        from tf1_course.core.compat import TF_VERSION, tf

        cuda = tf.test.is_built_with_cuda()
        info = tf.sysconfig.get_build_info()
        build = (f"CUDA build: CUDA {info.get('cuda_version', '?')}, cuDNN {info.get('cudnn_version', '?')}"
                 if cuda else "CPU-only build")
        checks.append(Check("tensorflow", OK, f"{TF_VERSION} ({build})", ""))
    except Exception as e:  # noqa: BLE001 - any import failure is what the user needs to see
        checks.append(Check("tensorflow", FAIL, f"does not import ({type(e).__name__}: {str(e).splitlines()[0][:150]})",
                            "pip install -r requirements.txt (TensorFlow 2.17 and Ray 2.60 need Python 3.10-3.12)"))
    for name in ("numpy", "ray"):
        try:
            checks.append(Check(name, OK, metadata.version(name), ""))
        except metadata.PackageNotFoundError:
            checks.append(Check(name, NOTE if name == "ray" else FAIL, "not installed",
                                "pip install -r requirements.txt"))
    return checks


def gpu():
    """Which GPUs TensorFlow sees; with none, the likely reason (a NOTE: train runs on the CPU)."""
    try:
        from tf1_course.core import device
        from tf1_course.core.compat import tf
    except Exception:  # noqa: BLE001 - versions() reports it
        return Check("gpu", NOTE, "unknown (TensorFlow does not import)", "")
    found = device.gpus()
    if found:
        return Check("gpu", OK, ", ".join(g.replace("/physical_device:", "") for g in found), "")
    return Check("gpu", NOTE, f"none: {why_no_gpu(tf.test.is_built_with_cuda())}; train runs on the CPU", "")


def why_no_gpu(built_with_cuda, environ=None, find_library=ctypes.util.find_library):
    """The likely reason TensorFlow sees no GPU, in a few words."""
    environ = os.environ if environ is None else environ
    if not built_with_cuda:
        return "this TensorFlow is a CPU-only build (the GPU image or pip install 'tensorflow[and-cuda]' has CUDA)"
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return f"CUDA_VISIBLE_DEVICES={visible!r} hides every GPU"
    if not find_library("cuda"):
        return ("the NVIDIA driver's libcuda is not found (no driver, or a container started without "
                "--gpus all / the NVIDIA Container Toolkit)")
    return "the driver is there but TensorFlow found no GPU (check nvidia-smi and the CUDA/cuDNN libraries)"


def container(root="/"):
    """Whether this runs in a container, and which kind if it can tell."""
    root = Path(root)
    if (root / ".dockerenv").exists():
        return Check("container", NOTE, "yes (Docker)", "")
    if (root / "run" / ".containerenv").exists():
        return Check("container", NOTE, "yes (podman)", "")
    try:
        cgroup = (root / "proc" / "1" / "cgroup").read_text()
    except OSError:
        cgroup = ""
    for word, kind in (("kubepods", "Kubernetes"), ("docker", "Docker"), ("containerd", "containerd")):
        if word in cgroup:
            return Check("container", NOTE, f"yes ({kind})", "")
    return Check("container", OK, "no", "")


def bundled_data():
    """The files shipped with the package, each against its pinned sha256."""
    from tf1_course.data import bundle

    try:
        problems = bundle.verify()
        where = bundle.root()
    except (DataError, OSError) as e:
        return Check("bundled data", NOTE, str(e), "")
    if problems:
        shown = ", ".join(f"{name} {what}" for name, what in problems[:3])
        return Check("bundled data", NOTE, f"{len(problems)} file(s) differ from SHA256SUMS: {shown}",
                     "reinstall tf1-course (data build uses these files)")
    return Check("bundled data", OK, f"{len(bundle.sums())} files, sha256 verified ({where})", "")


def data_set(data_dir=None):
    """The data set train reads: present, in the course's schema, provenance and checksums."""
    from tf1_course.data import h5, manifest, paths

    folder = paths.data_dir(data_dir)
    try:
        train, test = h5.load_dataset(folder)
    except DataError as e:
        return Check("data", FAIL, str(e), "tf1-course data build   (from the photos bundled with the package)")
    prov = manifest.provenance(folder)
    recorded = (manifest.read(folder) or {}).get("files", {})
    changed = [name for key, name in manifest.FILES.items() if prov[key] == manifest.UNVERIFIED and name in recorded]
    dev = "dev split yes" if prov["dev"] != manifest.MISSING else "no dev split (tune and train --dev need one)"
    detail = (f"{folder}: train {len(train.y)}, test {len(test.y)} ({dev}); provenance: train {prov['train']}, "
              f"test {prov['test']}")
    if changed:
        return Check("data", NOTE, detail + f"; changed since written: {', '.join(changed)}",
                     "tf1-course data build --force")
    return Check("data", OK, detail + "; sha256 as recorded", "")


def run_folder(run_dir=DEFAULT_RUN_DIR):
    """Whether train can write the run folder (or create it)."""
    in_the_way = next((p for p in (Path(run_dir), *Path(run_dir).parents) if p.exists() and not p.is_dir()), None)
    if in_the_way is not None:
        return Check("run folder", FAIL, f"{in_the_way} is a file where a folder is needed",
                     "pass --run-dir another folder")
    try:
        check_writable(run_dir, "--run-dir")
    except DataError as e:
        return Check("run folder", FAIL, str(e), "fix the permissions, or pass --run-dir a writable folder")
    return Check("run folder", OK, f"{run_dir} is writable", "")


def pip_check():
    try:
        r = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        return Check("pip check", NOTE, f"could not run ({e})", "")
    lines = [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]
    if r.returncode == 0:
        return Check("pip check", OK, lines[0] if lines else "no broken requirements", "")
    return Check("pip check", NOTE, f"{len(lines)} problem(s): {'; '.join(lines[:2])}",
                 "pip install -r requirements.txt")


def diagnose(data_dir=None, run_dir=DEFAULT_RUN_DIR, run_pip_check=True):
    """Every Check, in the order printed."""
    checks = versions() + [gpu(), container(), bundled_data(), data_set(data_dir), run_folder(run_dir)]
    if run_pip_check:
        checks.append(pip_check())
    return checks


def build_parser():
    p = Parser(prog="tf1-course doctor", description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", help="data folder to check (default: $TF1_COURSE_DATA_DIR or datasets/)")
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"run folder to check (default {DEFAULT_RUN_DIR})")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--no-pip-check", action="store_true", help="skip `pip check` (a few seconds)")
    return p


def run(args):
    checks = diagnose(args.data_dir, args.run_dir, not args.no_pip_check)
    ready = all(c.status != FAIL for c in checks)
    if args.json:
        print(json.dumps({"ready": ready, "checks": [c._asdict() for c in checks]}, indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            print(f"{c.status:<4}  {c.name:<{width}}  {c.detail}")
            if c.fix and c.status != OK:
                print(f"{'':<4}  {'':<{width}}  -> {c.fix}")
        print("everything `train` needs is in place" if ready else
              "`train` cannot run here yet: see the FAIL lines above")
    return 0 if ready else 1


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
