"""The Kubernetes deployment (deploy/k8s): the code location loads with every step as a pod, and
the instance file loads with its run launcher and PostgreSQL storage, with no cluster.

Needs dagster-k8s, from the `deploy` dependency group: `make test-deploy` installs it and runs
these; the default run leaves them out (marker `deploy`).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from support import REPO
from support.postgres_databases import fresh_database

from recsys.settings import (
    DAGSTER_STORAGE_URL_VAR,
    DATA_DIR_VAR,
    EXECUTOR_VAR,
    SCORING_SHARDS_VAR,
    Settings,
)
from resources.instance import instance_config

pytestmark = pytest.mark.deploy

K8S = REPO / "deploy" / "k8s"
# A kubeconfig naming a server nobody listens on: loading it opens no connection.
NO_CLUSTER = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
    "users": [{"name": "none", "user": {"token": "none"}}],
    "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
    "current-context": "none",
}


def test_with_the_k8s_executor_every_job_runs_its_steps_as_pods_one_at_a_time(
    tmp_path: Path,
) -> None:
    from definitions import build_definitions

    settings = Settings.from_env(
        {DATA_DIR_VAR: str(tmp_path), EXECUTOR_VAR: "k8s", SCORING_SHARDS_VAR: "4"}
    )

    definitions = build_definitions(settings)
    dg.Definitions.validate_loadable(definitions)

    jobs = [job.name for job in definitions.resolve_all_job_defs()]
    assert {"build_all", "refresh", "retrain", "sharded_scoring"} <= set(jobs)
    for name in jobs:
        job = definitions.resolve_job_def(name)
        [(executor, config)] = dg.validate_run_config(job, {})["execution"].items()
        assert executor == "k8s_one_step_at_a_time", name
        assert config["max_concurrent"] == 1, name
    sharded = definitions.resolve_job_def("sharded_scoring")
    assert sharded.partitions_def is not None
    assert sharded.partitions_def.get_partition_keys() == ["0", "1", "2", "3"]


def test_the_default_executor_stays_in_process(tmp_path: Path) -> None:
    from definitions import build_definitions

    definitions = build_definitions(Settings.from_env({DATA_DIR_VAR: str(tmp_path)}))

    assert definitions.resolve_job_def("build_all").executor_def is dg.in_process_executor


def test_the_kubernetes_instance_launches_runs_as_jobs_and_stores_them_in_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster_k8s import K8sRunLauncher

    config = yaml.safe_load((K8S / "dagster.yaml").read_text())
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(NO_CLUSTER))
    config["run_launcher"]["config"] |= {
        "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig),
    }
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))

    with fresh_database("dagster_k8s") as url:
        monkeypatch.setenv(DAGSTER_STORAGE_URL_VAR, url)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            launcher = instance.run_launcher
            assert isinstance(launcher, K8sRunLauncher)
            assert launcher.job_namespace == "creator-discovery"
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 4
            assert instance.run_retries_max_retries == 2

    # The same storage entry as the instance `make ui` writes on a laptop.
    local = instance_config(Settings.from_env({DAGSTER_STORAGE_URL_VAR: url}))
    assert config["storage"] == local["storage"]
