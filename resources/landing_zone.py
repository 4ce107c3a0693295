"""The landing zone resource: the folder where the platform delivers its files."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class LandingZone(dg.ConfigurableResource):
    """Root folder of the landing contract (see recsys.ingest.landing and the README)."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)
