# Fahrplan: two commands on a fresh machine.
#   make run   Temporal dev server + UI (:8233), worker and API (:8000) on the embedded defaults
#   make test  the test suite (time-skipping Temporal test server, SQLite and PostgreSQL)
# Both set themselves up first: virtual environment, dependencies, Graphviz.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test lint fuzz setup lock graphviz chromium diagrams demo bench bench-quick histories screenshots clean

# Playwright drives Debian's chromium (executable_path); it must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# The exact releases of constraints.txt: a fresh machine installs what CI tested, never whatever
# was published since (`make lock` moves them on, deliberately, in a commit of its own).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt -e '.[test,tracing]'
	touch $(STAMP)

# constraints.txt anew: the newest releases that pyproject.toml admits, resolved in a scratch
# environment; then `make test` (tests/test_constraints.py checks the file against pyproject.toml).
LOCK_VENV := var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[test,tracing]'
	{ sed -n '/^#/p' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installing Graphviz (renders the training diagrams)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends graphviz fonts-dejavu-core >/dev/null; }

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium (browser tests of the pages)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

setup: $(STAMP) graphviz chromium

run: setup
	$(BIN)/fahrplan up

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Schemathesis against the real API (uvicorn, Temporal test server, worker), on SQLite and on
# PostgreSQL (FAHRPLAN_TEST_POSTGRES) at the same time: each run waits on its server far more than
# it computes (one schemathesis worker each, tests/fuzz/fuzz_api.py). README "Input limits and fuzzing".
FUZZ = $(BIN)/pytest -q -s -p no:cacheprovider tests/fuzz/fuzz_api.py::test_fuzz_every_endpoint
fuzz: setup
	@logs=$$(mktemp -d); \
	$(FUZZ)[sqlite] > $$logs/sqlite.log 2>&1 & sqlite=$$!; \
	$(FUZZ)[postgresql] > $$logs/postgresql.log 2>&1; postgresql=$$?; \
	wait $$sqlite; sqlite=$$?; \
	cat $$logs/sqlite.log $$logs/postgresql.log; rm -r $$logs; \
	echo "fuzz: sqlite exit $$sqlite, postgresql exit $$postgresql"; \
	test $$sqlite -eq 0 -a $$postgresql -eq 0

# PNGs of the pages for the README, taken by the browser tests that call tests.browser_support.screenshot.
screenshots: setup
	FAHRPLAN_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -m browser -p no:cacheprovider

diagrams: setup
	$(BIN)/fahrplan diagrams

demo: setup
	$(BIN)/fahrplan demo

bench: setup
	$(BIN)/python bench/transitions.py

# Every bench with a goal still runs end to end: small sizes, SQLite, the ratios no measurement (CI).
bench-quick: setup
	$(BIN)/python bench/report.py --quick --logs var/bench-quick

# Re-record tests/histories (replayed by tests/test_replay.py): only after a deliberate, patched change.
histories: setup
	$(BIN)/python -m tests.histories.record

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
