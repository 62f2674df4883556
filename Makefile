# Two commands do all set-up on a fresh machine:
#   make run    venv + install + build the dataset + train (course defaults) + evaluate + predict
#               (the data ships with the project: tf1_course/data/bundled; IMAGE=photo.jpg predicts yours)
#   make test   venv + install (with the test tools) + the test suite, in a random order
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_DIR ?= runs/signs
IMAGE  ?=
PIP    := $(BIN)/python -m pip -q --disable-pip-version-check
# test order: random, seeded; the seed is printed at the end (replay a failure: make test SEED=N)
SEED   ?=
PYTEST_ARGS ?= -q -p randomly $(if $(SEED),--randomly-seed=$(SEED))

.PHONY: install install-dev data run test wheel-check reproduce docker-smoke clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else \
	  f"make: {sys.executable} is Python {v[0]}.{v[1]}; TensorFlow 2.17 and Ray 2.60 need 3.10 to 3.12: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

data: install
	$(BIN)/tf1-course data build

# The course's run in $(RUN_DIR): started if new, continued if interrupted, kept if finished
# (never overwritten: remove the folder, or pass RUN_DIR=runs/other, to train again).
run: data
	@if [ -f "$(RUN_DIR)/config.json" ]; then $(BIN)/tf1-course train --run-dir $(RUN_DIR) --resume; \
	else $(BIN)/tf1-course train --run-dir $(RUN_DIR); fi
	$(BIN)/tf1-course evaluate --run-dir $(RUN_DIR)
	$(BIN)/tf1-course predict --run-dir $(RUN_DIR) $(IMAGE)

# Every number the course prints beside ours: reports/DATE/REPORT.md (REPRODUCE_ARGS=--quick: a smoke test)
reproduce: data
	$(BIN)/tf1-course reproduce $(REPRODUCE_ARGS)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The wheel outside the checkout: sdist + wheel built, installed into a fresh venv in an empty
# folder, then data build, train --epochs 3 and predict there with no network (CI runs it too).
wheel-check: install-dev
	PYTHON=$(abspath $(BIN))/python scripts/wheel_check.sh

# The Docker image built and run for real with docker or podman (scripts/docker_smoke.sh: build,
# data build, train, docker stop + resume, evaluate, predict, then the run on the host). Not part of
# `make test`: it needs an engine, ~3 GB and a few minutes. SMOKE_ARGS="--device gpu --keep-going" ...
docker-smoke: install
	HOST_TF1_COURSE=$(abspath $(BIN))/tf1-course scripts/docker_smoke.sh $(SMOKE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
