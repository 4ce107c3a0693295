"""Batch export of the recommendation tables to the product database (SQLite or PostgreSQL).

In the product database (PostgreSQL: the URL's `?schema=`, default `recommendations`):
- `<table>` for each table of tables.py (the five recommendation tables, and
  `reader_recent_posts`, each reader's latest opened posts, derived from the events at export
  time; its count per reader is `product_tables(n)`): the spec's columns NOT NULL, plus
  `export_version`, the version of the export that wrote the row; primary key
  `<table>__v<version>_pkey` and the spec's indexes.
- `<table>__previous`: the version the last swap displaced, what a rollback restores.
- `export_log`: one row per export or rollback (log.py); the latest succeeded or rolled_back row
  names the live and the previous version, with row counts, checksums and model versions.
- transient: `<table>__staging` (being loaded) and `<table>__retired` (dropped right after a
  swap); a killed run's leftovers are dropped by the next run.
A reader that needs one consistent version reads in one transaction (PostgreSQL: REPEATABLE READ
that first takes ACCESS SHARE locks on the tables, or a single statement) and can check that every
row carries the same export_version and that the counts match export_log.

No Dagster here, and nothing heavy at import: DuckDB and the database drivers load when an export,
rollback or status call needs them.
"""

from recsys.publish.export.errors import ExporterBusy, ExportError, ExportRefused, NoPreviousVersion
from recsys.publish.export.results import ExportResult, ExportStatus, TableReport
from recsys.publish.export.run import (
    export_recommendations,
    export_status,
    rollback_recommendations,
)
from recsys.publish.export.tables import TABLES, VERSION_COLUMN, TableSpec, product_tables
from recsys.publish.export.target import mask_url, parse_target, sqlite_url

__all__ = [
    "TABLES",
    "VERSION_COLUMN",
    "ExportError",
    "ExportRefused",
    "ExportResult",
    "ExportStatus",
    "ExporterBusy",
    "NoPreviousVersion",
    "TableReport",
    "TableSpec",
    "export_recommendations",
    "export_status",
    "mask_url",
    "parse_target",
    "product_tables",
    "rollback_recommendations",
    "sqlite_url",
]
