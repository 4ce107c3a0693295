"""The ranker's gate: it serves only when it beats ALS alone on the holdout by a margin.

The same rule as the ALS gate (recsys/models/gate_rule.py), with ALS alone as the floor: both
rank the same judged readers at their cutoffs, with the same exclusions, so the comparison is
paired. A ranker that does not beat ALS by the margin costs a stage and buys nothing: the tables
keep ALS order.
"""

from __future__ import annotations

from recsys.models.evaluation import K
from recsys.models.gate_rule import GatePolicy

# The ranker's holdout nDCG@10 must be at least this multiple of ALS alone's (1.02: 2% better).
# Below it the gain is within what a retrain moves the figure by (the ALS gate tolerates 2%).
RANKER_MIN_LIFT = 1.02
RANKER_GATE = GatePolicy(
    metric=f"ndcg_at_{K}", floor_name="ALS alone", min_lift_over_floor=RANKER_MIN_LIFT
)
# The figures of ALS alone carry this prefix beside the ranker's (e.g. als_ndcg_at_10).
FLOOR_PREFIX = "als_"
# Bump when the ranking code changes what a fit produces (recsys/models/fingerprint.py).
RANKER_CODE_VERSION = "ranker-1"
