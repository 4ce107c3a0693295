"""Why an export or a rollback did not happen. In every case the product keeps what it served."""

from __future__ import annotations


class ExportError(RuntimeError):
    """The export or rollback stopped; the product database still serves its previous version."""


class ExportRefused(ExportError):
    """The tables must not reach the product (empty, wrong schema, nulls, failed upstream checks).

    Raised before the product database is opened, so it is left exactly as it was.
    """


class ExporterBusy(ExportError):
    """Another export or rollback holds the product database's export lock."""


class NoPreviousVersion(ExportError):
    """A rollback was asked for but the product database keeps no previous version."""
