"""Run one job of the code location in this process, recorded on the instance in DAGSTER_HOME.

Usage: python -m scripts.run_job <job>      e.g. export, rollback_export, refresh
"""

from __future__ import annotations

import argparse
import sys

import dagster as dg

from scripts.materialize_all import QUIET_LOGS


def main(argv: list[str] | None = None) -> int:
    from definitions import defs

    definitions = defs()
    names = sorted(job.name for job in definitions.resolve_all_job_defs())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=[name for name in names if not name.startswith("__")])
    args = parser.parse_args(argv)
    with dg.DagsterInstance.get() as instance:
        result = definitions.resolve_job_def(args.job).execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False
        )
    if not result.success:
        failures = [event for event in result.all_events if event.is_step_failure]
        for failure in failures:
            data = failure.step_failure_data
            message = data.user_failure_data.description if data.user_failure_data else None
            print(f"{failure.step_key} failed: {message or data.error.message}", file=sys.stderr)
        return 1
    print(f"{args.job}: succeeded (run {result.run_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
