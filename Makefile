# Two commands do all set-up on a fresh machine:
#   make run    venv + install + build the dataset + train (course defaults) + evaluate + predict
#   make test   venv + install + the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_DIR ?= runs/signs
IMAGE  ?= ../shared/images/thumbs_up.jpg
PIP    := $(BIN)/python -m pip -q --disable-pip-version-check

.PHONY: install data run test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

install: $(VENV)/.installed

data: install
	$(BIN)/tf1-course data build

run: data
	$(BIN)/tf1-course train --run-dir $(RUN_DIR) --overwrite
	$(BIN)/tf1-course evaluate --run-dir $(RUN_DIR)
	@if [ -f "$(IMAGE)" ]; then $(BIN)/tf1-course predict --run-dir $(RUN_DIR) "$(IMAGE)"; \
	else echo "no $(IMAGE): predict on your own photo with: $(BIN)/tf1-course predict PHOTO.jpg"; fi

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
