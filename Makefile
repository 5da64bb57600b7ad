# `make demo` and `make test` set everything up on a fresh machine, then run.
VENV := .venv
STAMP := $(VENV)/.setup-done
SAMPLE := samples/sample-visit/visit.mp3
DEMO_VISIT := build/sample-visit

.PHONY: demo test setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(VENV)/bin/visit process $(SAMPLE) --out $(DEMO_VISIT)

test: setup
	$(VENV)/bin/python -m pytest

clean:
	rm -rf build .pytest_cache
