# attnlab: two commands do everything from a fresh machine with Python 3.11.
#   make book   set up, execute every notebook (PROFILE=quick), build the site into _build/html
#   make test   set up, lint, unit tests, every notebook as a test, build with -W, check the site
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PROFILE ?= quick
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX := book/_static/mathjax/tex-mml-chtml.js
export ATTNLAB_CACHE ?= $(CURDIR)/_build/cache
export PYTHONUNBUFFERED := 1

SEEDS ?= 0 1 2

.PHONY: setup execute html book verify test lint unit notebooks browser site-check serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[book,dev]"
	touch $@

# MathJax 3 ships inside the pinned django-static-mathjax wheel; the site serves it itself.
$(MATHJAX): $(STAMP)
	rm -rf book/_static/mathjax
	cp -r "$$($(PY) -c 'import mathjax, pathlib; print(pathlib.Path(mathjax.__file__).parent / "static/mathjax/es5")')" book/_static/mathjax

setup: $(STAMP) $(MATHJAX)

execute: setup
	$(PY) -m attnlab.execute --profile $(PROFILE)

html: setup
	@start=$$(date +%s); \
	$(VENV)/bin/jupyter-book build . --all -W --keep-going --quiet; \
	echo "site built in $$(( $$(date +%s) - start )) s"

book: execute html
	@echo "The book: $(CURDIR)/_build/html/index.html  (make serve to browse it)"

# Every page with each of SEEDS (results kept apart by seed; seed 0's executed copies are the
# site's), then the claims ledger for all of them; fails if a claim fails or its worst margin
# across the seeds is under 10%.
verify: setup
	@start=$$(date +%s); \
	for s in $(SEEDS); do \
	  echo "== seed $$s"; $(PY) -m attnlab.execute --profile $(PROFILE) --seed $$s; \
	done; \
	$(PY) -m attnlab.execute --profile $(PROFILE) --seed 0 95_claims; \
	$(PY) -m attnlab.ledger --profile $(PROFILE) --seeds $(SEEDS); \
	echo "make verify: seeds $(SEEDS), profile $(PROFILE), passed in $$(( $$(date +%s) - start )) s"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: setup
	$(VENV)/bin/pytest -m "not notebook" --ignore=tests/site

notebooks: setup
	$(VENV)/bin/pytest -m notebook --ignore=tests/site --durations=0

# Debian's Chromium for the browser checks of the site (no browser download: the registry's).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and installing it needs root: apt-get install chromium"; fi; }

site-check: setup browser
	$(VENV)/bin/pytest tests/site

test: setup
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint; \
	$(VENV)/bin/pytest --ignore=tests/site --durations=15; \
	$(MAKE) --no-print-directory html; \
	$(MAKE) --no-print-directory site-check; \
	echo "make test: passed in $$(( $$(date +%s) - start )) s"

serve:
	@test -f _build/html/index.html || { echo "no site yet: run make book first"; exit 1; }
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _build/html

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf _build executed book/_static/mathjax
