"""Benchmarks: `make bench` runs every `bench_*.py` here and appends to BENCHMARKS.md."""
