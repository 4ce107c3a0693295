"""Raw group: each landing table loaded into the warehouse's raw schema as delivered."""

import datetime as dt

import dagster as dg

from assets.support.constants import OWNER, RAW_EVENTS
from assets.support.metadata import describe_table
from recsys.ingest.landing import (
    DIMENSION_TABLES,
    EVENTS,
    TableContract,
    days_to_load,
    invalid_event_entries,
)
from recsys.ingest.raw_loading import load_dimension_table, load_event_days
from resources import LandingZone, Warehouse

RAW_KINDS = {"duckdb", "parquet"}


def _raw_dimension_asset(contract: TableContract) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", contract.name],
        group_name="raw",
        kinds=RAW_KINDS,
        owners=[OWNER],
        description=f"{contract.description} Loaded whole from landing/{contract.name}/.",
    )
    def _load(
        context: dg.AssetExecutionContext, warehouse: Warehouse, landing_zone: LandingZone
    ) -> dg.MaterializeResult:
        with warehouse.connect() as conn:
            result = load_dimension_table(conn, contract, landing_zone.root)
            metadata = describe_table(conn, result.table)
        context.log.info(f"Loaded {result.rows_loaded} rows into {result.table}")
        return dg.MaterializeResult(
            metadata={**metadata, "files": [str(path) for path in result.files]}
        )

    return _load


raw_dimension_assets = [_raw_dimension_asset(contract) for contract in DIMENSION_TABLES]


def build_raw_events(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """raw/events over the event partitions, whose start is a setting (definitions.py)."""

    @dg.asset(
        key=RAW_EVENTS,
        group_name="raw",
        kinds=RAW_KINDS,
        owners=[OWNER],
        partitions_def=partitions,
        # A backfill of many days loads them in one run and one transaction.
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=(
            f"{EVENTS.description} Each partition replaces its day of raw.events, so loading a "
            "day again never duplicates it. A range loads the days that were delivered: a day "
            "without any folder is a gap, not a failure."
        ),
    )
    def raw_events(
        context: dg.AssetExecutionContext, warehouse: Warehouse, landing_zone: LandingZone
    ) -> dg.MaterializeResult:
        requested = [dt.date.fromisoformat(key) for key in context.partition_keys]
        days, gaps = days_to_load(landing_zone.root, requested)
        context.log.info(
            f"Loading {len(days)} day(s) of events: {requested[0]} .. {requested[-1]}"
            + (f"; {len(gaps)} day(s) without delivery skipped" if gaps else "")
        )
        if gaps:
            context.log.info(f"Days without delivery: {', '.join(map(str, gaps[:20]))}")
        for entry in invalid_event_entries(landing_zone.root):
            context.log.warning(
                f"landing/events/{entry} is not a date=YYYY-MM-DD folder: not loaded"
            )
        with warehouse.connect() as conn:
            result = load_event_days(conn, landing_zone.root, days)
            metadata = describe_table(conn, result.table)
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "dagster/partition_row_count": dg.MetadataValue.int(result.rows_loaded),
                "days_loaded": len(days),
                "days_without_delivery": len(gaps),
                "files": [str(path) for path in result.files[:20]],
            }
        )

    return raw_events
