"""Apply the quality gate to a registered model version and move the champion alias on a pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recsys.models.gate_rule import GateDecision, GatePolicy, judge
from recsys.models.tracking import TrackingConfig, champion, promote, version_record


@dataclass(frozen=True)
class GateOutcome:
    """The decision on one version, and which version is champion afterwards."""

    model_name: str
    version: int
    decision: GateDecision
    previous_champion: int | None
    champion_after: int | None

    def metadata(self) -> dict[str, Any]:
        users = self.decision.users_judged
        return ({"users_judged": users} if users is not None else {}) | {
            "model": self.model_name,
            "candidate_version": self.version,
            "previous_champion_version": self.previous_champion or 0,
            "champion_version": self.champion_after or 0,
            "lift_over_floor": self.decision.lift_over_floor,
            "change_vs_champion": (
                self.decision.change_vs_champion
                if self.decision.change_vs_champion is not None
                else float("nan")
            ),
            "reasons": "\n".join(self.decision.reasons),
        }


def gate_version(
    config: TrackingConfig,
    model_name: str,
    version: int,
    policy: GatePolicy,
    floor_prefix: str = "popularity_",
) -> GateOutcome:
    """Judge `version` by its holdout metrics against its floor (metrics named floor_prefix +
    metric, e.g. popularity_ndcg_at_10, with its interval when recorded) and the current
    champion; promote it if it passes. A refusal to judge (too few users, no evidence) is a fail:
    the champion stays.

    Judging the champion against itself (a re-run on the same inputs reuses its version)
    compares equal metrics and passes; the alias is left where it is.
    """
    candidate = version_record(config, model_name, version).holdout_metrics
    floor_name = f"{floor_prefix}{policy.metric}"
    if floor_name not in candidate:
        raise KeyError(f"version {version} of {model_name} has no floor metric {floor_name!r}")
    current = champion(config, model_name)
    floor = {
        name.removeprefix(floor_prefix): value
        for name, value in candidate.items()
        if name.startswith(floor_prefix)
    }
    decision = judge(
        candidate,
        floor,
        current.holdout_metrics if current is not None else None,
        policy,
    )
    if decision.passed and (current is None or current.version != version):
        promote(config, model_name, version)
    after = version if decision.passed else (current.version if current else None)
    return GateOutcome(model_name, version, decision, current.version if current else None, after)
