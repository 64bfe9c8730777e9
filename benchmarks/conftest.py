"""Benchmark fixtures: inputs are built once per shape, outside every timed region."""
