# The commands of README.md.  Everything else is an implementation detail.
.PHONY: course test test-fast decks release hub clean-notebooks

# One BLAS thread per test worker: two workers on two cores, no oversubscription.
PYTEST = OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python -m pytest -n 2 --dist loadgroup

## make course: install everything and open JupyterLab on the course (= coursekit course, see coursekit/course.py)
course:
	bash scripts/setup.sh
	.venv/bin/coursekit course

## make test: install what the tests need, lint, and run the whole test suite (what CI runs)
test:
	bash scripts/setup.sh --test
	.venv/bin/ruff check .
	$(PYTEST) $(PYTEST_ARGS)

## make test-fast: lint and the tests not marked slow or browser (under two minutes)
test-fast:
	bash scripts/setup.sh --test
	.venv/bin/ruff check .
	$(PYTEST) -m "not slow and not browser" $(PYTEST_ARGS)

## make decks: export every lecture as an offline reveal.js deck into decks/
decks:
	bash scripts/setup.sh
	.venv/bin/coursekit decks

## make release: nbgrader student release of the six assignments into grading/release/
release:
	bash scripts/setup.sh
	.venv/bin/coursekit release

## sudo make hub ROSTER=class.csv: a course server for a class (= coursekit hub setup + start; README "Run a class")
hub:
	$(if $(ROSTER),,$(error name the class list: sudo make hub ROSTER=class.csv (columns username,role,name)))
	bash scripts/setup.sh --hub
	.venv/bin/coursekit hub setup $(ROSTER)
	.venv/bin/coursekit hub start $(HUB_ARGS)

clean-notebooks:
	.venv/bin/python scripts/clean_notebooks.py
