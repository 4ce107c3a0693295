"""The dbt project on a hand-made raw schema: dedup, bot removal, decay, the temporal split."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.dbt_harness import DbtRun, query, run_dbt, write_raw_schema

HALF_LIFE_DAYS = 14
CUTOFF = dt.datetime(2026, 3, 15)
LATEST_EVENT_AT = dt.datetime(2026, 3, 20, 12)
WEIGHTS = {"view": 1, "read": 3, "like": 4, "comment": 5, "share": 6}
BOT_MAX_EVENTS_PER_DAY = 5


def ts(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second)


def decayed(event_type: str, event_at: dt.datetime, as_of: dt.datetime) -> float:
    age_days = (as_of - event_at).total_seconds() / 86400
    return WEIGHTS[event_type] * 0.5 ** (age_days / HALF_LIFE_DAYS)


def event(
    event_id: int,
    user_id: int,
    post_id: int,
    event_type: str,
    event_at: dt.datetime,
    dwell_seconds: float | None = None,
) -> tuple[object, ...]:
    return (event_id, user_id, post_id, event_type, event_at, dwell_seconds, event_at.date())


# Reader 1 reads creator 10 exactly one half-life before the latest event, likes creator 20 one
# second before the cutoff and views creator 30 exactly at the cutoff.
USER_1_EVENTS = [
    event(1, 1, 100, "read", ts(6, 12), 120.0),
    event(2, 1, 200, "like", ts(14, 23, 59, 59)),
    event(3, 1, 300, "view", ts(15), 30.0),
]
# Reader 2 has exactly the daily limit of events on March 10, one of them delivered twice, and
# produces the latest event (a share of creator 30).
USER_2_EVENTS = [
    event(10, 2, 100, "view", ts(10, 12), 10.0),
    event(11, 2, 101, "view", ts(10, 12, 5), 20.0),
    event(12, 2, 100, "read", ts(10, 12, 10), 200.0),
    event(13, 2, 200, "view", ts(10, 12, 15), 5.0),
    event(14, 2, 200, "view", ts(10, 12, 20), 5.0),
    event(15, 2, 100, "comment", ts(17, 9)),
    event(16, 2, 300, "share", LATEST_EVENT_AT),
]
REDELIVERED = (*USER_2_EVENTS[0][:-1], ts(11).date())
# Reader 3 is a bot: one event over the daily limit on March 12, and one more event another day.
BOT_EVENTS = [
    *(event(20 + i, 3, 100, "view", ts(12, 10, i), 1.0) for i in range(BOT_MAX_EVENTS_PER_DAY + 1)),
    event(30, 3, 200, "read", ts(16, 8), 60.0),
]

RAW_ROWS: dict[str, list[tuple[object, ...]]] = {
    "users": [
        (1, dt.datetime(2025, 6, 1), "US"),
        (2, dt.datetime(2026, 1, 1), "FR"),
        (3, dt.datetime(2026, 2, 1), "DE"),
        (4, dt.datetime(2026, 3, 1), "US"),
    ],
    "creators": [
        (10, "Ada", "tech", dt.datetime(2025, 1, 1)),
        (20, "Bo", "food", dt.datetime(2025, 6, 1)),
        (30, "Cy", "travel", dt.datetime(2026, 3, 1)),
        (40, "Di", "tech", dt.datetime(2026, 3, 18)),
    ],
    "posts": [
        (100, 10, "Intro", "hello world", dt.datetime(2026, 2, 1), False),
        (101, 10, "Deep dive", "for members", dt.datetime(2026, 2, 15), True),
        (200, 20, "Bread", "flour water salt", dt.datetime(2026, 2, 20), False),
        (300, 30, "Lisbon", "hills and trams", dt.datetime(2026, 3, 5), False),
    ],
    "subscriptions": [
        (1, 1, 10, "free", dt.datetime(2026, 1, 1), None),
        (2, 1, 20, "paid", dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)),
        (3, 2, 10, "paid", dt.datetime(2026, 2, 1), None),
        (4, 2, 30, "free", dt.datetime(2026, 3, 10), None),
    ],
    "events": [*USER_1_EVENTS, *USER_2_EVENTS, REDELIVERED, *BOT_EVENTS],
}
# The per-user protocol's readers, besides readers 1 and 2: reader 5 meets creators 10, 20 and 30
# in turn, then comes back to 10 and 20 after meeting 30 (events a split by user must keep out of
# their training); reader 6 only ever met creator 10.
USER_5_EVENTS = [
    event(40, 5, 100, "view", ts(2)),
    event(41, 5, 200, "read", ts(8)),
    event(42, 5, 300, "like", ts(16)),
    event(43, 5, 100, "share", ts(18)),
    event(44, 5, 200, "view", ts(19)),
]
USER_6_EVENTS = [event(50, 6, 100, "view", ts(5))]
PER_USER_ROWS = {
    **RAW_ROWS,
    "users": [
        *RAW_ROWS["users"],
        (5, dt.datetime(2026, 1, 1), "US"),
        (6, dt.datetime(2026, 1, 1), "US"),
    ],
    "events": [*RAW_ROWS["events"], *USER_5_EVENTS, *USER_6_EVENTS],
}
# The builds split globally unless they say otherwise (the per-user protocol has its own builds).
BASE_VARS = {
    "bot_max_events_per_day": BOT_MAX_EVENTS_PER_DAY,
    "decay_half_life_days": HALF_LIFE_DAYS,
    "split_protocol": "global",
}


# The builds the file needs (explicit cutoff, default cutoff, the per-user protocol by count and by
# fraction, a broken input) run at once:
# each has its own warehouse and target dir, and dbt's start-up dominates their cost.
BUILDS: dict[str, tuple[dict[str, list[tuple[object, ...]]], dict[str, object]]] = {
    "explicit_cutoff": (RAW_ROWS, {"split_cutoff": str(CUTOFF)}),
    "default_cutoff": (RAW_ROWS, {}),
    "per_user": (PER_USER_ROWS, {"split_protocol": "per_user", "holdout_user_creators": 1}),
    "per_user_fraction": (
        PER_USER_ROWS,
        {"split_protocol": "per_user", "holdout_user_fraction": 0.5},
    ),
    "unknown_event_type": (
        {**RAW_ROWS, "events": [*RAW_ROWS["events"], event(99, 1, 100, "purchase", ts(18))]},
        {"split_cutoff": str(CUTOFF)},
    ),
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, DbtRun]]:
    """Each BUILDS entry's warehouse after `dbt build`, with the run's outcome."""

    # Temp dirs are made here, not in the threads: pytest creates its base temp dir lazily.
    work_dirs = {name: tmp_path_factory.mktemp(name) for name in BUILDS}

    def build(name: str) -> tuple[Path, DbtRun]:
        rows, dbt_vars = BUILDS[name]
        warehouse = work_dirs[name] / "warehouse.duckdb"
        write_raw_schema(warehouse, rows)
        return warehouse, run_dbt("build", warehouse, work_dirs[name], {**BASE_VARS, **dbt_vars})

    with ThreadPoolExecutor(max_workers=len(BUILDS)) as pool:
        return dict(zip(BUILDS, pool.map(build, BUILDS), strict=True))


def succeeded(builds: dict[str, tuple[Path, DbtRun]], name: str) -> Path:
    warehouse, run = builds[name]
    assert run.returncode == 0, run.output
    return warehouse


@pytest.fixture(scope="module")
def warehouse(builds: dict[str, tuple[Path, DbtRun]]) -> Path:
    """The warehouse built with the explicit split cutoff."""
    return succeeded(builds, "explicit_cutoff")


@pytest.fixture(scope="module")
def default_cutoff_warehouse(builds: dict[str, tuple[Path, DbtRun]]) -> Path:
    """The warehouse built without a split cutoff (holdout_days keeps its default, 7)."""
    return succeeded(builds, "default_cutoff")


def event_counts(warehouse: Path, model: str) -> dict[tuple[int, int], int]:
    rows = query(warehouse, f"select user_id, creator_id, n_events from {model}")
    return {(user_id, creator_id): n_events for user_id, creator_id, n_events in rows}


def strengths(warehouse: Path, model: str) -> dict[tuple[int, int], float]:
    rows = query(warehouse, f"select user_id, creator_id, strength from {model}")
    return {(user_id, creator_id): strength for user_id, creator_id, strength in rows}


def test_dbt_build_passes_every_test_on_clean_data(
    builds: dict[str, tuple[Path, DbtRun]],
) -> None:
    _, run = builds["explicit_cutoff"]
    assert run.returncode == 0, run.output
    assert run.failed_nodes() == []
    assert sum(node.startswith("test.") for node in run.statuses) > 50


def test_models_land_in_their_layer_schemas(warehouse: Path) -> None:
    tables = set(query(warehouse, "select table_schema, table_name from information_schema.tables"))
    assert {
        ("staging", "stg_events"),
        ("intermediate", "int_user_creator_interactions"),
        ("marts", "interactions_train"),
        ("marts", "user_features"),
    } <= tables


def test_a_redelivered_event_is_kept_once(warehouse: Path) -> None:
    assert query(warehouse, "select count(*) from staging.stg_events where event_id = 10") == [(1,)]
    assert query(warehouse, "select event_date from staging.stg_events where event_id = 10") == [
        (ts(10).date(),)
    ]
    n_events = event_counts(warehouse, "intermediate.int_user_creator_interactions")
    assert n_events[(2, 10)] == 4  # events 10, 11, 12, 15; the second delivery of 10 is not counted


def test_a_user_over_the_daily_limit_is_a_bot_and_loses_all_events(warehouse: Path) -> None:
    assert query(warehouse, "select user_id, max_events_per_day from staging.stg_bot_users") == [
        (3, BOT_MAX_EVENTS_PER_DAY + 1)
    ]
    assert query(warehouse, "select count(*) from staging.stg_events where user_id = 3") == [(0,)]
    assert query(
        warehouse, "select is_bot, n_events from marts.user_features where user_id = 3"
    ) == [(True, 0)]


def test_a_user_at_the_daily_limit_counting_a_duplicate_once_is_not_a_bot(warehouse: Path) -> None:
    assert query(warehouse, "select count(*) from staging.stg_events where user_id = 2") == [(7,)]


def test_events_are_tagged_with_their_posts_creator(warehouse: Path) -> None:
    rows = query(warehouse, "select event_id, creator_id from staging.stg_events where user_id = 1")
    assert sorted(rows) == [(1, 10), (2, 20), (3, 30)]


def test_a_read_one_half_life_before_the_latest_event_contributes_half_its_weight(
    warehouse: Path,
) -> None:
    interactions = strengths(warehouse, "intermediate.int_user_creator_interactions")
    assert interactions[(1, 10)] == pytest.approx(WEIGHTS["read"] * 0.5)
    assert interactions[(2, 30)] == pytest.approx(WEIGHTS["share"])  # the latest event: no decay


def test_interaction_strength_sums_every_decayed_event_of_the_pair(warehouse: Path) -> None:
    expected = sum(
        decayed(e[3], e[4], LATEST_EVENT_AT) for e in USER_2_EVENTS if e[2] in (100, 101)
    )
    interactions = strengths(warehouse, "intermediate.int_user_creator_interactions")
    assert interactions[(2, 10)] == pytest.approx(expected)


def test_an_event_just_before_the_cutoff_is_in_train_only(warehouse: Path) -> None:
    assert (1, 20) in event_counts(warehouse, "marts.interactions_train")
    assert (1, 20) not in event_counts(warehouse, "marts.interactions_holdout")


def test_an_event_at_the_cutoff_is_in_holdout_only(warehouse: Path) -> None:
    assert (1, 30) not in event_counts(warehouse, "marts.interactions_train")
    assert (1, 30) in event_counts(warehouse, "marts.interactions_holdout")


def test_train_strength_is_decayed_as_of_the_cutoff_not_the_latest_event(warehouse: Path) -> None:
    train = strengths(warehouse, "marts.interactions_train")
    assert train[(1, 10)] == pytest.approx(decayed("read", ts(6, 12), CUTOFF))
    assert train[(1, 10)] != pytest.approx(WEIGHTS["read"] * 0.5)
    assert train[(1, 20)] == pytest.approx(
        WEIGHTS["like"], rel=1e-5
    )  # one second before the cutoff


def test_train_holds_only_events_before_the_cutoff(warehouse: Path) -> None:
    train = event_counts(warehouse, "marts.interactions_train")
    assert set(train) == {(1, 10), (1, 20), (2, 10), (2, 20)}
    assert train[(2, 10)] == 3  # events 10, 11, 12; the comment on March 17 is holdout


def test_holdout_marks_the_pairs_already_seen_in_train(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select user_id, creator_id, n_events, seen_in_train from marts.interactions_holdout",
    )
    assert sorted(rows) == [(1, 30, 1, False), (2, 10, 1, True), (2, 30, 1, False)]


def test_holdout_strength_is_decayed_as_of_the_latest_event(warehouse: Path) -> None:
    holdout = strengths(warehouse, "marts.interactions_holdout")
    assert holdout[(1, 30)] == pytest.approx(decayed("view", CUTOFF, LATEST_EVENT_AT))


def test_an_explicit_split_cutoff_is_used_as_given(warehouse: Path) -> None:
    assert query(
        warehouse, "select cutoff_at, cutoff_source, latest_event_at from marts.split_cutoff"
    ) == [(CUTOFF, "split_cutoff", LATEST_EVENT_AT)]


def test_user_features_count_activity_and_running_subscriptions(warehouse: Path) -> None:
    columns = (
        "n_events, n_views, n_reads, n_likes, active_days, n_distinct_creators, mean_dwell_seconds,"
        " n_active_subscriptions, n_active_paid_subscriptions, last_event_at, days_since_signup"
    )
    rows = dict(
        (row[0], row[1:])
        for row in query(warehouse, f"select user_id, {columns} from marts.user_features")
    )
    assert rows[1] == (3, 1, 1, 1, 3, 3, 75.0, 1, 0, ts(15), 292)
    assert rows[4] == (0, 0, 0, 0, 0, 0, None, 0, 0, None, 19)  # no events, still a row


def test_creator_features_count_recent_engagement_and_flag_new_creators(warehouse: Path) -> None:
    columns = (
        "n_posts, n_paid_posts, n_active_subscribers, n_paid_subscribers, n_events,"
        " n_distinct_readers, n_events_recent, n_distinct_readers_recent, is_new"
    )
    rows = dict(
        (row[0], row[1:])
        for row in query(warehouse, f"select creator_id, {columns} from marts.creator_features")
    )
    assert rows[10] == (2, 1, 2, 1, 5, 2, 1, 1, False)
    assert rows[30] == (1, 0, 1, 0, 2, 2, 2, 2, True)
    assert rows[40] == (0, 0, 0, 0, 0, 0, 0, 0, True)  # joined two days ago, no posts yet


def test_post_features_measure_reads_among_readers(warehouse: Path) -> None:
    columns = "category, n_views, n_reads, n_distinct_readers, read_rate, mean_dwell_seconds"
    rows = dict(
        (row[0], row[1:])
        for row in query(warehouse, f"select post_id, {columns} from marts.post_features")
    )
    assert rows[100] == ("tech", 1, 2, 2, 1.0, pytest.approx((120 + 10 + 200) / 3))
    assert rows[200] == ("food", 2, 0, 2, 0.0, 5.0)


def test_the_default_cutoff_leaves_exactly_holdout_days_whole_days_in_the_holdout(
    default_cutoff_warehouse: Path,
) -> None:
    assert query(
        default_cutoff_warehouse, "select cutoff_at, cutoff_source from marts.split_cutoff"
    ) == [(dt.datetime(2026, 3, 14), "holdout_days")]
    assert set(event_counts(default_cutoff_warehouse, "marts.interactions_train")) == {
        (1, 10),
        (2, 10),
        (2, 20),
    }
    assert set(event_counts(default_cutoff_warehouse, "marts.interactions_holdout")) == {
        (1, 20),
        (1, 30),
        (2, 10),
        (2, 30),
    }


def test_an_event_type_outside_the_contract_fails_the_build(
    builds: dict[str, tuple[Path, DbtRun]],
) -> None:
    _, run = builds["unknown_event_type"]
    assert run.returncode != 0
    assert [node.split(".")[2] for node in run.failed_nodes()] == [
        "accepted_values_stg_events_event_type__view__read__like__comment__share"
    ]


@pytest.fixture(scope="module")
def per_user_warehouse(builds: dict[str, tuple[Path, DbtRun]]) -> Path:
    """The warehouse split per user, each reader's last creator held out."""
    return succeeded(builds, "per_user")


def user_cutoffs(warehouse: Path) -> dict[int, dt.datetime | None]:
    rows = query(warehouse, "select user_id, cutoff_at from marts.user_split_cutoffs")
    return dict(rows)


def test_the_per_user_build_passes_every_test(builds: dict[str, tuple[Path, DbtRun]]) -> None:
    for name in ("per_user", "per_user_fraction"):
        _, run = builds[name]
        assert run.returncode == 0, run.output
        assert run.failed_nodes() == []


def test_per_user_each_cutoff_is_the_first_meeting_with_the_users_last_new_creator(
    per_user_warehouse: Path,
) -> None:
    assert user_cutoffs(per_user_warehouse) == {1: ts(15), 2: LATEST_EVENT_AT, 5: ts(16), 6: None}


def test_per_user_the_holdout_judges_the_creator_each_user_met_last(
    per_user_warehouse: Path,
) -> None:
    rows = query(
        per_user_warehouse,
        "select user_id, creator_id from marts.interactions_holdout where not seen_in_train",
    )
    assert sorted(rows) == [(1, 30), (2, 30), (5, 30)]


def test_per_user_events_after_the_users_cutoff_never_reach_their_training(
    per_user_warehouse: Path,
) -> None:
    # Reader 5 came back to creators 10 and 20 after meeting 30: with those returns in train,
    # (5, 10) would count 2 events and carry a share's weight. Split by user, neither does.
    train = event_counts(per_user_warehouse, "marts.interactions_train")
    strength = strengths(per_user_warehouse, "marts.interactions_train")
    assert train[(5, 10)] == 1 and train[(5, 20)] == 1
    assert strength[(5, 10)] == pytest.approx(decayed("view", ts(2), ts(16)))
    assert query(
        per_user_warehouse,
        "select count(*) from marts.interactions_train t join marts.user_split_cutoffs c"
        " using (user_id) where t.last_event_at >= c.cutoff_at",
    ) == [(0,)]


def test_per_user_the_returns_after_the_cutoff_are_holdout_pairs_seen_in_train(
    per_user_warehouse: Path,
) -> None:
    rows = query(
        per_user_warehouse,
        "select creator_id, n_events, seen_in_train from marts.interactions_holdout"
        " where user_id = 5",
    )
    assert sorted(rows) == [(10, 1, True), (20, 1, True), (30, 1, False)]


def test_per_user_training_is_decayed_as_of_each_users_own_cutoff(
    per_user_warehouse: Path,
) -> None:
    train = strengths(per_user_warehouse, "marts.interactions_train")
    assert train[(1, 10)] == pytest.approx(decayed("read", ts(6, 12), ts(15)))
    # Reader 2's cutoff is their share of creator 30: the comment on March 17 now trains.
    expected = sum(
        decayed(e[3], e[4], LATEST_EVENT_AT) for e in USER_2_EVENTS if e[2] in (100, 101)
    )
    assert train[(2, 10)] == pytest.approx(expected)


def test_per_user_a_user_with_one_creator_only_trains(per_user_warehouse: Path) -> None:
    assert (6, 10) in event_counts(per_user_warehouse, "marts.interactions_train")
    assert query(
        per_user_warehouse, "select count(*) from marts.interactions_holdout where user_id = 6"
    ) == [(0,)]


def test_per_user_a_fraction_holds_out_that_share_of_creators_rounded_up_never_all(
    builds: dict[str, tuple[Path, DbtRun]],
) -> None:
    warehouse = succeeded(builds, "per_user_fraction")
    # Three creators: ceil(1.5) = 2 held out, so reader 5 is cut at creator 20 and keeps only 10.
    assert user_cutoffs(warehouse)[5] == ts(8)
    assert set(event_counts(warehouse, "marts.interactions_train")) >= {(5, 10)}
    assert (5, 20) not in event_counts(warehouse, "marts.interactions_train")
    rows = query(
        warehouse,
        "select user_id, n_creators, n_held_out from marts.user_split_cutoffs"
        " where user_id in (5, 6)",
    )
    assert sorted(rows) == [(5, 3, 2), (6, 1, 0)]


def test_the_global_protocol_splits_every_user_at_the_one_cutoff(warehouse: Path) -> None:
    assert set(user_cutoffs(warehouse).values()) == {CUTOFF}
    assert query(warehouse, "select split_protocol from marts.split_cutoff") == [("global",)]
