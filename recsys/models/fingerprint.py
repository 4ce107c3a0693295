"""A fingerprint of what a model is trained on, so a fit on the same inputs is not run twice.

The fingerprint hashes the input rows (as a multiset: row order does not matter), the column names
and types, the parameters and the model family's code version. A run or registered version tagged
with the same fingerprint is reused instead of fitted and registered again.

Bump a family's code version when its training code changes what it produces (the fit, the
features it reads, the metrics it is judged on), so the next run fits afresh:
ALS_CODE_VERSION covers recsys/models/{als,interactions,training,evaluation,popularity,oracle}.py,
CONTENT_CODE_VERSION covers recsys/models/content.py and the content half of training.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

FINGERPRINT_TAG = "input_fingerprint"
ALS_CODE_VERSION = "als-2"  # als-2: bootstrap intervals on nDCG
CONTENT_CODE_VERSION = "content-1"
FLOAT_DECIMALS = 9


def fingerprint(
    frames: pd.DataFrame | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any],
    code_version: str,
) -> str:
    """A hex digest of the frames' rows (in any order), the params and the code version."""
    named = {"data": frames} if isinstance(frames, pd.DataFrame) else dict(frames)
    digest = hashlib.sha256()
    digest.update(
        json.dumps(
            {"code_version": code_version, "params": dict(params)}, sort_keys=True, default=str
        ).encode()
    )
    for name in sorted(named):
        digest.update(_frame_digest(name, named[name]))
    return digest.hexdigest()


def _frame_digest(name: str, frame: pd.DataFrame) -> bytes:
    columns = sorted(frame.columns)
    schema = [(str(column), str(frame[column].dtype)) for column in columns]
    # Floats are rounded: the warehouse sums them in parallel, in an order that changes the last
    # bits from one run to the next.
    values = frame[columns].apply(lambda c: c.round(FLOAT_DECIMALS) if c.dtype.kind == "f" else c)
    rows = pd.util.hash_pandas_object(values, index=False).to_numpy(dtype=np.uint64)
    # Sorted row hashes: the same rows read back in another order give the same fingerprint.
    header = json.dumps({"name": name, "schema": schema, "rows": len(rows)}).encode()
    return hashlib.sha256(header + np.sort(rows).tobytes()).digest()
