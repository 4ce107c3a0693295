"""Timestamps as int64 microseconds since the Unix epoch (naive UTC), as landing files hold."""

from __future__ import annotations

import datetime as dt

import numpy as np

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH = dt.date(1970, 1, 1)


def day_start_us(day: dt.date) -> int:
    """Midnight UTC of `day` in microseconds since the epoch."""
    return (day - EPOCH).days * US_PER_DAY


def as_datetime64(us: np.ndarray) -> np.ndarray:
    """A view of int64 microseconds as datetime64[us], which Arrow writes as timestamp[us]."""
    return np.asarray(us, dtype=np.int64).view("datetime64[us]")


def days_ago_us(anchor_us: int, days: np.ndarray) -> np.ndarray:
    """Times `days` (fractional) before `anchor_us`, truncated to whole microseconds."""
    return anchor_us - (np.asarray(days) * US_PER_DAY).astype(np.int64)
