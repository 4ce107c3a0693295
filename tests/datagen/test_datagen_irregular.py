"""The irregular profile: a real platform's history shape on the default profile's contract."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from recsys.datagen import (
    BOTS_FILE,
    CREATORS_FILE,
    DEFAULT_START,
    IRREGULAR_SCALES,
    IRREGULAR_START,
    USER_TOPICS_FILE,
    GenerationSummary,
    HistoryScale,
    generate_platform,
    true_bot_users,
    true_top_creators,
)
from recsys.datagen.cli import parse_args
from recsys.ingest.landing import (
    DAY_COMPLETE_MARKER,
    DIMENSION_TABLES,
    EVENTS,
    complete_event_days,
    data_files,
    day_folder,
)
from recsys.ingest.raw_loading import load_dimension_table, load_event_days

SEED = 7
# The default bot rule (dbt var bot_max_events_per_day): a real reader must stay well below it.
DEFAULT_BOT_RULE = 500
# tree_digest of the default profile's tiny platform for seed 7, computed from the generator as it
# was before profiles existed (and equal to a run of the committed code): the default must not move.
DEFAULT_TINY_SEED_7_DIGEST = "ed0e88bc81420876ed565714fc833392b373708335844361c366702d6396f58f"
MINI = HistoryScale(
    "mini", n_users=200, n_creators=30, n_posts=300, n_days=120, events_per_day=20,
    heavy_readers=(300,), bot_days=1, bot_day_events=600,
)  # fmt: skip


def tree_digest(root: Path) -> str:
    """A hash of every file's path and contents; Parquet by schema and values, so that a new
    Parquet writer version (file metadata) does not count as a change."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            if path.suffix == ".parquet":
                table = pq.read_table(path)
                digest.update(str(table.schema.remove_metadata()).encode())
                for column in table.columns:
                    digest.update(repr(column.to_pylist()).encode())
            else:
                digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    root = tmp_path_factory.mktemp("irregular")
    return generate_platform(root / "landing", root / "truth", "tiny", SEED, profile="irregular")


@pytest.fixture(scope="module")
def events(history: GenerationSummary) -> pd.DataFrame:
    """Every delivered event with its folder's day and whether the truth calls its user a bot."""
    frames = [
        pq.read_table(path).to_pandas().assign(day=day)
        for day in complete_event_days(history.out)
        for path in data_files(day_folder(history.out, day))
    ]
    out = pd.concat(frames, ignore_index=True)
    return out.assign(is_bot=out["user_id"].isin(true_bot_users(history.truth_out)))


def dimension(history: GenerationSummary, name: str) -> pd.DataFrame:
    return pq.read_table(history.out / name / f"{name}.parquet").to_pandas()


def test_the_history_spans_more_than_two_years_from_the_profiles_own_start(
    history: GenerationSummary,
) -> None:
    days = complete_event_days(history.out)
    assert days[0] == history.start == IRREGULAR_START != DEFAULT_START
    assert (days[-1] - days[0]).days > 2 * 365
    assert days[-1] == IRREGULAR_START + dt.timedelta(days=history.days - 1)


def test_some_days_deliver_nothing_and_have_no_folder_at_all(history: GenerationSummary) -> None:
    days = complete_event_days(history.out)
    span = [days[0] + dt.timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]
    missing = sorted(set(span) - set(days))
    assert missing == list(history.empty_days)
    assert 0.01 * len(span) < len(missing) < 0.15 * len(span)
    assert not any(day_folder(history.out, day).exists() for day in missing)
    # Outages: at least one run of several consecutive days without a delivery.
    runs = np.diff([day.toordinal() for day in missing])
    assert (np.convolve(runs == 1, np.ones(2), "valid") == 2).any()


def test_some_days_burst_to_eight_times_the_median_day_without_the_bots(
    events: pd.DataFrame,
) -> None:
    per_day = events[~events["is_bot"]].groupby("day").size()
    median = per_day.median()
    assert per_day.max() >= 8 * median
    assert (per_day >= 8 * median).sum() >= 3
    # Quiet days too: volumes are far from the default profile's steady days.
    assert per_day.quantile(0.05) < 0.5 * median


def test_heavy_real_readers_have_thousands_of_events_but_never_a_bots_day(
    history: GenerationSummary, events: pd.DataFrame
) -> None:
    real = events[~events["is_bot"]]
    per_user = real["user_id"].value_counts()
    heavy = per_user[per_user >= 1_000].index
    assert len(heavy) >= 1
    # However heavy, a real reader's busiest day (a burst day) stays far from a bot's.
    busiest_day = real.groupby(["user_id", "day"]).size().groupby("user_id").max()
    assert busiest_day.max() < DEFAULT_BOT_RULE / 2


def test_the_truths_bots_crawl_far_beyond_the_bot_rule_on_their_days(
    history: GenerationSummary, events: pd.DataFrame
) -> None:
    bots = pd.read_parquet(history.truth_out / BOTS_FILE)
    assert list(bots.columns) == ["user_id", "bot_days", "bot_events"]
    assert len(bots) == 2
    per_day = events[events["is_bot"]].groupby(["user_id", "day"]).size()
    assert (per_day.groupby("user_id").max() > DEFAULT_BOT_RULE).all()
    assert set(per_day.index.get_level_values("user_id")) == set(bots["user_id"])
    # Their crawls are views and likes of about a second.
    crawls = events[events["is_bot"] & (events["dwell_seconds"] < 3)]
    assert len(crawls) >= bots["bot_events"].sum() * 0.9
    assert set(crawls["event_type"]) <= {"view", "like"}


def test_a_long_tail_of_users_has_one_to_three_interactions(
    history: GenerationSummary, events: pd.DataFrame
) -> None:
    per_user = events["user_id"].value_counts()
    assert per_user.between(1, 3).mean() > 0.3
    assert len(per_user) > 0.8 * len(dimension(history, "users"))


def test_creators_arrive_over_time_and_popularity_is_heavy_tailed(
    history: GenerationSummary, events: pd.DataFrame
) -> None:
    creators = dimension(history, "creators")
    assert len(creators) == IRREGULAR_SCALES["tiny"].n_creators
    assert (creators["created_at"] >= pd.Timestamp(history.start)).mean() > 0.5
    posts = dimension(history, "posts")[["post_id", "creator_id", "published_at"]]
    real = events[~events["is_bot"]].merge(posts, on="post_id")
    per_creator = real["creator_id"].value_counts()
    assert per_creator.iloc[: len(creators) // 10].sum() > 0.4 * len(real)
    assert (real["event_at"] > real["published_at"]).all()


def test_the_demo_catalog_holds_thousands_of_creators_and_tens_of_thousands_of_posts() -> None:
    demo, tiny = IRREGULAR_SCALES["demo"], IRREGULAR_SCALES["tiny"]
    assert demo.n_creators >= 2_000 and demo.n_posts >= 20_000
    assert tiny.n_creators < demo.n_creators and tiny.n_days == demo.n_days > 2 * 365


def test_every_event_lies_in_its_folder_after_its_users_signup(
    history: GenerationSummary, events: pd.DataFrame
) -> None:
    assert (events["event_at"].dt.date == events["day"]).all()
    assert events["event_id"].is_unique
    assert sorted(events["event_id"]) == list(range(1, history.rows[EVENTS.name] + 1))
    users = dimension(history, "users")
    signed = events.merge(users, on="user_id", how="left")
    assert (signed["event_at"] > signed["signup_at"]).all()
    for day in complete_event_days(history.out):
        assert (day_folder(history.out, day) / DAY_COMPLETE_MARKER).exists()


def test_the_truth_has_the_default_files_and_the_oracle_finds_the_real_readers_tastes(
    history: GenerationSummary, events: pd.DataFrame
) -> None:
    users = dimension(history, "users")
    preferences = pd.read_parquet(history.truth_out / USER_TOPICS_FILE)
    assert set(preferences["user_id"]) == set(users["user_id"])
    truth = pd.read_parquet(history.truth_out / CREATORS_FILE)
    assert len(truth) == IRREGULAR_SCALES["tiny"].n_creators
    posts = dimension(history, "posts")[["post_id", "creator_id"]]
    real = events[~events["is_bot"]].merge(posts, on="post_id")
    active = real["user_id"].value_counts()
    readers = active[active >= 30].index.to_numpy()
    top = true_top_creators(history.truth_out, readers, k=5)
    hits = real[real["user_id"].isin(readers)].merge(top, on=["user_id", "creator_id"])
    # Five random creators out of 150 would get about 3% of a reader's events.
    assert len(hits) / active.loc[readers].sum() > 3 * 5 / len(truth)


def test_the_landing_files_load_through_the_real_loader(history: GenerationSummary) -> None:
    conn = duckdb.connect()
    for contract in DIMENSION_TABLES:
        loaded = load_dimension_table(conn, contract, history.out)
        assert loaded.rows_in_table == history.rows[contract.name]
    days = complete_event_days(history.out)
    loaded = load_event_days(conn, history.out, days)
    assert loaded.rows_in_table == history.rows[EVENTS.name]
    n_days = conn.execute("SELECT count(DISTINCT event_date) FROM raw.events").fetchone()
    assert n_days == (len(days),)


def test_the_same_seed_writes_the_same_history_and_another_seed_another(tmp_path: Path) -> None:
    def digest(seed: int, name: str) -> str:
        summary = generate_platform(
            tmp_path / name / "landing", tmp_path / name / "truth", MINI, seed, profile="irregular"
        )
        assert summary.empty_days and summary.profile == "irregular"
        return tree_digest(tmp_path / name)

    assert digest(SEED, "a") == digest(SEED, "b") != digest(SEED + 1, "c")


def test_the_default_profile_writes_exactly_what_it_wrote_before_profiles(tmp_path: Path) -> None:
    implicit, explicit = tmp_path / "implicit", tmp_path / "explicit"
    summary = generate_platform(implicit / "landing", implicit / "truth", "tiny", SEED)
    generate_platform(explicit / "landing", explicit / "truth", "tiny", SEED, profile="default")
    assert summary.start == DEFAULT_START and not summary.empty_days
    assert not (implicit / "truth" / BOTS_FILE).exists()
    assert tree_digest(implicit) == tree_digest(explicit) == DEFAULT_TINY_SEED_7_DIGEST


def test_the_cli_takes_a_profile_and_refuses_what_the_profile_lacks(tmp_path: Path) -> None:
    args = parse_args(["--profile", "irregular", "--scale", "demo"])
    assert (args.profile, args.start) == ("irregular", None)
    assert parse_args([]).profile == "default"
    with pytest.raises(SystemExit):
        parse_args(["--profile", "irregular", "--scale", "large"])
    with pytest.raises(SystemExit):
        parse_args(["--profile", "irregular", "--drift-from", "2025-01-01"])
    with pytest.raises(ValueError, match="drift"):
        generate_platform(
            tmp_path / "l", tmp_path / "t", MINI, SEED, drift_from=IRREGULAR_START,
            profile="irregular",
        )  # fmt: skip
    with pytest.raises(ValueError, match="unknown profile"):
        generate_platform(tmp_path / "l", tmp_path / "t", "tiny", SEED, profile="sparse")
