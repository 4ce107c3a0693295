"""The scoring shards resource: where each user shard writes its Parquet parts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class ScoringShards(dg.ConfigurableResource):
    """Folder of the shards' parts (recsys.serving.shards.part_path lays it out). On Kubernetes
    every shard pod and the assembling step mount it."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)
