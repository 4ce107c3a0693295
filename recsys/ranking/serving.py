"""The served order: whether the ranker orders user_creators, and the order it gives.

The ranker serves only on the evidence of its gate: its champion must be the version judged
last (a newer version that failed the gate means it no longer beats ALS alone), judged over the
ALS and content champions that serve now (its features are their scores), on feature snapshots
whose checks stand passed. Otherwise the table keeps ALS order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.models.als import AlsFactors
from recsys.models.content import Embeddings
from recsys.ranking.candidates import Retrievers, reader_profiles
from recsys.ranking.labels import reads_before, serving_label_times
from recsys.ranking.ranker import Ranker
from recsys.ranking.training import RankingParams, window_candidates
from recsys.serving.top_n import top_n_per_group

if TYPE_CHECKING:
    import duckdb

# Tags of a registered ranker version: the ALS and content versions its features came from.
ALS_VERSION_TAG = "als_version"
CONTENT_VERSION_TAG = "content_version"
SOURCE_PREFIX = "ranker:"
# Readers ranked per block: candidates, features and scores of one block at a time (about 100
# candidates a reader), so memory stays flat at a million readers.
SERVING_BATCH_READERS = 50_000
DEFAULT_PARAMS = RankingParams()
LATEST_SNAPSHOT_SQL = "SELECT max(available_at) FROM features.user_snapshots"


@dataclass(frozen=True)
class ServingVerdict:
    """Whether the ranker orders the table, and why (or why not), in one sentence."""

    serves: bool
    reason: str


def serving_verdict(
    champion_version: int | None,
    latest_version: int | None,
    champion_tags: Mapping[str, str],
    als_version: int,
    content_version: int,
    failed_feature_checks: list[str],
) -> ServingVerdict:
    """The ranker champion serves if no check on the feature snapshots stands failed, it is the
    version judged last, and it was built over the ALS and content versions that serve."""
    if failed_feature_checks:
        listed = ", ".join(failed_feature_checks)
        return ServingVerdict(False, f"feature snapshot checks stand failed ({listed}): ALS order")
    if champion_version is None:
        return ServingVerdict(False, "no ranker has passed its gate yet: ALS order")
    if latest_version is None:
        return ServingVerdict(False, "the latest ranker run trained nothing: ALS order")
    if latest_version != champion_version:
        return ServingVerdict(
            False,
            f"the latest ranker, version {latest_version}, did not pass its gate (it does not "
            "beat ALS alone by the margin): ALS order",
        )
    for model, tag, serving in (
        ("ALS", ALS_VERSION_TAG, als_version),
        ("content", CONTENT_VERSION_TAG, content_version),
    ):
        judged_over = champion_tags.get(tag)
        if judged_over != str(serving):
            return ServingVerdict(
                False,
                f"ranker version {champion_version} was judged over {model} version "
                f"{judged_over}, {model} version {serving} serves now: ALS order until the "
                "ranker is retrained",
            )
    return ServingVerdict(True, f"ranker version {champion_version} orders the known readers")


def latest_label_time(conn: duckdb.DuckDBPyConnection) -> pd.Timestamp:
    """Now, for serving: when the latest snapshot became readable (the end of the latest day)."""
    [(latest,)] = conn.execute(LATEST_SNAPSHOT_SQL).fetchall()
    if latest is None:
        raise LookupError("features.user_snapshots is empty: build the dbt features first")
    return pd.Timestamp(latest)


def ranked_user_creators(
    conn: duckdb.DuckDBPyConnection,
    ranker: Ranker,
    als: AlsFactors,
    posts: Embeddings,
    creators: Embeddings,
    user_ids: np.ndarray,
    subscribed: pd.DataFrame,
    n: int,
    params: RankingParams = DEFAULT_PARAMS,
    progress: Callable[[str], None] = lambda _: None,
) -> pd.DataFrame:
    """Each reader's top n candidates by the ranker's score, never a creator they subscribe to:
    user_id, creator_id, rank, score, source (ranker:<the retrievers that proposed it>)."""
    label_ts = latest_label_time(conn)
    users = np.unique(np.asarray(user_ids, dtype=np.int64))
    parts = []
    ranked = 0
    for block in _blocks(users):
        labels = serving_label_times(block, label_ts)
        profiles = reader_profiles(reads_before(conn, labels), posts)
        exclude = subscribed.loc[subscribed["user_id"].isin(block), ["user_id", "creator_id"]]
        candidates = window_candidates(
            conn, labels, Retrievers(als, profiles, creators), exclude, params
        )
        candidates["score"] = ranker.predict(candidates)
        top = top_n_per_group(candidates, "user_id", "creator_id", n)
        parts.append(top.assign(source=SOURCE_PREFIX + top["sources"]))
        ranked += len(block)
        progress(f"Ranked {ranked:,} of {len(users):,} readers")
    columns = ["user_id", "creator_id", "rank", "score", "source"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)[columns]
    return table.astype({"rank": "int32", "score": "float32"})


def _blocks(users: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(users), SERVING_BATCH_READERS):
        yield users[start : start + SERVING_BATCH_READERS]
