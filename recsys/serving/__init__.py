"""Serving: ANN indexes, recommendation tables, their ranking rule and invariants, search."""
