# attnlab: two commands do everything from a fresh machine with Python 3.11.
#   make book   set up, execute every notebook (PROFILE=quick), build the site into _build/html
#   make test   set up, lint, unit tests, every notebook as a test, build with -W, check the site
# `make help` lists every target and variable.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PROFILE ?= quick
SEEDS ?= 0 1 2
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX := book/_static/mathjax/tex-mml-chtml.js
export ATTNLAB_CACHE ?= $(CURDIR)/_build/cache
export PYTHONUNBUFFERED := 1
# OpenMP (libgomp) threads spin a bounded 10,000 iterations, then sleep, while they wait
# (benchmarks/bench_threads.py, results on the Performance page): on a nearly idle 2-core machine
# a page-12 training step ran as fast as with OMP_WAIT_POLICY=ACTIVE (PASSIVE: 1.26x slower), and
# with a second job on the cores about 4x faster than ACTIVE, though about 2x slower than PASSIVE.
# On a machine busy with other work, run with OMP_WAIT_POLICY=PASSIVE (and GOMP_SPINCOUNT=0).
export GOMP_SPINCOUNT ?= 10000
# The tests run on both cores as two pytest workers, one torch thread each (tests/conftest.py): two
# small pages at once use the cores better than one page's two threads. Notebooks go first, the
# most planned training first, one test at a time per worker. WORKERS=0: one process.
WORKERS ?= 2
PYTEST_WORKERS := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist load --maxschedchunk 1)

.PHONY: help setup execute html book verify lab test lint unit smoke notebooks browser site-check serve bench clean

help: ## list the targets and variables
	@echo "make TARGET [PROFILE=quick|laptop|paper] [SEEDS='0 1 2'] [REPLACE=1] [WORKERS=2]"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys, venv, ensurepip' 2>/dev/null || { \
	  echo "Python's venv module is missing: on Debian, apt-get install python3.11-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,dev,cluster]"
	touch $@

# MathJax 3 ships inside the pinned django-static-mathjax wheel; the site serves it itself.
$(MATHJAX): $(STAMP)
	rm -rf book/_static/mathjax
	cp -r "$$($(PY) -c 'import mathjax, pathlib; print(pathlib.Path(mathjax.__file__).parent / "static/mathjax/es5")')" book/_static/mathjax

# Outputs never reach a commit: .gitattributes sends notebooks/*.ipynb through the `nbstripout`
# git filter, whose command lives in the clone's own git config (never cloned), so setup writes it
# every time. The path is relative: git runs filters at the top of the working tree, so every
# clone or worktree strips with its own .venv. Cell ids are kept (jupytext pairs cells by them);
# the kernel's language_info that JupyterLab adds on save goes (as in attnlab.book.lab). The index
# is then refreshed with an identity filter: in a fresh clone every entry is "racily clean", so
# each `git status` (a page's provenance asks it) would run nbstripout on all 16 notebooks (about
# 60 s) until the index was rewritten. A notebook holding outputs still goes through nbstripout.
setup: $(STAMP) $(MATHJAX) ## create .venv with the exact pins of constraints.txt; install the git filter
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '.venv/bin/python -m nbstripout --keep-id'; \
	  git config filter.nbstripout.smudge cat; \
	  git config filter.nbstripout.required true; \
	  git config filter.nbstripout.extrakeys metadata.language_info; \
	  git -c filter.nbstripout.clean=cat update-index -q --refresh >/dev/null || true; \
	fi

execute: setup ## execute the notebooks that changed (PROFILE) into executed/
	$(PY) -m attnlab.book.execute --profile $(PROFILE)

html: setup ## build the site from executed/ into _build/html (-W --keep-going)
	@start=$$(date +%s); \
	$(VENV)/bin/jupyter-book build . --all -W --keep-going --quiet; \
	echo "site built in $$(( $$(date +%s) - start )) s"

book: execute html ## the book: execute (PROFILE) and build the site
	@echo "The book: $(CURDIR)/_build/html/index.html  (make serve to browse it)"

# Every page with each of SEEDS (results kept apart by seed; seed 0's executed copies are the
# site's), then the claims ledger for all of them; fails if a claim fails or its worst margin
# across the seeds is under 10%.
verify: setup ## every page with each of SEEDS, then the claims ledger; fails on a tight claim
	@start=$$(date +%s); \
	for s in $(SEEDS); do \
	  echo "== seed $$s"; $(PY) -m attnlab.book.execute --profile $(PROFILE) --seed $$s; \
	done; \
	$(PY) -m attnlab.book.execute --profile $(PROFILE) --seed 0 95_claims; \
	$(PY) -m attnlab.book.ledger --profile $(PROFILE) --seeds $(SEEDS); \
	echo "make verify: seeds $(SEEDS), profile $(PROFILE), passed in $$(( $$(date +%s) - start )) s"

# JupyterLab opens the notebooks/*.py sources as notebooks (jupytext's contents manager and
# default viewer), in the project's own environment and kernel; no news or update checks. Saving
# writes the paired .ipynb without outputs (attnlab.book.lab), as git commits it. LAB_PORT picks
# the port (default: 8888 or the next free one); LAB_ARGS go to jupyter lab as they are.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
LAB_PORT ?=
LAB_ARGS ?=
lab: setup ## JupyterLab at the repository; notebooks/*.py open as notebooks, saved without outputs
	@mkdir -p $(dir $(LAB_SETTINGS))
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}},' \
	  '"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $(LAB_SETTINGS)
	$(VENV)/bin/jupyter lab --notebook-dir=$(CURDIR) --ServerApp.open_browser=$${ATTNLAB_LAB_BROWSER:-True} \
	  --ServerApp.ip=127.0.0.1 --LabApp.extension_manager=readonly $$([ "$$(id -u)" = 0 ] && echo --allow-root) \
	  --ServerApp.contents_manager_class=attnlab.book.lab.StrippedNotebookManager \
	  $(if $(LAB_PORT),--ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0) $(LAB_ARGS)

lint: setup ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: setup ## unit tests only
	$(VENV)/bin/pytest -m "not notebook and not smoke" --ignore=tests/site

smoke: setup ## smoke-run the laptop and paper profiles of every training page (2 steps each)
	$(VENV)/bin/pytest -m smoke tests/book/test_profiles_start.py --durations=0

notebooks: setup ## every notebook as a test (quick profile)
	$(VENV)/bin/pytest -m notebook --ignore=tests/site --durations=0 $(PYTEST_WORKERS)

# Debian's Chromium for the browser checks of the site (no browser download: the registry's).
browser: ## install Debian's chromium for the browser checks (root), or say how
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make test needs chromium for its browser checks; install it first: sudo apt-get install chromium"; exit 1; fi; }

site-check: setup browser ## static and browser checks of the built site
	$(VENV)/bin/pytest tests/site

test: browser setup ## the tests: lint, unit tests, every notebook, site build with -W, site checks
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint; \
	$(VENV)/bin/pytest -m "not smoke" --ignore=tests/site --durations=15 $(PYTEST_WORKERS); \
	$(MAKE) --no-print-directory html; \
	$(MAKE) --no-print-directory site-check; \
	echo "make test: passed in $$(( $$(date +%s) - start )) s"

serve: ## serve the built site on http://127.0.0.1:8000
	@test -f _build/html/index.html || { echo "no site yet: run make book first"; exit 1; }
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _build/html

bench: setup ## run the benchmarks into _build/bench/<time>/ (REPLACE=1: the committed results)
	@if [ "$(REPLACE)" = 1 ]; then out=$(CURDIR)/benchmarks/results; \
	else out=$(CURDIR)/_build/bench/$$(date +%Y%m%d-%H%M%S); fi; \
	ATTNLAB_BENCH_RESULTS=$$out $(PY) benchmarks/run_all.py; \
	echo "results in $$out (the Performance page reads benchmarks/results: make bench REPLACE=1)"

clean: ## remove _build, executed/ and the copied MathJax
	rm -rf _build executed book/_static/mathjax
