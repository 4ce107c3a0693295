"""dbt groups (staging, intermediate, marts): the dbt project built against the warehouse."""

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from assets.quality import contract_checks
from assets.support.constants import OWNER
from assets.support.guards import raw_contract_keys, refuse_on_failed_contracts
from assets.support.metadata import describe_table
from resources import History, Warehouse

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


STG_BOT_USERS = "staging.stg_bot_users"


class DbtBuildConfig(dg.Config):
    """dbt vars a data engineer may override in the launchpad for one run; unset ones keep the
    settings' values (resources.History: holdout, new creators, bots), else dbt_project.yml's."""

    decay_half_life_days: float | None = None
    split_cutoff: str | None = None
    holdout_days: int | None = None
    new_creator_days: int | None = None
    recent_activity_days: int | None = None
    bot_max_events_per_day: int | None = None


def dbt_vars(
    warehouse_path: str,
    overrides: Mapping[str, Any],
    settings_vars: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The --vars of a dbt invocation: the warehouse file, the vars the settings set, and the
    run's overrides that were set (which win)."""
    chosen = {name: value for name, value in overrides.items() if value is not None}
    return {"warehouse_path": warehouse_path, **(settings_vars or {}), **chosen}


def dbt_build_args(
    warehouse_path: str,
    overrides: Mapping[str, Any],
    settings_vars: Mapping[str, Any] | None = None,
) -> list[str]:
    chosen = dbt_vars(warehouse_path, overrides, settings_vars)
    return ["build", "--vars", json.dumps(chosen, sort_keys=True)]


class DiscoveryDbtTranslator(DagsterDbtTranslator):
    """Keys models by schema (staging/stg_events), grouped by layer; sources keep raw/<table>."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] != "model":
            return spec
        layer = node["schema"]
        return spec.replace_attributes(
            key=dg.AssetKey([layer, node["name"]]), group_name=layer, owners=[OWNER]
        ).merge_attributes(kinds={"duckdb"})


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The dbt models and tests as assets and asset checks (needs the project's manifest)."""
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {project.manifest_path}: run `make manifest` "
            "(dbt parse) before loading the definitions"
        )

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=DiscoveryDbtTranslator(),
    )
    def dbt_models(
        context: dg.AssetExecutionContext,
        config: DbtBuildConfig,
        dbt: DbtCliResource,
        warehouse: Warehouse,
        history: History,
    ) -> Iterator[Any]:
        refuse_on_failed_contracts(context.instance, raw_contract_keys(contract_checks))
        chosen = dbt_vars(warehouse.path, config.model_dump(), history.dbt_vars())
        args = dbt_build_args(warehouse.path, config.model_dump(), history.dbt_vars())
        # The dbt subprocess holds DuckDB's single write lock until it exits, so table metadata is
        # read once dbt has finished rather than while its events stream.
        events = list(dbt.cli(args, context=context).stream())
        with warehouse.connect(read_only=True) as conn:
            for event in events:
                if isinstance(event, dg.Output | dg.AssetMaterialization):
                    table = _table_of(context, event)
                    extra = _bot_figures(conn, chosen) if table == STG_BOT_USERS else {}
                    yield event.with_metadata(
                        {**event.metadata, **describe_table(conn, table), **extra}
                    )
                else:
                    yield event

    return dbt_models


def _table_of(context: dg.AssetExecutionContext, event: dg.Output | dg.AssetMaterialization) -> str:
    if isinstance(event, dg.AssetMaterialization):
        return ".".join(event.asset_key.path)
    return ".".join(context.asset_key_for_output(event.output_name).path)


def _bot_figures(conn, chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The threshold in effect beside the per-user daily percentiles to pick it from."""
    from recsys.quality.bots import user_day_event_percentiles

    figures = user_day_event_percentiles(conn)
    return {
        "bot_max_events_per_day": chosen.get("bot_max_events_per_day", "dbt_project.yml"),
        "user_day_events": dg.MetadataValue.json(figures),
    }
