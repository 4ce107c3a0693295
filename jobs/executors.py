"""How a run executes its steps, chosen by CREATOR_DISCOVERY_EXECUTOR.

`in_process` (the default): every step of a run in one process. DuckDB admits one writer per
file, and a process per step would re-import the code location for every asset.

`k8s`: each step in its own Kubernetes pod (dagster-k8s, the `deploy` dependency group), one at
a time within a run for the same single-writer reason; runs themselves are pods when the
instance uses the K8sRunLauncher (deploy/k8s/dagster.yaml), which is how user shards fan out.
The step pods take the run launcher's namespace, image, volumes and settings; a step's tag
`dagster-k8s/config` can ask for its own node (ALS on a GPU node, docs/operations.md).
"""

from __future__ import annotations

import dagster as dg

from recsys.settings import Executor

# Steps of one run share the warehouse file: one pod at a time.
K8S_MAX_CONCURRENT_STEPS = 1


def executor_for(name: Executor) -> dg.ExecutorDefinition:
    """The executor the setting names; dagster-k8s is imported only when it is chosen."""
    if name == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(
            {"max_concurrent": K8S_MAX_CONCURRENT_STEPS}, name="k8s_one_step_at_a_time"
        )
    return dg.in_process_executor
