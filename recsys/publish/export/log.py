"""The export log kept in the product database: one row per export or rollback.

`version` is the version live once the entry succeeded: an export's version is its own id, an
unchanged export names the live version it matched, a rollback names the version it restored.
`replaced_version` is the version it displaced, kept as the __previous tables. The latest entry with
status succeeded or rolled_back therefore names the live and the previous version, and it is
written in the same transaction as the table swap.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from recsys.publish.export.checksum import Checksum

LOG_TABLE = "export_log"
EXPORT, ROLLBACK = "export", "rollback"
RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
ABANDONED, UNCHANGED, ROLLED_BACK = "abandoned", "unchanged", "rolled_back"
LIVE_STATUSES = (SUCCEEDED, ROLLED_BACK)
ABANDONED_MESSAGE = "the process stopped before finishing; cleaned up by the next run"

COLUMNS = (
    "id",
    "operation",
    "status",
    "version",
    "replaced_version",
    "warehouse",
    "model_versions",
    "row_counts",
    "checksums",
    "copy_seconds",
    "swap_lock_ms",
    "started_at",
    "finished_at",
    "message",
)


@dataclass(frozen=True)
class LogEntry:
    """One row of export_log."""

    id: int
    operation: str
    status: str
    version: int | None
    replaced_version: int | None = None
    warehouse: str | None = None
    model_versions: dict[str, list[int]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, dict[str, Any]] = field(default_factory=dict)
    copy_seconds: float | None = None
    swap_lock_ms: float | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    message: str | None = None

    def checksum(self, table: str) -> Checksum | None:
        terms = self.checksums.get(table)
        return Checksum(terms) if terms is not None else None

    @classmethod
    def from_row(cls, row: tuple) -> LogEntry:
        """From a row of the COLUMNS, whether the driver parsed JSON and timestamps or not."""
        values = dict(zip(COLUMNS, row, strict=True))
        for name in ("model_versions", "row_counts", "checksums"):
            raw = values[name]
            values[name] = json.loads(raw) if isinstance(raw, str) else (raw or {})
        for name in ("started_at", "finished_at"):
            if isinstance(values[name], str):
                values[name] = dt.datetime.fromisoformat(values[name])
        return cls(**values)


@dataclass(frozen=True)
class NewEntry:
    """The log row an export or rollback writes when it starts."""

    operation: str
    status: str
    warehouse: str | None
    model_versions: dict[str, list[int]]
    row_counts: dict[str, int]
    checksums: dict[str, dict[str, Any]]
    version: int | None = None
    replaced_version: int | None = None
    message: str | None = None

    def params(self) -> list[Any]:
        return [
            self.operation,
            self.status,
            self.version,
            self.replaced_version,
            self.warehouse,
            json.dumps(self.model_versions),
            json.dumps(self.row_counts),
            json.dumps(self.checksums),
            self.message,
        ]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
