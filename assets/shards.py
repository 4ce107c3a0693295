"""Scoring sharded by reader: user_creators, feed_creators and user_posts scored per user shard
(`user_id % N`), each shard a partition writing its own Parquet parts, then assembled into tables.

With CREATOR_DISCOVERY_SCORING_SHARDS above 1, these take the place of the three unsharded assets
of assets/recommendations.py under the same keys, so the checks, the snapshot and the export read
the same tables. The `sharded_scoring` job holds both: materialized as an asset backfill of its N
partitions, each shard is a run of its own (a pod under the Kubernetes run launcher), and the
assembly follows once; in the other jobs the assembly scores any shard without a current part.
"""

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb

from assets.models import ALS_MODEL
from assets.recommendations import (
    SCHEMA,
    RecommendationConfig,
    feed_creators,
    user_creators,
    user_posts,
)
from assets.support.champions import champion_folder
from assets.support.constants import OWNER, SCORING_SHARDS_GROUP
from assets.support.metadata import describe_table, rounded
from recsys.serving.shards import SHARDED_TABLES, ScoringParams, Shard
from resources import History, MlflowTracking, ScoringShards, Warehouse

SHARD_PARTS = dg.AssetKey([SCORING_SHARDS_GROUP, "user_table_parts"])
SHARDED_SCORING_JOB = "sharded_scoring"
# What dg.define_asset_job returns: its class is not part of Dagster's public API.
AssetJob = Any
UNSHARDED = {asset.key.path[-1]: asset for asset in (user_creators, feed_creators, user_posts)}
_SCORED = {asset.key for asset in UNSHARDED.values()}


def scoring_params(config: RecommendationConfig, history: History) -> ScoringParams:
    return ScoringParams(
        creators_per_user=config.creators_per_user,
        posts_per_user=config.posts_per_user,
        feed=config.feed(history.fresh_post_days),
    )


def _deps() -> list[dg.AssetDep]:
    """What the unsharded tables read, once each (not one another: a shard scores them all)."""
    deps = {dep.asset_key: dep for asset in UNSHARDED.values() for dep in _spec(asset).deps}
    return [dep for key, dep in deps.items() if key not in _SCORED]


def _own_deps(asset: dg.AssetsDefinition) -> list[dg.AssetDep]:
    return [dep for dep in _spec(asset).deps if dep.asset_key not in _SCORED]


def _spec(asset: dg.AssetsDefinition) -> dg.AssetSpec:
    [spec] = asset.specs
    return spec


def build_sharded_scoring(
    count: int,
) -> tuple[list[dg.AssetsDefinition], AssetJob]:
    """The shard asset over `count` partitions, the assembly under the served tables' keys, and
    the job that holds both."""
    partitions = dg.StaticPartitionsDefinition([shard.key for shard in Shard.all(count)])

    @dg.asset(
        key=SHARD_PARTS,
        group_name=SCORING_SHARDS_GROUP,
        partitions_def=partitions,
        deps=_deps(),
        kinds={"python", "parquet"},
        owners=[OWNER],
        description=(
            f"user_creators, feed_creators and user_posts of one user shard (user_id % {count} = "
            "the partition), scored from the champion ALS model and written as the shard's own "
            "Parquet parts."
        ),
    )
    def user_table_parts(
        context: dg.AssetExecutionContext,
        config: RecommendationConfig,
        warehouse: Warehouse,
        mlflow: MlflowTracking,
        history: History,
        scoring_shards: ScoringShards,
    ) -> dg.MaterializeResult:
        from recsys.models.store import load_als_factors
        from recsys.serving.shards import (
            read_shard_inputs,
            score_shard,
            shard_stamp,
            write_parts,
        )

        shard = Shard(int(context.partition_key), count)
        folder, version = champion_folder(mlflow, ALS_MODEL)
        params = scoring_params(config, history)
        with warehouse.connect(read_only=True) as conn:
            inputs = read_shard_inputs(conn, shard)
        started = time.perf_counter()
        tables = score_shard(load_als_factors(folder), inputs, params, version)
        seconds = time.perf_counter() - started
        stamp = shard_stamp(inputs, shard, version, params)
        write_parts(scoring_shards.root, shard, tables, stamp)
        return dg.MaterializeResult(
            metadata={
                "shard": f"user_id % {count} = {shard.index}",
                "readers": len(inputs.creators.users),
                **{f"{name}_rows": len(table) for name, table in tables.items()},
                "model_version": version,
                "scoring_seconds": rounded(seconds, 2),
                "stamp": stamp[:12],
            }
        )

    specs = [
        dg.AssetSpec(
            key=asset.key,
            group_name=SCHEMA,
            kinds={"python", "duckdb"},
            owners=[OWNER],
            deps=[SHARD_PARTS, *_own_deps(asset)],
            description=f"{_spec(asset).description} Assembled from {count} user shards' parts.",
        )
        for asset in UNSHARDED.values()
    ]

    @dg.multi_asset(specs=specs, name="sharded_user_tables")
    def sharded_user_tables(
        context: dg.AssetExecutionContext,
        config: RecommendationConfig,
        warehouse: Warehouse,
        mlflow: MlflowTracking,
        history: History,
        scoring_shards: ScoringShards,
    ) -> Iterator[dg.MaterializeResult]:
        from recsys.models.store import load_als_factors
        from recsys.serving.shards import assemble, complete_parts

        folder, version = champion_folder(mlflow, ALS_MODEL)
        with warehouse.connect(read_only=True) as conn:
            kept, scored = complete_parts(
                conn,
                lambda: load_als_factors(folder),
                version,
                scoring_params(config, history),
                scoring_shards.root,
                count,
                progress=context.log.info,
            )
        with warehouse.connect() as conn:
            rows = assemble(conn, scoring_shards.root, count, SCHEMA)
            for table in SHARDED_TABLES:
                yield dg.MaterializeResult(
                    asset_key=dg.AssetKey([SCHEMA, table]),
                    metadata={
                        **_describe(conn, table),
                        "rows": rows[table],
                        "model_version": version,
                        "shards": count,
                        "shards_from_parts": len(kept),
                        "shards_scored_here": len(scored),
                    },
                )

    job = dg.define_asset_job(
        name=SHARDED_SCORING_JOB,
        selection=dg.AssetSelection.assets(SHARD_PARTS, *(a.key for a in UNSHARDED.values())),
        description=(
            f"user_creators, feed_creators and user_posts in {count} user shards: materialize the "
            "assets for all partitions (an asset backfill: a run per shard, then one assembling "
            "run)."
        ),
    )
    return [user_table_parts, sharded_user_tables], job


def _describe(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """The unsharded assets' table metadata: size, schema, readers served and a preview."""
    from recsys.serving.preview import table_preview

    name = f"{SCHEMA}.{table}"
    [(subjects,)] = conn.execute(f"SELECT count(DISTINCT user_id) FROM {name}").fetchall()
    return {
        **describe_table(conn, name),
        "subjects": int(subjects),
        "preview": dg.MetadataValue.md(table_preview(conn, SCHEMA, table)),
    }


def user_table_assets(
    count: int,
) -> tuple[list[dg.AssetsDefinition], list[AssetJob]]:
    """What scores user_creators, feed_creators and user_posts: the unsharded assets for one
    shard, else the sharded assets and their job."""
    if count == 1:
        return list(UNSHARDED.values()), []
    assets, job = build_sharded_scoring(count)
    return assets, [job]
