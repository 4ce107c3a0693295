"""Ingest: the landing contract and loading landing files into the raw schema."""
