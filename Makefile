# Build, test and edit the report. `make help` lists the targets.
#
#   make report                                   synthetic data -> notebooks/*.ipynb, _output/
#   make report DATA=data/real/x.sav OUT=_output_real
#   make test
#
# The first `make report` / `make test` creates .venv from requirements.txt (once; again only
# when requirements.txt or pyproject.toml change).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python caches compiled modules in __pycache__/ (gitignored): where the environment turns that
# off, every test process and kernel would compile the project's modules again.
unexport PYTHONDONTWRITEBYTECODE

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
ENV_STAMP := $(VENV)/.installed
LAB_VENV  := .venv-lab
LAB_PY    := $(LAB_VENV)/bin/python
LAB_STAMP := $(LAB_VENV)/.installed
# `make ... ENV=active`: use the active environment's python (e.g. the conda environment of
# environment.yml, which has Quarto) instead of creating .venv.
ifeq ($(ENV),active)
PY        := python
PIP       := $(PY) -m pip --disable-pip-version-check
ENV_STAMP :=
LAB_PY    := python
LAB_STAMP :=
endif

DATA ?=
OUT  ?=
JOBS ?= 2
export JOBS

BUILD_ARGS = $(if $(DATA),--data "$(DATA)") $(if $(OUT),--out "$(OUT)") --jobs $(JOBS)

.PHONY: help env lock lint format numerics report test unit-costs test-fast test-slow test-quarto quarto nbval lab bench bench-scale synth validate ci clean distclean

help: ## list the targets
	@echo "Usage: make TARGET [DATA=survey-file] [OUT=output-dir] [JOBS=n]"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'

# .venv holds exactly requirements.lock (every distribution pinned, with hashes). uv installs it
# in seconds; pip bootstraps uv from .ci/uv.lock (hash-checked) on a machine without it.
$(ENV_STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@test -x $(VENV)/bin/uv || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null; \
		$(PIP) install -q --require-hashes --no-deps -r .ci/uv.lock; }
	$(VENV)/bin/uv pip sync -q --compile-bytecode --python $(PY) --require-hashes requirements.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps --no-build-isolation -e .
	@touch $@

UV ?= $(shell command -v uv || echo $(VENV)/bin/uv)
lock: ## regenerate requirements.lock (and .ci/uv.lock) from requirements.txt
	$(UV) pip compile -q requirements.txt --universal --python-version 3.11 --generate-hashes -o requirements.lock
	echo "uv==$$(sed -n 's/^uv==//p' requirements.txt)" | $(UV) pip compile -q - --universal --python-version 3.11 --generate-hashes -o .ci/uv.lock

env: $(ENV_STAMP) ## create .venv with the pinned requirements (done by report/test on first use)

# GNU make itself exits 2 whenever a recipe fails: ./report exits with the build's own status
# (2 invalid data or options, 1 a failing notebook or render, 130 interrupted, 128+N a signal);
# this target names it on its last line.
report: $(ENV_STAMP) ## execute what changed and render _output/report.html + report.pdf [DATA=.. OUT=..]
	@echo "./report $(BUILD_ARGS)"
	@REPORT_PYTHON="$(PY)" ./report $(BUILD_ARGS) || { s=$$?; case $$s in 1) why="a notebook or the rendering failed";; \
		2) why="invalid data, data file, output folder or options; nothing written";; 130) why="interrupted";; \
		*) why="stopped by signal SIG$$(kill -l $$((s - 128)) 2>/dev/null || echo $$((s - 128)))";; esac; \
		echo "make report: build exit status $$s: $$why (./report exits $$s; make exits 2)" >&2; exit $$s; }

LINT_PATHS = src tests scripts index.pct.py notebooks/*.pct.py
lint: $(ENV_STAMP) ## ruff check and ruff format --check (configured in pyproject.toml)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: $(ENV_STAMP) ## ruff format: rewrite the sources in the project's one style
	$(VENV)/bin/ruff format $(LINT_PATHS)

# The fast tests and nbval in one pytest session on the machine's cores (pytest-xdist, up to
# four processes). A test module or a notebook is one unit of work (--dist loadfile: a
# notebook's cells share their kernel, a module's fixtures are built once), handed out as
# processes come free, the costliest first (tests/_unit_order.py, by tests/unit_costs.json).
# (Not loadgroup: pytest-xdist 3.8's groups are lost under pytest 9, which keeps node ids elsewhere.)
# nbval's notebooks write into _output/ and .build/: created first, so tests that watch the
# checkout's top level see nothing appear because of them.
# One BLAS thread per process (unless set), so OpenBLAS's spinning threads do not oversubscribe
# the cores; results do not depend on it (make numerics).
TEST_WORKERS ?= auto
test: $(ENV_STAMP) ## fast tests and nbval on the executed notebooks, in one session on every core
	@mkdir -p _output .build
	OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} $(PY) -m pytest $(NO_PLUGINS) -n $(TEST_WORKERS) --maxprocesses 4 \
		--dist loadfile --no-loadscope-reorder $(NBVAL) -m "not slow" index.ipynb notebooks/ tests

# Plugins a run does not use cost start-up time: nbval (with the coverage and jupyter_client it
# imports) outside `nbval`; typeguard's (installed as a dependency of a dependency) everywhere.
NO_PLUGINS := -p no:typeguard
# nbval's options: each notebook's kernel forked from the build's preload process, as the build
# executes them (reportbuild/nbval_kernels.py; HELPERS_PRELOAD=0: fresh kernels), and the sanitiser
NBVAL := -p reportbuild.nbval_kernels --nbval --nbval-kernel-name python3 --nbval-sanitize-with .ci/nbval-sanitize.cfg
# One serial run of what `make test` runs, each unit's seconds written to tests/unit_costs.json
# (the order make test hands units out in; rerun after adding or much changing a test module),
# each notebook given the one core a make-test process has (HELPERS_MAX_WORKERS=1).
unit-costs: $(ENV_STAMP) ## measure each test module's and notebook's seconds (serial) into tests/unit_costs.json
	@mkdir -p _output .build
	HELPERS_MAX_WORKERS=1 OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} $(PY) -m pytest $(NO_PLUGINS) -q $(NBVAL) -m "not slow" \
		--write-unit-costs tests/unit_costs.json index.ipynb notebooks/ tests

test-fast: $(ENV_STAMP) ## only the fast tests
	$(PY) -m pytest $(NO_PLUGINS) -p no:nbval -m "not slow" tests

nbval: $(ENV_STAMP) ## only re-execute the notebooks and compare with their stored outputs
	$(PY) -m pytest $(NO_PLUGINS) $(NBVAL) index.ipynb notebooks/

test-slow: $(ENV_STAMP) ## the slow (simulation) tests
	$(PY) -m pytest $(NO_PLUGINS) -p no:nbval -m slow tests

test-quarto: $(ENV_STAMP) ## render with the quarto on PATH and compare with the built-in renderer (~2 min)
	@command -v quarto >/dev/null || { echo "test-quarto: no quarto on PATH (see README, Rendering with Quarto)"; exit 2; }
	$(PY) -m pytest -m slow tests/test_quarto_render.py

# Optional: Quarto from PyPI for online users. quarto-cli's build step downloads the Quarto
# binary from GitHub; offline it fails, and this target says so (never in requirements.txt).
QUARTO_CLI := quarto-cli>=1.9.18
quarto: $(ENV_STAMP) ## optional: install Quarto into .venv from PyPI (quarto-cli; needs access to GitHub)
	@if $(PY) -m pip --version >/dev/null 2>&1; then inst="$(PY) -m pip install -q"; \
	else inst="uv pip install -q --python $(PY)"; fi; \
	$$inst "$(QUARTO_CLI)" || { \
	  echo "make quarto: could not install $(QUARTO_CLI): it downloads the Quarto binary from GitHub at"; \
	  echo "install time, and that download failed (offline?). Install Quarto >= 1.9.18 yourself"; \
	  echo "(https://quarto.org, or conda-forge 'quarto'); make report uses any quarto on PATH."; exit 1; }
	@echo "installed: $$($(VENV)/bin/quarto --version) in $(VENV)/bin (activate .venv or add it to PATH)"

# JupyterLab lives in its own environment; its kernel (named python3, as in the notebooks) runs
# .venv's interpreter, so notebooks see exactly the packages the build uses.
$(LAB_STAMP): $(ENV_STAMP) requirements-lab.txt requirements.txt
	@test -x $(LAB_PY) || { echo "creating $(LAB_VENV)"; $(PYTHON) -m venv $(LAB_VENV); }
	$(LAB_PY) -m pip --disable-pip-version-check install -q -r requirements-lab.txt -c requirements.txt
	$(PY) -m ipykernel install --prefix $(CURDIR)/$(LAB_VENV) --name python3 --display-name "Python 3" >/dev/null
	@touch $@

# Notebooks open without a kernel: a kernel start writes the interpreter's version into the
# notebook's metadata, which would mark every notebook modified on opening.
lab: $(LAB_STAMP) ## JupyterLab (in .venv-lab); index.pct.py, notebooks/*.pct.py open as notebooks (Jupytext), with their outputs
	@mkdir -p .build/lab/settings/@jupyterlab/docmanager-extension .build/lab/config/jupytext
	@printf '{\n  "defaultViewers": {"python": "Jupytext Notebook"}\n}\n' \
		> .build/lab/settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings
	@printf '# make lab: the .py is the source; its executed .ipynb is newer by design\noutdated_text_notebook_margin = inf\n' \
		> .build/lab/config/jupytext/jupytext.toml
	XDG_CONFIG_HOME=$(CURDIR)/.build/lab/config JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.build/lab/settings \
		$(LAB_PY) -m jupyterlab --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks \
		--LabApp.notebook_starts_kernel=False \
		$(if $(filter 0,$(shell id -u)),--allow-root)

numerics: $(ENV_STAMP) ## build under perturbed numerics (SIMD levels off, 1 BLAS thread); must equal the committed notebooks
	$(PY) scripts/check_numerics.py

bench: $(ENV_STAMP) ## time a clean build, a no-op build, make test, a serial baseline, the specification grid; validation of 200,000 rows; 409 vs 5,000-row builds
	$(PY) scripts/bench.py
	$(PY) scripts/grid_bench.py
	$(PY) scripts/bench_validate.py
	$(PY) scripts/bench_scale.py --shape both

bench-scale: $(ENV_STAMP) ## whole-report build time and peak memory at 409 and 5,000 rows, and their ratio (target <= 2x)
	$(PY) scripts/bench_scale.py --shape $(or $(SHAPE),both)

synth: $(ENV_STAMP) ## regenerate data/synthetic/ from its seed
	$(PY) -m helpers synth

validate: $(ENV_STAMP) ## check a survey export and print how it was read: make validate DATA=file [OUT=dir]
	@test -n "$(DATA)" || { echo "usage: make validate DATA=path/to/export [OUT=dir]"; exit 2; }
	$(PY) -m helpers validate $(if $(OUT),--out "$(OUT)") "$(DATA)"

ci: ## what CI runs (.ci/run): make test, make report, check the outputs
	.ci/run

clean: ## remove outputs and every cache (_output, _output_real, .build, OUT/.build, __pycache__); keeps .venv
	rm -rf _output _output_real .build .pytest_cache
	$(if $(OUT),rm -rf "$(OUT)/.build")
	find . \( -path ./$(VENV) -o -path ./$(LAB_VENV) \) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean ## clean, and remove .venv and .venv-lab
	rm -rf $(VENV) $(LAB_VENV)
