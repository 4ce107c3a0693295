"""How busy readers are on a day: the figures to pick the bot threshold from.

dbt's stg_bot_users treats a user as a bot when their distinct events on some UTC day exceed
bot_max_events_per_day (CREATOR_DISCOVERY_BOT_MAX_EVENTS_PER_DAY). A threshold well above a high
percentile of user-days (p99.9), and below the crawlers one knows of, keeps heavy readers.
"""

from __future__ import annotations

import duckdb

PERCENTILES = (0.5, 0.9, 0.99, 0.999)

USER_DAY_EVENTS = """
    WITH user_days AS (
        SELECT user_id, CAST(event_at AS DATE) AS event_day, count(*) AS n
        FROM raw.events WHERE user_id IS NOT NULL GROUP BY ALL
    )
    SELECT quantile_cont(n, [{quantiles}]), max(n), count(*) FROM user_days
"""


def user_day_event_percentiles(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Percentiles (p50 .. p99.9) and the maximum of events per user and UTC day in raw.events
    (rows, not distinct ids: a guide, cheaper on a large history), and the number of user-days;
    empty without events."""
    quantiles = ", ".join(str(q) for q in PERCENTILES)
    row = conn.execute(USER_DAY_EVENTS.format(quantiles=quantiles)).fetchone()
    if row is None or not row[2]:
        return {}
    figures = {_name(q): round(float(v), 1) for q, v in zip(PERCENTILES, row[0], strict=True)}
    return {**figures, "max": float(row[1]), "user_days": float(row[2])}


def _name(quantile: float) -> str:
    return "p" + f"{quantile * 100:g}"
