"""The offline quality gate: may a challenger model version take the champion alias?"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from recsys.models.evaluation import CATEGORY_AGREEMENT, K


@dataclass(frozen=True)
class GatePolicy:
    """Thresholds on one holdout metric (higher is better).

    min_lift_over_popularity: the candidate must score at least this multiple of the popularity
    baseline (1.10 = 10% better), since a model that cannot beat popularity is not worth serving.
    max_regression_vs_champion: relative tolerance; the candidate may score at most this fraction
    below the champion (0.02: candidate >= 0.98 * champion), so holdout noise between retrains
    does not block every refresh while a real drop still does.
    """

    metric: str = f"ndcg_at_{K}"
    min_lift_over_popularity: float = 1.10
    max_regression_vs_champion: float = 0.02


# The ALS gate judges holdout nDCG against popularity; the content gate judges topical coherence
# against chance, which any embedding beats a little, so it must beat it by far more (3x).
ALS_GATE = GatePolicy()
CONTENT_GATE = GatePolicy(metric=CATEGORY_AGREEMENT, min_lift_over_popularity=3.0)


@dataclass(frozen=True)
class GateDecision:
    """The verdict, with one sentence per rule saying why."""

    passed: bool
    reasons: list[str] = field(default_factory=list)
    lift_over_popularity: float = math.nan
    change_vs_champion: float | None = None


def judge(
    candidate: Mapping[str, float],
    popularity: Mapping[str, float],
    champion: Mapping[str, float] | None,
    policy: GatePolicy = GatePolicy(),
) -> GateDecision:
    """Pass only if the candidate beats popularity by the lift and does not regress vs the champion.

    change_vs_champion is relative: (candidate - champion) / champion, e.g. -0.05 for 5% worse.
    """
    name = policy.metric
    score = _metric(candidate, name, "candidate")
    floor = _metric(popularity, name, "popularity baseline")
    lift = _ratio(score, floor)
    beats_popularity = lift >= policy.min_lift_over_popularity
    verb = "beats" if beats_popularity else "does not beat"
    reasons = [
        f"{name} {score:.4f} {verb} popularity {floor:.4f} by the required "
        f"{policy.min_lift_over_popularity:.2f}x (lift {lift:.2f}x)"
    ]
    if champion is None:
        reasons.append("no champion yet: nothing to regress against")
        return GateDecision(beats_popularity, reasons, lift, None)

    best = _metric(champion, name, "champion")
    change = _ratio(score, best) - 1.0
    allowed = best * (1.0 - policy.max_regression_vs_champion)
    holds_ground = score >= allowed
    verdict = "within" if holds_ground else "beyond"
    reasons.append(
        f"{name} {score:.4f} vs champion {best:.4f} ({change:+.1%}) is {verdict} the allowed "
        f"{policy.max_regression_vs_champion:.1%} regression (minimum {allowed:.4f})"
    )
    return GateDecision(beats_popularity and holds_ground, reasons, lift, change)


def _metric(metrics: Mapping[str, float], name: str, whose: str) -> float:
    if name not in metrics:
        raise KeyError(f"{whose} metrics have no {name!r} (found: {sorted(metrics)})")
    return float(metrics[name])


def _ratio(value: float, reference: float) -> float:
    """value / reference, where a zero reference is beaten infinitely by anything positive."""
    if reference == 0.0:
        return math.inf if value > 0.0 else 1.0 if value == 0.0 else -math.inf
    return value / reference
