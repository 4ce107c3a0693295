"""Raw group: each landing table loaded into the warehouse's raw schema as delivered."""

import datetime as dt

import dagster as dg

from assets.support.constants import EVENT_PARTITIONS, OWNER
from assets.support.metadata import describe_table
from recsys.ingest.landing import DIMENSION_TABLES, EVENTS, TableContract, invalid_event_entries
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


@dg.asset(
    key=["raw", EVENTS.name],
    group_name="raw",
    kinds=RAW_KINDS,
    owners=[OWNER],
    partitions_def=EVENT_PARTITIONS,
    # A backfill of many days loads them in one run and one transaction.
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        f"{EVENTS.description} Each partition replaces its day of raw.events, so loading a day "
        "again never duplicates it."
    ),
)
def raw_events(
    context: dg.AssetExecutionContext, warehouse: Warehouse, landing_zone: LandingZone
) -> dg.MaterializeResult:
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    context.log.info(f"Loading {len(days)} day(s) of events: {days[0]} .. {days[-1]}")
    for entry in invalid_event_entries(landing_zone.root):
        context.log.warning(f"landing/events/{entry} is not a date=YYYY-MM-DD folder: not loaded")
    with warehouse.connect() as conn:
        result = load_event_days(conn, landing_zone.root, days)
        metadata = describe_table(conn, result.table)
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "dagster/partition_row_count": dg.MetadataValue.int(result.rows_loaded),
            "days_loaded": len(days),
            "files": [str(path) for path in result.files[:20]],
        }
    )
