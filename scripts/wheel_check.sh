#!/usr/bin/env bash
# The wheel works outside the checkout: build an sdist and a wheel, install the wheel into a fresh
# venv in an empty folder, then run there, with no network, what a new user runs:
#
#   tf1-course data build            (from the photos bundled in the wheel)
#   tf1-course train --epochs 3
#   tf1-course predict PHOTO         (the phone photo bundled in the wheel)
#
# and check that the data came from the installed package (not this checkout) and that every file
# they wrote is under that folder. `make wheel-check` runs it; CI runs it after the tests.
#
#   scripts/wheel_check.sh [--keep]       (--keep: leave the work folder and print its path)
#
# One line per step, `ok   <step> (<seconds>s)` or `FAIL <step>: <reason>` (exit code 1).
# Installing the wheel's requirements needs the package index (or pip's cache); the three commands
# run in a network namespace of their own (`unshare -n`, root only) when the machine allows it.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
keep=false
case ${1-} in
  --keep) keep=true ;;
  "") ;;
  -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "wheel_check.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/tf1-wheel-check.XXXXXX")
cleanup() { if $keep; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
step="" t0=0
begin() { step=$1; t0=$(date +%s%N); }
ok() { local ms=$((($(date +%s%N) - t0) / 1000000)); printf 'ok   %s (%d.%ds)\n' "$step" $((ms / 1000)) $((ms % 1000 / 100)); }
fail() { printf 'FAIL %s: %s\n' "$step" "$*"; [ -f "$work/log" ] && tail -n 20 "$work/log" | sed 's/^/     /'; exit 1; }

begin "build the sdist and the wheel"
"$PYTHON" -m build --outdir "$work/dist" "$ROOT" >"$work/log" 2>&1 || fail "python -m build failed"
wheel=$(find "$work/dist" -name "*.whl" | head -1)
sdist=$(find "$work/dist" -name "*.tar.gz" | head -1)
[ -n "$wheel" ] && [ -n "$sdist" ] || fail "no wheel or no sdist in $work/dist"
for archive in "$wheel" "$sdist"; do
  n=$("$PYTHON" - "$archive" <<'EOF'
import sys, tarfile, zipfile
a = sys.argv[1]
names = zipfile.ZipFile(a).namelist() if a.endswith(".whl") else tarfile.open(a).getnames()
print(sum("/data/bundled/" in n and not n.endswith("/") for n in names))
EOF
)
  [ "$n" -ge 1204 ] || fail "$(basename "$archive") carries $n bundled data files, not 1204"
done
ok

begin "a fresh venv in an empty folder, the wheel installed"
user="$work/user"
mkdir -p "$user"
"$PYTHON" -m venv "$user/venv" >"$work/log" 2>&1 || fail "python -m venv failed"
"$user/venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel" >"$work/log" 2>&1 \
  || fail "pip install of the wheel failed"
installed=$(cd "$user" && venv/bin/python -c "import tf1_course, os; print(os.path.dirname(tf1_course.__file__))")
case $installed in "$user"/venv/*) ;; *) fail "tf1_course imports from $installed, not from the venv" ;; esac
ok

offline=() note=" (no network)"
if unshare -n true 2>/dev/null; then offline=(unshare -n); else note=" (network: unshare not allowed here)"; fi
run() { (cd "$user" && "${offline[@]}" env -u TF1_COURSE_DATA_DIR -u TF1_COURSE_SIGNS_DIR \
          MPLCONFIGDIR="$user/.matplotlib" venv/bin/tf1-course "$@") >"$work/log" 2>&1; }
before=$(find "$installed" -type f | sort | md5sum)

begin "tf1-course data build$note"
run data build || fail "exit code $?"
grep -q "SIGNS source: $installed/data/bundled/signs" "$work/log" || fail "the source is not the installed bundle"
[ -f "$user/datasets/train_signs.h5" ] && [ -f "$user/datasets/dev_signs.h5" ] || fail "no h5 files in $user/datasets"
ok

begin "tf1-course train --epochs 3$note"
run train --epochs 3 --device cpu || fail "exit code $?"
[ -f "$user/runs/signs/metrics.json" ] || fail "no runs/signs/metrics.json under the folder"
grep -q "Cost after epoch 0: 1.8" "$work/log" || fail "no course cost line"
ok

begin "tf1-course predict <the bundled photo>$note"
photo="$installed/data/bundled/images/thumbs_up.jpg"
run predict "$photo" --device cpu || fail "exit code $?"
grep -q "thumbs_up.jpg: sign " "$work/log" || fail "no prediction line"
ok

begin "every file written is under the folder; the installed package is unchanged"
[ "$(find "$installed" -type f | sort | md5sum)" = "$before" ] || fail "files changed in $installed"
outside=$(find "$user" -newer "$user/venv/pyvenv.cfg" -type f -not -path "$user/venv/*" | grep -v -e "^$user/datasets/" \
          -e "^$user/runs/" -e "^$user/.matplotlib/" | head -3)
[ -z "$outside" ] || fail "unexpected files: $outside"
ok
echo "wheel check passed: $(basename "$wheel") ($(du -h "$wheel" | cut -f1))$note"
