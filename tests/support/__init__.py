"""Test fixtures shared by the tests and the benchmarks (not part of the coursekit package)."""
