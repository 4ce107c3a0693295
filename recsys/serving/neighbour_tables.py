"""The item -> similar items tables (similar creators, similar posts), read off an ANN index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.serving.top_n import top_n_per_group

if TYPE_CHECKING:
    from recsys.serving.ann import AnnIndex


def similar_items_table(index: AnnIndex, n: int, subject: str, item: str) -> pd.DataFrame:
    """Up to n nearest items per indexed item, never the item itself.

    Columns: `subject`, `item`, rank (1..m contiguous), score (non-increasing with rank).
    """
    # One extra neighbour, since the item usually finds itself first; under inner product it need
    # not, so it is dropped by id rather than by rank. Annoy pads short results with id -1.
    ids, scores = index.query_many(index.vectors(), n + 1)
    frame = pd.DataFrame(
        {
            subject: np.repeat(index.ids, ids.shape[1]),
            item: ids.ravel(),
            "score": scores.ravel(),
        }
    )
    frame = frame[(frame[item] != frame[subject]) & (frame[item] >= 0)]
    return top_n_per_group(frame, subject, item, n)[[subject, item, "rank", "score"]]
