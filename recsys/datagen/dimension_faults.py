"""Faults on demand in the dimension deliveries: users, creators, posts or subscriptions.

Each fault rewrites the damaged table's delivered file atomically (temporary file renamed into
place), so the defect arrives as a regular, complete delivery. The events and the other dimension
tables are never written.

Faults (DIMENSION_FAULTS), each caught at the load of its table:
- duplicate_users: a share of the users delivered twice in users.parquet (same row, same user_id),
  as a fanned-out join in the producer's export would.
- null_post_creators: creator_id set to null on a share of posts (e.g. creators whose account was
  deleted upstream).
- unknown_subscription_tier: tier UNKNOWN_TIER, a tier the contract does not know, on a share of
  subscriptions.
- creators_missing_column: the creators delivery without its category column.
- creators_wrong_types: created_at written as ISO-8601 text instead of a Parquet timestamp.
- header_only_dimension: the users delivery replaced by users.csv holding the header row alone
  (an export whose query returned nothing).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recsys.datagen.faults import choose_rows, replace_rows
from recsys.datagen.files import write_parquet
from recsys.ingest.landing import CREATORS, POSTS, SUBSCRIPTIONS, USERS, TableContract, data_files

# The table each fault damages.
DIMENSION_FAULTS: dict[str, TableContract] = {
    "duplicate_users": USERS,
    "null_post_creators": POSTS,
    "unknown_subscription_tier": SUBSCRIPTIONS,
    "creators_missing_column": CREATORS,
    "creators_wrong_types": CREATORS,
    "header_only_dimension": USERS,
}
UNKNOWN_TIER = "founding"
DROPPED_CREATOR_COLUMN = "category"
RETYPED_CREATOR_COLUMN = "created_at"
# Random stream of the dimension faults, apart from the generator's and the event faults' streams.
DIMENSION_FAULT_STREAM = 101


@dataclass(frozen=True)
class DimensionFaultReport:
    """What a dimension fault changed: the file written, rows before/after, the keys involved.

    `ids` are the table keys (user_id, post_id, ...) of the rows the fault touched: duplicated,
    nulled or retiered, or every row for a fault on the whole file (a dropped or retyped column).
    """

    fault: str
    table: str
    files: tuple[Path, ...]
    rows_before: int
    rows_after: int
    ids: tuple[int, ...]
    details: dict[str, object] = field(default_factory=dict)


def apply_dimension_fault(landing: Path, fault: str, seed: int) -> DimensionFaultReport:
    """Damage the delivery of the table `fault` targets under the landing root `landing`."""
    if fault not in DIMENSION_FAULTS:
        raise ValueError(
            f"unknown dimension fault {fault!r}; choose one of {list(DIMENSION_FAULTS)}"
        )
    contract = DIMENSION_FAULTS[fault]
    files = data_files(contract.folder(landing))
    if not files:
        raise FileNotFoundError(f"no delivery of {contract.name} under {landing}")
    path = files[0]
    rng = np.random.default_rng([seed, DIMENSION_FAULT_STREAM, list(DIMENSION_FAULTS).index(fault)])
    table = pq.read_table(path)
    n = table.num_rows
    keys = table.column(contract.key).to_numpy()

    def deliver(damaged: pa.Table, rows: np.ndarray, **details: object) -> DimensionFaultReport:
        """Write the damaged table in place of the delivery and say what changed."""
        write_parquet(damaged, path)
        ids = tuple(int(key) for key in keys[rows])
        return DimensionFaultReport(
            fault, contract.name, (path,), n, damaged.num_rows, ids, details
        )

    if fault == "header_only_dimension":
        header_only = path.with_name(f"{contract.name}.csv")
        temporary = header_only.with_name(f".{header_only.name}.tmp")
        temporary.write_text(",".join(contract.columns) + "\n", encoding="utf-8")
        os.replace(temporary, header_only)
        path.unlink()
        return DimensionFaultReport(
            fault, contract.name, (header_only,), n, 0, tuple(int(key) for key in keys)
        )
    if fault == "creators_missing_column":
        damaged = table.drop_columns([DROPPED_CREATOR_COLUMN])
        return deliver(damaged, np.arange(n), column=DROPPED_CREATOR_COLUMN)
    if fault == "creators_wrong_types":
        index = table.schema.get_field_index(RETYPED_CREATOR_COLUMN)
        as_text = pc.strftime(table.column(RETYPED_CREATOR_COLUMN), "%Y-%m-%dT%H:%M:%S")
        damaged = table.set_column(index, RETYPED_CREATOR_COLUMN, as_text)
        return deliver(damaged, np.arange(n), column=RETYPED_CREATOR_COLUMN)
    rows = choose_rows(n, rng)
    if fault == "duplicate_users":
        # Each duplicate follows its original, as a join fan-out writes them.
        order = np.sort(np.concatenate([np.arange(n), rows]), kind="stable")
        return deliver(table.take(pa.array(order)), rows, column=USERS.key)
    if fault == "null_post_creators":
        return deliver(replace_rows(table, "creator_id", rows, None), rows, column="creator_id")
    # unknown_subscription_tier
    damaged = replace_rows(table, "tier", rows, UNKNOWN_TIER)
    return deliver(damaged, rows, column="tier", tier=UNKNOWN_TIER)
