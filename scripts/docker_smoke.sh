#!/usr/bin/env bash
# Smoke test of the Docker image: build it, then run the README's Docker flow for real, with the
# host folders mounted, and check what lands on the host. Not part of `make test` (it builds a
# 2.7 GB image and trains): run it with `make docker-smoke` or directly.
#
#   scripts/docker_smoke.sh [--device cpu|gpu] [--engine docker|podman] [--user-mode both|host|image]
#                           [--user UID:GID] [--keep] [--keep-going]
#
# One line per step, `ok   <step> (<seconds>s)` or `FAIL <step>: <reason>`; the first failure ends
# the run with exit code 1 (--keep-going: run every step, exit 1 at the end if any failed).
# First, with no mount at all (the data is built into the image from the bundled files):
#   train              --epochs 5, no mount: the data in the image, the run in an anonymous volume
#   train, kept        --epochs 5 into a named runs volume
#   predict            only that volume mounted: the photo bundled with the package
#   evaluate           only that volume mounted: the data in the image
# Then, for each user mode (host: `--user UID:GID`, your ids by default; image: no --user, the
# image's uid 1000):
#   data build         a read-only mount of the SIGNS tree -> the mounted datasets folder
#   (image mode) data build into a root-owned / non-writable folder: fails with one clear line
#   train              a short run (--epochs 3) into the mounted runs folder (runs/signs)
#   stop during train  `docker stop` (`podman stop`) during a 500-epoch run: exit code 130 (Ctrl-C)
#                      and a checkpoint on the host
#   train --resume     finishes that run
#   evaluate           the resumed run
#   predict            a mounted photo, --save-preprocessed into the mounted out folder
#   host evaluate      the same run folder, evaluated by the host's tf1-course (.venv), from the
#                      folder that holds datasets/ and runs/ as /app does in the container
# Work happens in a mktemp folder, removed at exit (--keep keeps it, with every step's log in
# logs/); containers are named tf1-smoke-<pid>-N and removed at exit.
#
# The engine: --engine, else docker if `docker info` answers, else podman.
# Environment (all optional):
#   SIGNS_DIR         SIGNS tree to build from (default: the checkout's tf1_course/data/bundled/signs)
#   PHOTO             photo to predict (default: the checkout's bundled thumbs_up.jpg)
#   HOST_TF1_COURSE   the host's tf1-course (default .venv/bin/tf1-course, else the one on PATH)
#   SMOKE_BUILD_FLAGS extra flags for `build`, SMOKE_RUN_FLAGS extra flags for `run` (split on
#                     spaces). Unset: auto-detected. For podman on a machine with the stand-in
#                     TensorFlow images of the stand-in script, standin-tf-image.sh (its pip.conf in
#                     $STANDIN_DIR, default /tmp/standin): build gets
#                       --runtime runc --network host --pull=never
#                       -v /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro -v $STANDIN_DIR/pip.conf:/etc/pip.conf:ro
#                     and run gets --runtime runc. Otherwise none. Set them to "" for none.
#   SMOKE_GPU_FLAGS   how --device gpu containers get the GPU: default `--gpus all` (docker, needs
#                     the NVIDIA Container Toolkit) or `--device nvidia.com/gpu=all` (podman, CDI).
#                     With GPU flags, train/evaluate/predict run with --device gpu. Set it to ""
#                     to run the GPU image without a GPU (on the CPU).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

device=cpu engine="" user_mode=both user="$(id -u):$(id -g)" keep=false keep_going=false
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=${2-}; shift 2 || break ;;
    --engine) engine=${2-}; shift 2 || break ;;
    --user-mode) user_mode=${2-}; shift 2 || break ;;
    --user) user=${2-}; shift 2 || break ;;
    --keep) keep=true; shift ;;
    --keep-going) keep_going=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "docker_smoke.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bad() { echo "docker_smoke.sh: $*" >&2; exit 2; }
[[ $device =~ ^(cpu|gpu)$ ]] || bad "--device: cpu or gpu, not '$device'"
[[ $engine =~ ^(|docker|podman)$ ]] || bad "--engine: docker or podman, not '$engine'"
[[ $user_mode =~ ^(both|host|image)$ ]] || bad "--user-mode: both, host or image, not '$user_mode'"
[[ $user =~ ^[0-9]+:[0-9]+$ ]] || bad "--user: UID:GID in numbers, not '$user'"
if [ "$user" != "$(id -u):$(id -g)" ] && [ "$(id -u)" != 0 ]; then
  bad "--user $user: only root can give the folders to another user"
fi
SIGNS_DIR=${SIGNS_DIR:-$ROOT/tf1_course/data/bundled/signs}
PHOTO=${PHOTO:-$ROOT/tf1_course/data/bundled/images/thumbs_up.jpg}
IMAGE=tf1-course:$device

# --- output: one line per step ----------------------------------------------------------------
failures=0 step="" t0=0 n=0
begin() { step=$1; t0=$(date +%s%N); n=$((n + 1)); log="$logs/$(printf %02d "$n")-${2:-step}.log"; }
ok() {
  local ms=$((($(date +%s%N) - t0) / 1000000))
  printf 'ok   %s (%d.%ds)\n' "$step" $((ms / 1000)) $((ms % 1000 / 100))
}
fail() {
  printf 'FAIL %s: %s\n' "$step" "$*"
  failures=$((failures + 1))
  $keep_going || exit 1
  return 1
}
last_line() { cat "$@" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 1; }

# --- temp dir and clean-up --------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tf1-smoke.XXXXXX")
logs=$tmp/logs
mkdir -p "$logs"
containers=() volumes=() build_flags=() run_flags=()
cleanup() {
  local c
  [ -n "$engine" ] || { rm -rf "$tmp"; return; }
  for c in "${containers[@]}"; do "$engine" rm -f "$c" >/dev/null 2>&1; done
  for c in "${volumes[@]}"; do "$engine" volume rm -f "$c" >/dev/null 2>&1; done
  if $keep; then
    echo "kept $tmp (step logs in $tmp/logs)"
  elif ! rm -rf "$tmp" 2>/dev/null; then
    # files the image's uid 1000 wrote, in folders it made, may not be yours to delete: root in a
    # container can
    "$engine" run --rm "${run_flags[@]}" --user 0:0 --entrypoint rm -v "$tmp:/w" "$IMAGE" -rf /w/host /w/image \
      >/dev/null 2>&1
    rm -rf "$tmp" 2>/dev/null || echo "could not remove $tmp" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the engine and its flags -----------------------------------------------------------------
answers() { timeout 60 "$1" info >/dev/null 2>&1; }
begin "engine" engine
if [ -z "$engine" ]; then
  if command -v docker >/dev/null && answers docker; then engine=docker
  elif command -v podman >/dev/null && answers podman; then engine=podman
  else fail "neither docker (with a running daemon) nor podman answers \`info\`"; exit 1; fi
elif ! command -v "$engine" >/dev/null; then fail "$engine is not installed"; exit 1
elif ! answers "$engine"; then fail "$engine does not answer: $(timeout 60 "$engine" info 2>&1 | last_line)"; exit 1
fi
standin=${STANDIN_DIR:-/tmp/standin}
if [ -n "${SMOKE_BUILD_FLAGS+set}" ]; then read -r -a build_flags <<<"$SMOKE_BUILD_FLAGS"
elif [ "$engine" = podman ] && [ -f "$standin/pip.conf" ]; then
  build_flags=(--runtime runc --network host --pull=never
               -v /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro -v "$standin/pip.conf:/etc/pip.conf:ro")
fi
if [ -n "${SMOKE_RUN_FLAGS+set}" ]; then read -r -a run_flags <<<"$SMOKE_RUN_FLAGS"
elif [ "$engine" = podman ] && [ -f "$standin/pip.conf" ]; then run_flags=(--runtime runc)
fi
gpu_flags=() device_arg=()
if [ "$device" = gpu ]; then
  if [ -n "${SMOKE_GPU_FLAGS+set}" ]; then read -r -a gpu_flags <<<"$SMOKE_GPU_FLAGS"
  elif [ "$engine" = docker ]; then gpu_flags=(--gpus all)
  else gpu_flags=(--device nvidia.com/gpu=all); fi
  [ ${#gpu_flags[@]} -eq 0 ] || device_arg=(--device gpu)
fi
{ "$engine" --version; echo "build flags: ${build_flags[*]}"; echo "run flags: ${run_flags[*]} ${gpu_flags[*]}"; } >"$log" 2>&1
ok

# --- build ------------------------------------------------------------------------------------
# DEVICE is always given: podman 4.3 (buildah 1.28) skips the base-gpu stage when DEVICE comes
# from the Dockerfile's default (buildah issue 4312) and then fails with "base-gpu: image not known".
begin "build $IMAGE ($engine build --build-arg DEVICE=$device)" build
if "$engine" build "${build_flags[@]}" --build-arg "DEVICE=$device" -t "$IMAGE" "$ROOT" >"$log" 2>&1; then
  ok
else
  fail "exit $?: $(last_line "$log")"; exit 1
fi

# --- the flow, as one user --------------------------------------------------------------------
# tf1 NAME [run options...] IMAGE ARGS...: a container named NAME with this mode's user and the
# datasets/runs/out mounts; stdout and stderr go to $log and $log.err.
tf1() {
  local name=tf1-smoke-$$-$1
  shift
  containers+=("$name")
  "$engine" run --rm --name "$name" "${run_flags[@]}" "${gpu_flags[@]}" "${user_flag[@]}" "${mounts[@]}" "$@" \
    >"$log" 2>"$log.err"
}
reason() {  # exit code -> "exit N: <the last line on stderr, else on stdout>"
  local line
  line=$(last_line "$log.err")
  echo "exit $1: ${line:-$(last_line "$log")}"
}
owner_is() { [ "$(stat -c %u:%g "$1")" = "$2" ] || { fail "$1 belongs to $(stat -c %u:%g "$1"), not $2"; return 1; }; }

flow() {  # flow host|image
  local mode=$1 w=$tmp/$1 tag code long=/app/runs/long
  if [ "$mode" = host ]; then
    tag="[--user $user]"
    user_flag=(--user "$user")
  else
    tag="[no --user: uid 1000]"
    user_flag=()
  fi
  mkdir -p "$w/datasets" "$w/runs" "$w/out" "$w/exports"
  if [ "$mode" = host ]; then
    [ "$user" = "$(id -u):$(id -g)" ] || chown "$user" "$w/datasets" "$w/runs" "$w/out" "$w/exports"
  else
    # the image's uid 1000 writes here: a+rwx, whatever host uid it is (root could chown instead,
    # but a+rwx also works for a user, and for engines that map uid 1000 to another host uid)
    chmod a+rwx "$w/datasets" "$w/runs" "$w/out" "$w/exports"
  fi
  mounts=(-v "$w/datasets:/app/datasets" -v "$w/runs:/app/runs" -v "$w/out:/app/out" -v "$w/exports:/app/exports")

  begin "$tag data build --from a read-only SIGNS mount" "$mode-data-build"
  if tf1 "$mode-data" -v "$SIGNS_DIR:/data/signs:ro" "$IMAGE" data build --from /data/signs; then
    if [ ! -f "$w/datasets/train_signs.h5" ] || [ ! -f "$w/datasets/test_signs.h5" ]; then
      fail "exit 0 but no train_signs.h5/test_signs.h5 in the mounted datasets folder"
    elif [ "$mode" = image ] || owner_is "$w/datasets/train_signs.h5" "$user"; then ok; fi
  else fail "$(reason $?)"; fi

  if [ "$mode" = image ]; then
    # a folder the image's uid 1000 cannot write: what `docker run -v` makes of a missing host
    # folder (root-owned, 755). As root we make exactly that; otherwise a 555 folder of ours.
    local ro=$tmp/image-readonly
    mkdir -p "$ro"
    if [ "$(id -u)" = 0 ]; then chmod 755 "$ro"; else chmod 555 "$ro"; fi
    begin "$tag data build into a root-owned, non-writable datasets folder: one clear error line" "image-readonly"
    local saved_mounts=("${mounts[@]}")
    mounts=(-v "$ro:/app/datasets")
    tf1 image-readonly -v "$SIGNS_DIR:/data/signs:ro" "$IMAGE" data build --from /data/signs
    code=$?
    mounts=("${saved_mounts[@]}")
    local lines
    lines=$(grep -c . "$log.err")
    if [ "$code" = 0 ]; then fail "exit 0: uid 1000 could write into $ro ($(ls -ld "$ro"))"
    elif grep -q '^Traceback' "$log.err"; then
      fail "exit $code with a $lines-line traceback instead of one line: $(last_line "$log.err")"
    elif [ "$lines" != 1 ]; then fail "exit $code, $lines lines on stderr instead of one: $(last_line "$log.err")"
    elif ! grep -q /app/datasets "$log.err"; then fail "exit $code, the line does not name /app/datasets: $(cat "$log.err")"
    else ok; fi
  fi

  begin "$tag train --epochs 3 (runs/signs)" "$mode-train"
  if tf1 "$mode-train" "$IMAGE" train --epochs 3 --print-every 1 "${device_arg[@]}"; then
    if grep -q '"epochs": 3,' "$w/runs/signs/metrics.json" 2>/dev/null; then ok
    else fail "exit 0 but no runs/signs/metrics.json with 3 epochs on the host"; fi
  else fail "$(reason $?)"; fi

  # `docker stop` sends the image's STOPSIGNAL (SIGINT) and, 10 s later, SIGKILL
  begin "$tag $engine stop during train --epochs 500: exit 130 and a checkpoint" "$mode-stop"
  local name=tf1-smoke-$$-$mode-stop started=false
  containers+=("$name")
  if "$engine" run -d --name "$name" "${run_flags[@]}" "${gpu_flags[@]}" "${user_flag[@]}" "${mounts[@]}" "$IMAGE" \
      train --run-dir "$long" --epochs 500 --print-every 50 --save-every 500 "${device_arg[@]}" >"$log" 2>&1; then
    for _ in $(seq 360); do  # up to 3 min for TensorFlow to start and the first epoch to end
      if "$engine" logs "$name" 2>&1 | grep -q '^Cost after epoch'; then started=true; break; fi
      [ "$("$engine" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || break
      sleep 0.5
    done
    if $started; then "$engine" stop "$name" >>"$log" 2>&1; fi
    code=$("$engine" wait "$name" 2>>"$log" | tail -n 1)
    "$engine" logs "$name" >"$log" 2>"$log.err"
    "$engine" rm -f "$name" >/dev/null 2>&1
    local ckpt=$w/runs/long/checkpoints/checkpoint
    if ! $started; then fail "training never started: $(reason "$code")"
    elif [ "$code" != 130 ]; then fail "$(reason "$code") (not 130, Ctrl-C's code)"
    elif [ ! -f "$ckpt" ]; then fail "exit 130 but no checkpoint on the host ($ckpt)"
    elif grep -q 'model-500"' "$ckpt"; then fail "training ended before the stop (checkpoint at epoch 500)"
    elif ! grep -q 'checkpoint saved' "$log" "$log.err"; then fail "exit 130, a checkpoint, but no 'checkpoint saved' in the output"
    else ok; fi
  else fail "$(reason $?)"; fi

  begin "$tag train --resume (to epoch 500)" "$mode-resume"
  if tf1 "$mode-resume" "$IMAGE" train --run-dir "$long" --resume "${device_arg[@]}"; then
    if ! grep -q '^resumed from' "$log"; then fail "exit 0 but it did not resume: $(head -n 3 "$log" | tr '\n' ' ')"
    elif ! grep -q '"epochs": 500,' "$w/runs/long/metrics.json" 2>/dev/null; then fail "exit 0 but runs/long/metrics.json does not say 500 epochs"
    else ok; fi
  else fail "$(reason $?)"; fi

  begin "$tag evaluate --run-dir $long" "$mode-evaluate"
  if tf1 "$mode-evaluate" "$IMAGE" evaluate --run-dir "$long" "${device_arg[@]}"; then
    if [ -f "$w/runs/long/evaluation.json" ]; then ok; cp "$w/runs/long/evaluation.json" "$logs/$mode-evaluation.json"
    else fail "exit 0 but no runs/long/evaluation.json on the host"; fi
  else fail "$(reason $?)"; fi

  local photo_name
  photo_name=$(basename "$PHOTO")
  begin "$tag predict a mounted photo --save-preprocessed /app/out" "$mode-predict"
  if tf1 "$mode-predict" -v "$PHOTO:/photos/$photo_name:ro" "$IMAGE" \
      predict --run-dir "$long" "/photos/$photo_name" --save-preprocessed /app/out "${device_arg[@]}"; then
    if ! grep -q ': sign [0-5]' "$log"; then fail "exit 0 but no prediction line: $(last_line "$log")"
    elif [ -z "$(ls "$w/out"/*.png 2>/dev/null)" ]; then fail "exit 0 but no preprocessed PNG in the mounted out folder"
    else ok; fi
  else fail "$(reason $?)"; fi

  begin "$tag export --run-dir $long (a SavedModel in the mounted exports folder)" "$mode-export"
  if tf1 "$mode-export" "$IMAGE" export --run-dir "$long"; then
    if [ ! -f "$w/exports/signs/1/saved_model.pb" ]; then fail "exit 0 but no exports/signs/1/saved_model.pb on the host"
    elif [ "$mode" = image ] || owner_is "$w/exports/signs/1/saved_model.pb" "$user"; then ok; fi
  else fail "$(reason $?)"; fi

  # What docs/serving.md tells a Docker user: serve --host 0.0.0.0 with the port published.
  local port name=tf1-smoke-$$-$mode-serve answer="" i
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  begin "$tag serve --host 0.0.0.0, -p 127.0.0.1:$port:8000: GET /healthz, POST /api/predict from the host" "$mode-serve"
  containers+=("$name")
  if "$engine" run -d --name "$name" "${run_flags[@]}" "${gpu_flags[@]}" "${user_flag[@]}" "${mounts[@]}" \
      -p "127.0.0.1:$port:8000" "$IMAGE" serve --run-dir "$long" --host 0.0.0.0 --port 8000 "${device_arg[@]}" \
      >"$log" 2>"$log.err"; then
    for i in $(seq 240); do
      if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
        answer=$(curl -sS -F "photo=@$PHOTO" "http://127.0.0.1:$port/api/predict" 2>&1)
        break
      fi
      [ "$("$engine" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || break
      sleep 0.5
    done
    "$engine" logs "$name" >"$log" 2>"$log.err"
    "$engine" rm -f "$name" >/dev/null 2>&1
    if [[ $answer == *'"probabilities"'* ]]; then ok
    elif [ -n "$answer" ]; then fail "the server answered: $answer"
    else fail "no answer on 127.0.0.1:$port after ${i}x0.5 s: $(last_line "$log.err")"; fi
  else fail "$(reason $?)"; fi

  # The run folder as the host sees it, next to datasets/ as in /app; no TF1_COURSE_* variables,
  # so only what the run folder holds says where the data and the checkpoint are.
  begin "$tag host: tf1-course evaluate --run-dir runs/long (the container's run, host venv)" "$mode-host-evaluate"
  local host_tf1=${HOST_TF1_COURSE:-$ROOT/.venv/bin/tf1-course}
  [ -x "$host_tf1" ] || host_tf1=$(command -v tf1-course || true)
  if [ -z "$host_tf1" ]; then fail "no tf1-course on the host: make install (or set HOST_TF1_COURSE)"
  elif (cd "$w" && env -u TF1_COURSE_DATA_DIR -u TF1_COURSE_SIGNS_DIR "$host_tf1" evaluate --run-dir runs/long) \
      >"$log" 2>"$log.err"; then
    local inside outside
    inside=$(grep -o '"test_accuracy": [0-9.]*' "$logs/$mode-evaluation.json" 2>/dev/null)
    outside=$(grep -o '"test_accuracy": [0-9.]*' "$w/runs/long/evaluation.json")
    if [ "$inside" = "$outside" ]; then ok
    else fail "the host says ${outside:-nothing}, the container said ${inside:-nothing}"; fi
  else
    code=$?
    local saved="" f p
    for f in config.json checkpoints/checkpoint; do
      p=$(grep -o '"/app/[^"]*"' "$w/runs/long/$f" 2>/dev/null | head -n 1)
      [ -z "$p" ] || saved="$saved${saved:+; }$f: $p"
    done
    fail "$(reason "$code")${saved:+ [container paths saved in the run: $saved]}"
  fi
}

# --- no mount at all: what a new user types first ---------------------------------------------
zero_mount() {
  local vol=tf1-smoke-$$-runs
  user_flag=() mounts=()
  volumes+=("$vol")
  begin "[no mount] train --epochs 5 (the data in the image)" zero-train
  if tf1 zero-train "$IMAGE" train --epochs 5 "${device_arg[@]}"; then
    if grep -q '^Cost after epoch 0: ' "$log" && grep -q '^Test Accuracy: ' "$log"; then ok
    else fail "exit 0 but no cost line and test accuracy: $(last_line "$log")"; fi
  else fail "$(reason $?)"; fi

  begin "[named volume $vol] train --epochs 5 (the run kept)" zero-keep
  if tf1 zero-keep -v "$vol:/app/runs" "$IMAGE" train --epochs 5 "${device_arg[@]}"; then ok
  else fail "$(reason $?)"; fi

  begin "[named volume] predict, no photo given: the bundled one" zero-predict
  if tf1 zero-predict -v "$vol:/app/runs" "$IMAGE" predict "${device_arg[@]}"; then
    if grep -q 'thumbs_up.jpg: sign [0-5]' "$log"; then ok
    else fail "exit 0 but no prediction of the bundled photo: $(last_line "$log")"; fi
  else fail "$(reason $?)"; fi

  begin "[named volume] evaluate (the run's data is the image's)" zero-evaluate
  if tf1 zero-evaluate -v "$vol:/app/runs" "$IMAGE" evaluate "${device_arg[@]}"; then
    if grep -q '^Test Accuracy: ' "$log"; then ok
    else fail "exit 0 but no test accuracy: $(last_line "$log")"; fi
  else fail "$(reason $?)"; fi
}

zero_mount
case $user_mode in
  both) flow host; flow image ;;
  *) flow "$user_mode" ;;
esac
[ "$failures" = 0 ] || exit 1
