"""Benchmarks: each stage of the pipeline timed against a bare baseline measured in the same run."""
