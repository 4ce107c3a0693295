"""The platform as a person operates it: the Dagster UI builds it all, MLflow shows the champion.

A `small` platform (the smallest scale on which ALS passes its quality gate) is generated into a
temporary folder and served by scripts/ui.py (`make ui`). Everything is materialized with the UI's
own buttons, in the order a data engineer would use: the dimension tables (events are checked
against them), the landed days of events as one backfill, then everything built from them.
Screenshots of every step go to tests/artifacts/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from servers import Server, dagster_ui, graphql, mlflow_ui, project_env

from assets.support.constants import SERVED_QUALITY
from assets.support.metadata import SHOWN_DIGITS
from recsys.ingest.landing import complete_event_days
from recsys.models.tracking import TrackingConfig, champion
from recsys.settings import PROJECT_ROOT, Settings

SCALE, SEED = "small", 7
LOCATION = "creator_discovery"
ALS = "creator-discovery-als"
RUN_TIMEOUT = 600
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
RUN_STATUS = """query ($runId: ID!) { runOrError(runId: $runId) {
  ... on Run { status stepStats { stepKey status } } } }"""
RECENT_RUNS = "{ runsOrError(limit: 20) { ... on Runs { results { runId jobName } } } }"
BACKFILL = """query ($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status runs(limit: 10) { runId status } } } }"""
ASSETS = """{ assetNodes { assetKey { path } assetMaterializations(limit: 1) { runId }
  assetChecksOrError { ... on AssetChecks { checks {
    name executionForLatestMaterialization { status } } } } } }"""


@dataclass(frozen=True)
class Platform:
    settings: Settings
    env: dict[str, str]
    logs: Path


@dataclass(frozen=True)
class Launches:
    """What the UI launched: one run per job and the backfill of the event days."""

    dimensions_run: str
    events_backfill: str
    events_runs: list[str]
    build_run: str


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    root = tmp_path_factory.mktemp("platform")
    generate = [sys.executable, "-m", "recsys.datagen", "--scale", SCALE, "--seed", str(SEED)]
    generated = subprocess.run(
        [*generate, "--out", str(root / "landing"), "--truth-out", str(root / "truth")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, f"recsys.datagen failed:\n{generated.stderr[-3000:]}"
    env = project_env(root, root / "dagster_home")
    return Platform(settings=Settings.from_env(env), env=env, logs=root / "logs")


@pytest.fixture(scope="module")
def dagster(platform: Platform, page: Page) -> Iterator[Server]:
    with dagster_ui(platform.env, platform.logs / "dagster-ui.log") as server:
        # A new instance greets a new browser profile with a community dialog: skip it once.
        page.goto(server.url)
        page.get_by_role("button", name="Skip").click()
        yield server


def materialize_job(page: Page, dagster: Server, job: str) -> str:
    """Click a job's "Materialize all" and return the run the UI's toast announces."""
    page.goto(f"{dagster.url}/locations/{LOCATION}/jobs/{job}")
    page.get_by_role("button", name="Materialize all").click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    # The UI asks for confirmation while an upstream asset (here raw/events, whose run is still
    # queued) has never been materialized: the queue runs this one after it.
    confirm = page.get_by_role("dialog").filter(has_text="Are you sure?")
    expect(toast.or_(confirm)).to_be_visible()
    if confirm.is_visible():
        confirm.get_by_role("button", name="Confirm").click()
    prefix = re.search(r"[0-9a-f]{8}", toast.inner_text()).group()
    runs = graphql(dagster.url, RECENT_RUNS)["runsOrError"]["results"]
    [run_id] = [run["runId"] for run in runs if run["runId"].startswith(prefix)]
    assert next(run["jobName"] for run in runs if run["runId"] == run_id) == job
    return run_id


def wait_for_run(page: Page, dagster: Server, run_id: str, timeout: float = RUN_TIMEOUT) -> None:
    """Show the run's page while it runs; fail with its failed steps unless it succeeds."""
    page.goto(f"{dagster.url}/runs/{run_id}")
    deadline = time.monotonic() + timeout
    while True:
        run = graphql(dagster.url, RUN_STATUS, {"runId": run_id})["runOrError"]
        if run["status"] in FINISHED or time.monotonic() > deadline:
            break
        time.sleep(2)
    failed = [step["stepKey"] for step in run["stepStats"] if step["status"] != "SUCCESS"]
    assert run["status"] == "SUCCESS", (
        f"run {run_id} is {run['status']} after {timeout:.0f} s; steps not succeeded: {failed}; "
        f"log: {dagster.log}"
    )
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()


def backfill_runs(dagster: Server, backfill_id: str, timeout: float) -> list[str]:
    """The runs the daemon has launched for a backfill, once there is at least one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = graphql(dagster.url, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["runs"]:
            return [run["runId"] for run in backfill["runs"]]
        time.sleep(1)
    raise AssertionError(f"backfill {backfill_id} launched no run in {timeout:.0f} s: {backfill}")


def row_cells(page: Page, key: str) -> list[str]:
    """The cells of the table row whose first cell is key (metadata, tags, metrics)."""
    row = page.get_by_role("row").filter(has=page.get_by_text(key, exact=True))
    expect(row).to_have_count(1)
    row.scroll_into_view_if_needed()
    return [cell.strip() for cell in row.get_by_role("cell").all_inner_texts()]


@pytest.fixture(scope="module")
def launches(platform: Platform, dagster: Server, page: Page, step) -> Launches:
    """Launch the three steps back to back: the instance's queue runs them one at a time."""
    days = complete_event_days(platform.settings.landing_dir)
    assert days, "the generator wrote no complete day of events"

    with step("02-load-dimensions-launched"):
        dimensions = materialize_job(page, dagster, "load_dimensions")

    with step("03-events-partition-dialog"):
        page.goto(f"{dagster.url}/assets/raw/events")
        page.get_by_role("button", name="Materialize…").click()
        dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
        # Every landed day, typed as a range: the daily partitions run on to today.
        partitions = dialog.get_by_role("textbox").first
        expect(partitions).to_be_visible()
        # Once the first landed day is over 90 days old the dialog offers only the last 90
        # until asked for all of them.
        show_all = dialog.get_by_role("button", name="Show all partitions")
        if show_all.count():
            show_all.click()
        partitions.fill(f"[{days[0]}...{days[-1]}]")
        partitions.press("Enter")
        expect(dialog.get_by_text(f"{len(days)} partitions", exact=True)).to_be_visible()
        expect(dialog.get_by_text("Backfills all partitions in a single run.")).to_be_visible()
    with step("04-events-backfill-launched"):
        dialog.get_by_role("button", name="Launch backfill").click()
        backfill = page.get_by_text(re.compile(r"Created backfill \w+")).inner_text().split()[-1]
        page.goto(f"{dagster.url}/runs/b/{backfill}")
        # The daemon turns the backfill into its run on its next tick. Waiting for that run
        # before launching build_all keeps build_all behind it in the queue.
        events = backfill_runs(dagster, backfill, timeout=240)
        assert len(events) == 1, f"the single-run backfill policy gave runs {events}"

    with step("05-build-all-launched"):
        build = materialize_job(page, dagster, "build_all")

    for name, run_id in (
        ("06-load-dimensions-run", dimensions),
        ("07-events-backfill-run", events[0]),
        ("08-build-all-run", build),
    ):
        with step(name):
            wait_for_run(page, dagster, run_id)

    with step("09-runs"):
        page.goto(f"{dagster.url}/runs")
        expect(page.get_by_role("link", name=build[:8])).to_be_visible()
    return Launches(dimensions, backfill, events, build)


def test_the_lineage_shows_every_group_of_the_code_location(
    dagster: Server, page: Page, step
) -> None:
    from definitions import defs

    groups = {spec.group_name for spec in defs().resolve_all_asset_specs()}

    with step("01-lineage-groups"):
        page.goto(f"{dagster.url}/asset-groups")
        nodes = page.locator("[class*='CollapsedGroupNode_collapsedGroupNodeContainer']")
        expect(nodes).to_have_count(len(groups))
        shown = {text.split()[0] for text in nodes.all_inner_texts()}

    assert shown == groups


def test_every_asset_is_materialized_from_the_ui_and_every_check_passes(
    launches: Launches, dagster: Server
) -> None:
    backfill = wait_for_backfill_status(dagster, launches.events_backfill, timeout=120)
    # Served quality is scored day by day by its own job (score_served) once tables have served,
    # never by build_all: it and its check are left out.
    scored_later = "/".join(SERVED_QUALITY.path)
    assets = [
        asset
        for asset in graphql(dagster.url, ASSETS)["assetNodes"]
        if "/".join(asset["assetKey"]["path"]) != scored_later
    ]
    never = ["/".join(a["assetKey"]["path"]) for a in assets if not a["assetMaterializations"]]
    checks = [
        ("/".join(asset["assetKey"]["path"]), check["name"], check_status(check))
        for asset in assets
        for check in asset["assetChecksOrError"]["checks"]
    ]

    assert backfill == "COMPLETED_SUCCESS"
    assert assets and never == []
    assert checks and [check for check in checks if check[2] != "SUCCEEDED"] == []


def check_status(check: dict) -> str | None:
    execution = check["executionForLatestMaterialization"]
    return execution and execution["status"]


def wait_for_backfill_status(dagster: Server, backfill_id: str, timeout: float) -> str:
    # The daemon marks a backfill complete on its next tick after the last run.
    deadline = time.monotonic() + timeout
    while True:
        backfill = graphql(dagster.url, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["status"] != "REQUESTED" or time.monotonic() > deadline:
            return backfill["status"]
        time.sleep(2)


def test_the_holdout_model_shows_its_metrics_beside_the_popularity_floor(
    launches: Launches, dagster: Server, page: Page, step, platform: Platform
) -> None:
    version = champion(TrackingConfig.local(platform.settings.mlflow_dir), ALS)

    with step("10-als-holdout-metrics"):
        page.goto(f"{dagster.url}/assets/models/als_holdout")
        shown = {
            key: float(row_cells(page, key)[-1])
            for key in ("ndcg_at_10", "popularity_ndcg_at_10", "oracle_ndcg_at_10")
        }

    assert version is not None
    # The UI shows metrics rounded; MLflow keeps them whole.
    rounding = 0.5 * 10**-SHOWN_DIGITS
    assert shown["ndcg_at_10"] == pytest.approx(version.holdout_metrics["ndcg_at_10"], abs=rounding)
    assert shown["popularity_ndcg_at_10"] < shown["ndcg_at_10"]


def test_the_raw_users_data_contract_check_passed(
    launches: Launches, dagster: Server, page: Page, step
) -> None:
    with step("11-raw-users-checks"):
        page.goto(f"{dagster.url}/assets/raw/users?view=checks")
        expect(page.get_by_text("data_contract", exact=True).first).to_be_visible()
        expect(page.get_by_text("Evaluation result", exact=True)).to_be_visible()
        expect(page.get_by_text("Passed", exact=True)).to_be_visible()


@pytest.fixture(scope="module")
def mlflow(launches: Launches, platform: Platform, page: Page) -> Iterator[Server]:
    # MLflow announces its new registry UI in a modal over the first page of a new profile.
    modal = page.get_by_role("dialog").filter(has_text="Model Registry UI")
    page.add_locator_handler(
        modal, lambda: modal.get_by_role("button", name="Close", exact=True).click()
    )
    with mlflow_ui(platform.settings.mlflow_dir, platform.env, platform.logs / "mlflow.log") as s:
        yield s
        # Its open keep-alive connections would hold up the server's graceful shutdown.
        page.goto("about:blank")


def test_mlflow_shows_the_champion_and_the_holdout_metrics_it_was_judged_on(
    mlflow: Server, page: Page, step, platform: Platform
) -> None:
    version = champion(TrackingConfig.local(platform.settings.mlflow_dir), ALS)
    assert version is not None

    with step("12-mlflow-champion-version"):
        page.goto(f"{mlflow.url}/#/models/{ALS}")
        page.get_by_role("link", name=f"Version {version.version}", exact=True).first.click()
        expect(page.get_by_text("@ champion").first).to_be_visible()
        holdout_run = row_cells(page, "holdout_run_id")[1]
        judged_on = float(row_cells(page, "holdout_ndcg_at_10")[1])
    with step("13-mlflow-serving-run"):
        page.get_by_role("link", name="als-serving").click()
        page.get_by_role("tab", name="Overview").click()
        expect(page.get_by_role("link", name=ALS)).to_be_visible()  # the run it registered
    with step("14-mlflow-holdout-run-metrics"):
        page.goto(re.sub(r"runs/[0-9a-f]{32}.*$", f"runs/{holdout_run}", page.url))
        page.get_by_placeholder("Search metrics").fill("ndcg_at_10")
        metric = float(row_cells(page, "ndcg_at_10")[1])

    assert holdout_run == version.tags["holdout_run_id"]
    assert metric == pytest.approx(version.holdout_metrics["ndcg_at_10"])
    assert judged_on == pytest.approx(metric)
