# kexplore: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check bench screenshots lint clean

$(STAMP): pyproject.toml
	@echo "kexplore: installing into $(VENV), about a minute the first time"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kexplore --demo

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

check: test
	$(VENV)/bin/ruff check kexplore tests bench
	$(VENV)/bin/ruff format --check kexplore tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench.run

screenshots: $(STAMP)
	$(PY) -m kexplore.ui.screenshots screenshots

clean:
	rm -rf $(VENV) build *.egg-info
