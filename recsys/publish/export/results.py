"""What an export, a rollback or a status call reports back (URLs masked)."""

from __future__ import annotations

from dataclasses import dataclass, field

from recsys.publish.export.log import LogEntry


@dataclass(frozen=True)
class TableReport:
    """One table's copy: rows, and seconds spent copying, adding keys, verifying the checksum."""

    rows: int
    copy_seconds: float
    keys_seconds: float
    verify_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.copy_seconds if self.copy_seconds else 0.0


@dataclass(frozen=True)
class ExportResult:
    """What an export or rollback did; `url` is masked. `tables` is empty unless rows moved."""

    status: str
    version: int
    replaced_version: int | None
    entry_id: int
    url: str
    row_counts: dict[str, int]
    model_versions: dict[str, list[int]]
    tables: dict[str, TableReport] = field(default_factory=dict)
    copy_seconds: float = 0.0
    swap_lock_ms: float = 0.0
    cleaned: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportStatus:
    """The live and previous versions, recent log entries and any leftovers of a killed run."""

    url: str
    live: LogEntry | None
    entries: list[LogEntry]
    leftovers: list[str]

    @property
    def previous_version(self) -> int | None:
        return self.live.replaced_version if self.live else None
