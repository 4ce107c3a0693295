"""Evaluation at scale: the previous oracle and popularity paths against today's, same run.

`python -m bench.evaluation` builds a synthetic large-shaped problem (100k judged users x 50k
creators by default: truth files of the generator's shape, a heavy-tailed ~43 train-seen creators
per user) and times, on the same inputs, the float64 one-batch-at-a-time oracle and the chunked
dense popularity baseline as they were before issue 13, then today's float32 batched oracle and
vectorized popularity, and the ALS top-n and the whole sampled evaluation for reference.
Prints seconds, ratios and how far the outputs agree.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.datagen.population import FRONT_PAGE_SHARE
from recsys.datagen.truth import CREATORS_FILE, USER_TOPICS_FILE
from recsys.datagen.vocabulary import TOPICS
from recsys.models.interactions import (
    Exclusions,
    exclusion_mask,
    mask_scores,
    recommendation_table,
    top_n,
)

K = 10
SEEN_MEDIAN = 30


def previous_oracle(
    truth_dir: Path,
    user_ids: np.ndarray,
    n: int,
    creator_ids: np.ndarray,
    exclude: Exclusions | None = None,
) -> pd.DataFrame:
    """recsys.models.oracle.oracle_recommendations before issue 13: float64, one thread."""
    user_ids = pd.unique(np.asarray(user_ids, dtype=np.int64))
    creators = pd.read_parquet(Path(truth_dir) / CREATORS_FILE)
    creators = creators[creators["creator_id"].isin(np.asarray(creator_ids))]
    creators = creators.sort_values("creator_id", kind="stable")
    prefs = pd.read_parquet(Path(truth_dir) / USER_TOPICS_FILE)
    prefs = prefs[prefs["user_id"].isin(user_ids)]
    topics = pd.Index(TOPICS)
    taste = np.zeros((len(user_ids), len(TOPICS)))
    taste[pd.Index(user_ids).get_indexer(prefs["user_id"]), topics.get_indexer(prefs["topic"])] = (
        prefs["weight"].to_numpy()
    )
    creator_topic = topics.get_indexer(creators["topic"])
    topic_part = (1.0 - FRONT_PAGE_SHARE) * creators["topic_share"].to_numpy()
    front_part = FRONT_PAGE_SHARE * creators["global_share"].to_numpy()
    item_ids = creators["creator_id"].to_numpy(np.int64)
    mask = exclusion_mask(exclude, user_ids, item_ids)
    frames = [recommendation_table(np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 0)))]
    for lo in range(0, len(user_ids), 2_048):
        scores = taste[lo : lo + 2_048][:, creator_topic] * topic_part + front_part
        top, top_scores = top_n(mask_scores(scores, mask[lo : lo + 2_048]), n)
        frames.append(recommendation_table(user_ids[lo : lo + 2_048], item_ids[top], top_scores))
    return pd.concat(frames, ignore_index=True)


def previous_popular(
    popular: pd.DataFrame, user_ids: np.ndarray, n: int, exclude: Exclusions | None = None
) -> pd.DataFrame:
    """recsys.models.popularity.recommend_popular before issue 13: dense users x depth chunks."""
    user_ids = pd.unique(np.asarray(user_ids, dtype=np.int64))
    creator_ids = popular["creator_id"].to_numpy(np.int64)
    scores = popular["n_users"].to_numpy(np.float32)
    mask = exclusion_mask(exclude, user_ids, creator_ids)
    frames = []
    for lo in range(0, max(len(user_ids), 1), 65_536):
        chunk = mask[lo : lo + 65_536]
        depth = min(len(creator_ids), n + int(np.diff(chunk.indptr).max(initial=0)))
        allowed = ~chunk[:, :depth].toarray()
        rank = np.cumsum(allowed, axis=1)
        rows, cols = np.nonzero(allowed & (rank <= n))
        frames.append(
            pd.DataFrame(
                {
                    "user_id": user_ids[lo + rows],
                    "creator_id": creator_ids[cols],
                    "rank": rank[rows, cols].astype(np.int32),
                    "score": scores[cols],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_synthetic_truth(
    truth_dir: Path, n_users: int, n_creators: int, seed: int
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Truth files of the generator's shape (lognormal popularity, one to three tastes per user),
    and train-seen pairs drawn by popularity: user ids, creator ids, seen (user_id, creator_id)."""
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, len(TOPICS), n_creators)
    popularity = rng.lognormal(0.0, 1.5, n_creators)
    topic_total = np.bincount(topic, weights=popularity, minlength=len(TOPICS))
    creator_ids = np.arange(1, n_creators + 1, dtype=np.int64)
    pd.DataFrame(
        {
            "creator_id": creator_ids,
            "topic": np.asarray(TOPICS)[topic],
            "popularity": popularity,
            "topic_share": popularity / topic_total[topic],
            "global_share": popularity / popularity.sum(),
        }
    ).to_parquet(truth_dir / CREATORS_FILE)
    user_ids = np.arange(1, n_users + 1, dtype=np.int64)
    n_topics = rng.integers(1, 4, n_users)
    weights = rng.exponential(1.0, (n_users, 3)) * (np.arange(3) < n_topics[:, None])
    weights /= weights.sum(axis=1, keepdims=True)
    user, slot = np.nonzero(weights)
    tastes = np.argsort(rng.random((n_users, len(TOPICS))), axis=1)[:, :3]
    pd.DataFrame(
        {
            "user_id": user_ids[user],
            "topic": np.asarray(TOPICS)[tastes[user, slot]],
            "weight": weights[user, slot],
        }
    ).to_parquet(truth_dir / USER_TOPICS_FILE)
    # Creators met per user: heavy-tailed like the demo's train (median 19, p99 114, max 306 of
    # 1.5k creators), about 43 on average as at large (42.9M pairs over 991k users).
    per_user = np.minimum(
        rng.lognormal(np.log(SEEN_MEDIAN), 0.8, n_users).astype(np.int64) + 1, n_creators
    )
    seen_creators = rng.choice(creator_ids, size=per_user.sum(), p=popularity / popularity.sum())
    seen = pd.DataFrame(
        {"user_id": np.repeat(user_ids, per_user), "creator_id": seen_creators}
    ).drop_duplicates()
    return user_ids, creator_ids, seen


def timed(label: str, call: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds:8.2f} s", flush=True)
    return seconds, result


def same_top_sets(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Share of users whose top-k creator sets agree."""
    sets_a = a.groupby("user_id")["creator_id"].apply(frozenset)
    sets_b = b.groupby("user_id")["creator_id"].apply(frozenset)
    return float((sets_a == sets_b.reindex(sets_a.index)).mean())


def main() -> None:
    from recsys.models.als import AlsFactors, recommend
    from recsys.models.evaluation import sample_users
    from recsys.models.gate_rule import ALS_GATE
    from recsys.models.oracle import oracle_recommendations
    from recsys.models.popularity import popular_items, recommend_popular

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000, help="judged users")
    parser.add_argument("--creators", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        truth = Path(folder)
        user_ids, creator_ids, seen = write_synthetic_truth(
            truth, args.users, args.creators, args.seed
        )
        popular = popular_items(seen)
        print(
            f"{args.users:,} judged users x {args.creators:,} creators, "
            f"{len(seen):,} train-seen pairs, top {K}"
        )
        old_oracle_s, old_oracle = timed(
            "oracle, previous (float64, 1 thread)",
            lambda: previous_oracle(truth, user_ids, K, creator_ids, seen),
        )
        new_oracle_s, new_oracle = timed(
            "oracle, now (float32, batched, 2 workers)",
            lambda: oracle_recommendations(truth, user_ids, K, creator_ids, seen),
        )
        old_pop_s, old_pop = timed(
            "popularity, previous (dense chunks)",
            lambda: previous_popular(popular, user_ids, K, seen),
        )
        new_pop_s, new_pop = timed(
            "popularity, now (vectorized)", lambda: recommend_popular(popular, user_ids, K, seen)
        )
        rng = np.random.default_rng(args.seed)
        factors = AlsFactors(
            rng.standard_normal((len(user_ids), 16), dtype=np.float32),
            rng.standard_normal((len(creator_ids), 16), dtype=np.float32),
            user_ids,
            creator_ids,
        )
        model_s, _ = timed(
            "ALS top-n (als.recommend, for reference)",
            lambda: recommend(factors, None, user_ids, K, exclude=seen),
        )
        sample = sample_users(user_ids, ALS_GATE.user_sample())
        cap = ALS_GATE.max_users_judged

        def sampled_evaluation() -> pd.DataFrame:
            recommend(factors, None, sample, K, exclude=seen)
            recommend_popular(popular, sample, K, seen)
            return oracle_recommendations(truth, sample, K, creator_ids, seen)

        sampled_s, _ = timed(
            f"model + popularity + oracle on the {len(sample):,}-user sample", sampled_evaluation
        )
    print(
        f"oracle speed-up {old_oracle_s / new_oracle_s:.1f}x; "
        f"popularity {old_pop_s / new_pop_s:.1f}x"
    )
    print(f"oracle top-{K} sets identical for {same_top_sets(old_oracle, new_oracle):.2%} of users")
    identical = old_pop.reset_index(drop=True).equals(new_pop.reset_index(drop=True))
    print(f"popularity lists identical: {identical}")
    per_user = (old_oracle_s + old_pop_s + model_s) / args.users
    print(
        f"extrapolated, per 1M judged users: previously {per_user * 1e6 / 60:.1f} min "
        f"(old oracle + old popularity + model); now judged on at most {cap:,} users: "
        f"{sampled_s:.1f} s whatever the platform's size"
    )


if __name__ == "__main__":
    main()
