"""The item -> similar items tables (similar creators, similar posts), read off an ANN index.

`similar_posts` is precomputed only for the posts a feed can still show (published within the
feed's freshness window, `recsys.serving.inputs.in_feed_window`): the product opens a post's
neighbours from a feed, and every other post's are answered online from the same index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.serving.ann import query_threads
from recsys.serving.top_n import top_n_per_group

if TYPE_CHECKING:
    from recsys.serving.ann import AnnIndex

# The table's queries go in this many blocks, so a long run reports progress as it goes.
PROGRESS_BLOCKS = 10


def similar_items_table(
    index: AnnIndex,
    n: int,
    subject: str,
    item: str,
    item_ids: np.ndarray | None = None,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Up to n nearest items per item of `item_ids` (default: every indexed item), never the item
    itself; queries run on `threads` (default: every core) with the index's search_k.

    Columns: `subject`, `item`, rank (1..m contiguous), score (non-increasing with rank).
    """
    subjects = index.ids if item_ids is None else np.asarray(item_ids, dtype=np.int64)
    vectors = index.vectors() if item_ids is None else index.vectors_of(subjects)
    threads = threads or query_threads()
    report = progress or (lambda _line: None)
    # One extra neighbour, since the item usually finds itself first; under inner product it need
    # not, so it is dropped by id rather than by rank. Annoy pads short results with id -1.
    ids = np.full((len(subjects), n + 1), -1, dtype=np.int64)
    scores = np.full((len(subjects), n + 1), np.nan, dtype=np.float32)
    block = max(1, -(-len(subjects) // PROGRESS_BLOCKS))
    started = time.perf_counter()
    for start in range(0, len(subjects), block):
        end = min(start + block, len(subjects))
        ids[start:end], scores[start:end] = index.query_many(
            vectors[start:end], n + 1, threads=threads
        )
        elapsed = time.perf_counter() - started
        left = elapsed / end * (len(subjects) - end)
        report(f"queried {end:,}/{len(subjects):,} items ({elapsed:.1f} s, ~{left:.0f} s left)")
    frame = pd.DataFrame(
        {
            subject: np.repeat(subjects, ids.shape[1]),
            item: ids.ravel(),
            "score": scores.ravel(),
        }
    )
    frame = frame[(frame[item] != frame[subject]) & (frame[item] >= 0)]
    return top_n_per_group(frame, subject, item, n)[[subject, item, "rank", "score"]]


def similar_posts_table(
    index: AnnIndex,
    feed_post_ids: np.ndarray,
    n: int,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """`similar_posts` for the feed-eligible posts that are indexed (a post the content model has
    not embedded has no neighbours to give)."""
    feed_post_ids = np.asarray(feed_post_ids, dtype=np.int64)
    indexed = feed_post_ids[np.isin(feed_post_ids, index.ids)]
    return similar_items_table(
        index, n, "post_id", "similar_post_id", indexed, threads=threads, progress=progress
    )
