"""The true preferences behind the events, kept outside the landing zone for evaluation.

How events follow the truth (see events.py). Each event of user u is, with probability
f = FRONT_PAGE_SHARE, a front-page event: a creator drawn by popularity among all creators.
Otherwise it picks a topic t with the user's taste d(u, t) (one to three topics, summing to 1),
then a creator of t by popularity among that topic's creators. Only creators that have published
by the event's time can be drawn.

So, once every creator has published, the true affinity of u for creator c (the expected share of
u's events that go to c) is

    affinity(u, c) = (1 - f) * d(u, topic(c)) * topic_share(c) + f * global_share(c)

with topic_share(c) = popularity(c) / (total popularity of topic(c)) and
global_share(c) = popularity(c) / (total popularity). Files written to the truth folder:
- user_topic_preferences.parquet: user_id int64, topic string, weight float64 (= d(u, t); topics
  a user does not list have d = 0);
- creator_truth.parquet: creator_id int64, topic string, popularity, topic_share, global_share
  (float64);
- bot_users.parquet, only from a profile with bots (irregular): user_id int64, bot_days int64,
  bot_events int64 (the crawl events only; a bot's few other events follow its tastes). Every
  other user is a real reader, however heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys.datagen.files import write_parquet
from recsys.datagen.population import FRONT_PAGE_SHARE, N_TOPICS, Creators, Users
from recsys.datagen.vocabulary import TOPICS

USER_TOPICS_FILE = "user_topic_preferences.parquet"
CREATORS_FILE = "creator_truth.parquet"
BOTS_FILE = "bot_users.parquet"
_TOPIC_INDEX = pd.Index(TOPICS)


def true_affinity(
    user_topic_weights: Mapping[str, float],
    creator_topic: np.ndarray | pd.Series,
    creator_topic_share: np.ndarray | pd.Series,
    creator_global_share: np.ndarray | pd.Series,
    front_page_share: float = FRONT_PAGE_SHARE,
) -> np.ndarray:
    """Expected share of one user's events going to each creator (see the module docstring)."""
    taste = np.array([user_topic_weights.get(topic, 0.0) for topic in TOPICS])
    topic_index = _TOPIC_INDEX.get_indexer(np.asarray(creator_topic))
    if (topic_index < 0).any():
        raise ValueError("unknown creator topic")
    return (1.0 - front_page_share) * taste[topic_index] * np.asarray(
        creator_topic_share, dtype=np.float64
    ) + front_page_share * np.asarray(creator_global_share, dtype=np.float64)


def true_top_creators(truth_dir: Path, user_ids: np.ndarray, k: int = 10) -> pd.DataFrame:
    """Per user, the k creators of highest true affinity: user_id, creator_id, rank, affinity."""
    creators = pd.read_parquet(truth_dir / CREATORS_FILE)
    prefs = pd.read_parquet(truth_dir / USER_TOPICS_FILE)
    user_ids = np.asarray(user_ids, dtype=np.int64)
    prefs = prefs[prefs["user_id"].isin(user_ids)]
    taste = np.zeros((len(user_ids), N_TOPICS))
    rows = pd.Index(user_ids).get_indexer(prefs["user_id"])
    taste[rows, _TOPIC_INDEX.get_indexer(prefs["topic"])] = prefs["weight"].to_numpy()
    creator_topic = _TOPIC_INDEX.get_indexer(creators["topic"])
    topic_part = (1.0 - FRONT_PAGE_SHARE) * creators["topic_share"].to_numpy()
    front_part = FRONT_PAGE_SHARE * creators["global_share"].to_numpy()
    k = min(k, len(creators))
    frames = [pd.DataFrame(columns=["user_id", "creator_id", "rank", "affinity"])]
    # Chunks bound the dense users x creators block (50k creators at the large scale).
    for lo in range(0, len(user_ids), 256):
        scores = taste[lo : lo + 256][:, creator_topic] * topic_part + front_part
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        frames.append(
            pd.DataFrame(
                {
                    "user_id": np.repeat(user_ids[lo : lo + 256], k),
                    "creator_id": creators["creator_id"]
                    .to_numpy()[np.take_along_axis(top, order, axis=1)]
                    .ravel(),
                    "rank": np.tile(np.arange(1, k + 1), len(top)),
                    "affinity": np.take_along_axis(top_scores, order, axis=1).ravel(),
                }
            )
        )
    return pd.concat(frames[1:], ignore_index=True) if len(frames) > 1 else frames[0]


def write_truth(truth_out: Path, users: Users, creators: Creators) -> dict[str, int]:
    """Write both truth files; returns rows per file."""
    user, slot = np.nonzero(users.weights > 0)
    topic_names = pa.array(TOPICS)
    preferences = pa.table(
        {
            "user_id": pa.array(user.astype(np.int64) + 1),
            "topic": topic_names.take(pa.array(users.topics[user, slot])),
            "weight": pa.array(users.weights[user, slot]),
        }
    )
    topic_total = np.bincount(creators.topic, weights=creators.popularity, minlength=N_TOPICS)
    creator_table = pa.table(
        {
            "creator_id": pa.array(np.arange(1, len(creators.topic) + 1, dtype=np.int64)),
            "topic": topic_names.take(pa.array(creators.topic)),
            "popularity": pa.array(creators.popularity),
            "topic_share": pa.array(creators.popularity / topic_total[creators.topic]),
            "global_share": pa.array(creators.popularity / creators.popularity.sum()),
        }
    )
    write_parquet(preferences, truth_out / USER_TOPICS_FILE)
    write_parquet(creator_table, truth_out / CREATORS_FILE)
    return {USER_TOPICS_FILE: preferences.num_rows, CREATORS_FILE: creator_table.num_rows}


def write_bot_truth(
    truth_out: Path, user: np.ndarray, bot_days: np.ndarray, bot_events: np.ndarray
) -> dict[str, int]:
    """Write the bots (user indexes) with their crawl days and events; returns rows per file."""
    table = pa.table(
        {
            "user_id": pa.array(np.asarray(user, dtype=np.int64) + 1),
            "bot_days": pa.array(np.asarray(bot_days, dtype=np.int64)),
            "bot_events": pa.array(np.asarray(bot_events, dtype=np.int64)),
        }
    )
    write_parquet(table, truth_out / BOTS_FILE)
    return {BOTS_FILE: table.num_rows}


def true_bot_users(truth_dir: Path) -> np.ndarray:
    """The user_ids the generator made bots (none without a bots file)."""
    path = truth_dir / BOTS_FILE
    if not path.exists():
        return np.empty(0, dtype=np.int64)
    return pd.read_parquet(path)["user_id"].to_numpy(dtype=np.int64)
