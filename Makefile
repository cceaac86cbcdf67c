# The two commands of README.md.  Everything else is an implementation detail.
.PHONY: course test decks release clean-notebooks

export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export KERAS_BACKEND := tensorflow

## make course: install everything and open JupyterLab on the lecture notebooks
course:
	bash scripts/setup.sh
	.venv/bin/jupyter lab notebooks/

## make test: install what the tests need and run the whole test suite
test:
	bash scripts/setup.sh --test
	# one BLAS thread per test worker: two workers on two cores, no oversubscription
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## make decks: export every lecture as an offline reveal.js deck into decks/
decks:
	bash scripts/setup.sh
	.venv/bin/coursekit decks

## make release: nbgrader student release of the six assignments into grading/release/
release:
	bash scripts/setup.sh
	.venv/bin/coursekit release

clean-notebooks:
	.venv/bin/python scripts/clean_notebooks.py
