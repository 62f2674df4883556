# tf1-course in a container: the GPU image (default) and the CPU image, from this one file.
#
#   docker build -t tf1-course:gpu .                        # runs with: docker run --gpus all ...
#   docker build -t tf1-course:cpu --build-arg DEVICE=cpu .
#
# podman 4.3 (buildah 1.28, Debian 12) needs --build-arg DEVICE=gpu spelled out for the GPU image:
# it skips the base-gpu stage when DEVICE comes from the default below (buildah issue 4312). Users'
# guide: docs/docker.md; the whole flow, built and run for real: scripts/docker_smoke.sh.
#
# TF_VERSION: the official image tag, kept inside requirements.txt's tensorflow range by
# tests/test_docker.py. 2.17.0 because from 2.18 on the official -gpu images ship cuDNN 8.9 while
# their TensorFlow needs cuDNN 9, so TensorFlow there sees no GPU (tensorflow/build issue 221);
# 2.17.0-gpu sees it. Patch releases often have no image: pin a tag that exists.
ARG TF_VERSION=2.17.0
ARG DEVICE=gpu

FROM tensorflow/tensorflow:${TF_VERSION}-gpu AS base-gpu
FROM tensorflow/tensorflow:${TF_VERSION} AS base-cpu

# Both stages above are tagged; hadolint cannot see through the ARG in a stage name (DL3006).
# hadolint ignore=DL3006
FROM base-${DEVICE}
ARG TF_VERSION

# A training run stops like Ctrl-C on `docker stop`: it finishes the epoch and saves a checkpoint.
STOPSIGNAL SIGINT

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The project's other requirements, keeping the base image's TensorFlow (docker/keep_base_tf.py:
# pip gets the installed TensorFlow as requirement and constraint, and the build fails if
# tf.__version__ is then not TF_VERSION).
COPY requirements.txt docker/keep_base_tf.py /tmp/deps/
RUN python3 /tmp/deps/keep_base_tf.py pin /tmp/deps/requirements.txt /tmp/deps/pinned \
 && python3 -m pip install --no-cache-dir \
        -r /tmp/deps/pinned/requirements.txt -c /tmp/deps/pinned/constraints.txt \
 && python3 /tmp/deps/keep_base_tf.py check /tmp/deps/pinned/constraints.txt "${TF_VERSION}" \
 && rm -rf /tmp/deps

# The package itself (its dependencies are all in place: --no-deps).
COPY . /opt/tf1-course
RUN python3 -m pip install --no-cache-dir --no-deps /opt/tf1-course \
 && tf1-course --version

# The data ships with the package (tf1_course/data/bundled): the h5 files are built from it here,
# so `docker run IMAGE train` needs no mount at all. A non-root user. The image's
# /etc/bash.bashrc runs ldconfig, which fails for non-root users: the entrypoint is tf1-course
# itself, never a shell. MPLCONFIGDIR is writable for any --user. The volumes are what a container
# leaves behind when they are mounted: the runs, /app/exports for `export`'s SavedModels, and
# /app/out for files you ask for (predict --save-preprocessed /app/out); mount your own datasets/
# over /app/datasets to use other data.
RUN groupadd --gid 1000 learner \
 && useradd --create-home --uid 1000 --gid 1000 learner \
 && mkdir -p /app/runs /app/exports /app/out \
 && tf1-course data build --out /app/datasets \
 && chown -R learner:learner /app
ENV HOME=/home/learner \
    MPLCONFIGDIR=/tmp/matplotlib \
    TF1_COURSE_DATA_DIR=/app/datasets
USER 1000:1000
WORKDIR /app
VOLUME ["/app/runs", "/app/exports", "/app/out"]

ENTRYPOINT ["tf1-course"]
CMD ["--help"]
