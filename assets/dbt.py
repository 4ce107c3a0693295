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
from resources import Warehouse

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


class DbtBuildConfig(dg.Config):
    """dbt vars a data engineer may override in the launchpad; unset ones keep dbt_project.yml's."""

    decay_half_life_days: float | None = None
    split_cutoff: str | None = None
    holdout_days: int | None = None


def dbt_vars(warehouse_path: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The --vars of a dbt invocation: the warehouse file plus the overrides that were set."""
    chosen = {name: value for name, value in overrides.items() if value is not None}
    return {"warehouse_path": warehouse_path, **chosen}


def dbt_build_args(warehouse_path: str, overrides: Mapping[str, Any]) -> list[str]:
    return ["build", "--vars", json.dumps(dbt_vars(warehouse_path, overrides), sort_keys=True)]


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
    ) -> Iterator[Any]:
        refuse_on_failed_contracts(context.instance, raw_contract_keys(contract_checks))
        args = dbt_build_args(warehouse.path, config.model_dump())
        # The dbt subprocess holds DuckDB's single write lock until it exits, so table metadata is
        # read once dbt has finished rather than while its events stream.
        events = list(dbt.cli(args, context=context).stream())
        with warehouse.connect(read_only=True) as conn:
            for event in events:
                if isinstance(event, dg.Output | dg.AssetMaterialization):
                    table = _table_of(context, event)
                    yield event.with_metadata({**event.metadata, **describe_table(conn, table)})
                else:
                    yield event

    return dbt_models


def _table_of(context: dg.AssetExecutionContext, event: dg.Output | dg.AssetMaterialization) -> str:
    if isinstance(event, dg.AssetMaterialization):
        return ".".join(event.asset_key.path)
    return ".".join(context.asset_key_for_output(event.output_name).path)
