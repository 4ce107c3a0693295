"""The offline quality gate: may a challenger model version take the champion alias?"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from recsys.models.evaluation import (
    CATEGORY_AGREEMENT,
    N_USERS_EVALUATED,
    Bootstrap,
    K,
    UserSample,
    ci_names,
)

# Below this many judged users an nDCG is too noisy to promote (or keep out) anything on: the gate
# refuses to judge and the champion stays.
MIN_USERS_JUDGED = 100
# Each figure's interval: a bootstrap over users, with this many resamples, seeded.
BOOTSTRAP_RESAMPLES = 1_000
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 7
# At most this many users are judged, a seeded sample when more could be. The demo judges 19,641
# (all of them), nDCG@10 0.193 with a 95% interval 0.008 wide; the width goes as 1/sqrt(users),
# so a million-reader platform judged on 20,000 is as precise as the demo, and judging 1M would
# narrow it 7x at 50x the scoring cost.
MAX_USERS_JUDGED = 20_000
SAMPLE_SEED = 7


@dataclass(frozen=True)
class GatePolicy:
    """Thresholds on one holdout metric (higher is better).

    floor_name: what the floor is (ALS: the popularity baseline; content: chance), as the reasons
    name it.
    min_lift_over_floor: the candidate must score at least this multiple of the floor (1.10 = 10%
    better), since a model that cannot beat popularity (or chance) is not worth serving.
    max_regression_vs_champion: relative tolerance; the candidate may score at most this fraction
    below the champion (0.02: candidate >= 0.98 * champion), so holdout noise between retrains
    does not block every refresh while a real drop still does. When the candidate carries an
    interval (metric_ci_low / metric_ci_high), it is refused only when its whole interval lies
    below that minimum: worse beyond the interval, not worse by noise.
    min_users_judged: fewer judged users than this (metric `users_metric`) and the gate refuses
    to judge at all; 0 turns the rule off (the content gate judges posts, not users).
    bootstrap_resamples, confidence, bootstrap_seed: how the intervals are computed
    (recsys.models.evaluation.bootstrap_interval), recorded here so the gate and the figures it
    reads share one definition.
    max_users_judged, sample_seed: the seeded sample of users the figures are computed on when
    more users could be judged (recsys.models.evaluation.sample_users).
    """

    metric: str = f"ndcg_at_{K}"
    floor_name: str = "popularity"
    min_lift_over_floor: float = 1.10
    max_regression_vs_champion: float = 0.02
    min_users_judged: int = MIN_USERS_JUDGED
    users_metric: str = N_USERS_EVALUATED
    bootstrap_resamples: int = BOOTSTRAP_RESAMPLES
    confidence: float = CONFIDENCE
    bootstrap_seed: int = BOOTSTRAP_SEED
    max_users_judged: int = MAX_USERS_JUDGED
    sample_seed: int = SAMPLE_SEED

    def bootstrap(self) -> Bootstrap:
        return Bootstrap(self.bootstrap_resamples, self.confidence, self.bootstrap_seed)

    def user_sample(self) -> UserSample:
        return UserSample(self.max_users_judged, self.sample_seed)


# The ALS gate judges holdout nDCG against popularity; the content gate judges topical coherence
# against chance, which any embedding beats a little, so it must beat it by far more (3x).
ALS_GATE = GatePolicy()
CONTENT_GATE = GatePolicy(
    metric=CATEGORY_AGREEMENT, floor_name="chance", min_lift_over_floor=3.0, min_users_judged=0
)


@dataclass(frozen=True)
class GateDecision:
    """The verdict, with one sentence per rule saying why."""

    passed: bool
    reasons: list[str] = field(default_factory=list)
    lift_over_floor: float = math.nan
    change_vs_champion: float | None = None
    users_judged: int | None = None


def judge(
    candidate: Mapping[str, float],
    popularity: Mapping[str, float],
    champion: Mapping[str, float] | None,
    policy: GatePolicy = GatePolicy(),
) -> GateDecision:
    """Pass only if enough users were judged, the candidate beats popularity by the lift, and it
    does not regress vs the champion beyond the tolerance (and its interval, when it has one).

    change_vs_champion is relative: (candidate - champion) / champion, e.g. -0.05 for 5% worse.
    A candidate and popularity both at 0 are no evidence either way: the gate fails, lift NaN.
    """
    name = policy.metric
    users = _users(candidate, policy)
    if policy.min_users_judged and (users is None or users < policy.min_users_judged):
        judged = "an unknown number of" if users is None else f"{users:,}"
        return GateDecision(
            False,
            [
                f"too few users to judge: {judged} users judged, below the minimum of "
                f"{policy.min_users_judged:,}; the champion stays"
            ],
            users_judged=users,
        )
    score = _metric(candidate, name, "candidate")
    floor = _metric(popularity, name, "popularity baseline")
    if score == 0.0 and floor == 0.0:
        return GateDecision(
            False,
            [
                f"no evidence: {name} is 0 for both the candidate and {policy.floor_name} over "
                f"{users if users is not None else 'the'} judged users; the champion stays"
            ],
            users_judged=users,
        )
    lift = _ratio(score, floor)
    beats_floor = lift >= policy.min_lift_over_floor
    verb = "beats" if beats_floor else "does not beat"
    reasons = [
        f"{name} {_figure(candidate, name, score)} {verb} {policy.floor_name} "
        f"{_figure(popularity, name, floor)} by the required "
        f"{policy.min_lift_over_floor:.2f}x (lift {lift:.2f}x)"
    ]
    if champion is None:
        reasons.append("no champion yet: nothing to regress against")
        return GateDecision(beats_floor, reasons, lift, None, users)

    best = _metric(champion, name, "champion")
    change = _ratio(score, best) - 1.0
    allowed = best * (1.0 - policy.max_regression_vs_champion)
    _, high = ci_names(name)
    upper = float(candidate[high]) if high in candidate else score
    holds_ground = score >= allowed or upper >= allowed
    if score >= allowed:
        verdict = "within"
    elif holds_ground:
        verdict = f"below but its interval (up to {upper:.4f}) reaches"
    else:
        verdict = "beyond"
    reasons.append(
        f"{name} {_figure(candidate, name, score)} vs champion {_figure(champion, name, best)} "
        f"({change:+.1%}) is {verdict} the allowed "
        f"{policy.max_regression_vs_champion:.1%} regression (minimum {allowed:.4f})"
    )
    return GateDecision(beats_floor and holds_ground, reasons, lift, change, users)


def _users(metrics: Mapping[str, float], policy: GatePolicy) -> int | None:
    value = metrics.get(policy.users_metric)
    return None if value is None or math.isnan(float(value)) else int(value)


def _figure(metrics: Mapping[str, float], name: str, value: float) -> str:
    """The figure with its interval beside it when the metrics carry one: 0.2420 [0.2310, 0.25]."""
    low, high = ci_names(name)
    if low in metrics and high in metrics:
        return f"{value:.4f} [{float(metrics[low]):.4f}, {float(metrics[high]):.4f}]"
    return f"{value:.4f}"


def _metric(metrics: Mapping[str, float], name: str, whose: str) -> float:
    if name not in metrics:
        raise KeyError(f"{whose} metrics have no {name!r} (found: {sorted(metrics)})")
    return float(metrics[name])


def _ratio(value: float, reference: float) -> float:
    """value / reference, where a zero reference is beaten infinitely by anything positive."""
    if reference == 0.0:
        return math.inf if value > 0.0 else math.nan if value == 0.0 else -math.inf
    return value / reference
