"""The creator-discovery code location: assets, checks, jobs, sensors and resources."""

from __future__ import annotations

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # Built on demand so that importing this module stays cheap and reads no environment.
    from dagster_dbt import DbtCliResource

    from assets.dbt import build_dbt_assets, dbt_project
    from assets.raw import raw_dimension_assets, raw_events
    from jobs import JOBS
    from resources import LandingZone, Settings, Warehouse
    from sensors import SENSORS

    settings = Settings.from_env()
    project = dbt_project()
    project.prepare_if_dev()
    return dg.Definitions(
        assets=[*raw_dimension_assets, raw_events, build_dbt_assets(project)],
        jobs=JOBS,
        sensors=SENSORS,
        resources={
            "warehouse": Warehouse(path=str(settings.warehouse_path)),
            "landing_zone": LandingZone(path=str(settings.landing_dir)),
            "dbt": DbtCliResource(project_dir=project),
        },
    )
