# Everything a bare machine (python3 + make) needs; the project's own virtual environment in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.homekit-installed
DEMO_DATA ?= example_data
REPORTS   ?= reports
JOBS      ?= 2

.PHONY: venv demo test lab templates clean bench

venv: $(STAMP)

# (ipykernel stages its kernel spec in a temporary folder that it leaves behind, empty, and IPython
# makes a profile folder in the user's home: both get a temporary folder, removed afterwards)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	tmp=$$(mktemp -d) && TMPDIR=$$tmp IPYTHONDIR=$$tmp/ipython $(BIN)/python -m ipykernel install --sys-prefix --name homekit --display-name "homekit" >/dev/null; \
	  status=$$?; rm -rf "$$tmp"; exit $$status
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/homekit example-data $(DEMO_DATA) --overwrite
	$(BIN)/homekit validate $(DEMO_DATA)
	$(BIN)/homekit run --data-dir $(DEMO_DATA) --output-dir $(REPORTS) --jobs $(JOBS) --overwrite

test: $(STAMP)
	$(BIN)/python -m pytest -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

templates: $(STAMP)
	$(BIN)/homekit templates data_templates

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(REPORTS) $(DEMO_DATA) .pytest_cache
