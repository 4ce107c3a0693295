"""Publish: snapshots and a SQL shell for analysts; the export to the product database."""
