"""The platform generator: deterministic, on contract, consistent, and realistic enough to learn."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import REPO

from recsys.datagen import (
    CREATORS_FILE,
    DEFAULT_START,
    SCALES,
    TOPICS,
    USER_TOPICS_FILE,
    GenerationSummary,
    generate_platform,
    resolve_scale,
    true_affinity,
    true_top_creators,
)
from recsys.datagen.vocabulary import TOPIC_WORDS
from recsys.ingest.landing import (
    DAY_COMPLETE_MARKER,
    DIMENSION_TABLES,
    EVENTS,
    SUBSCRIPTION_TIERS,
    TABLES,
    complete_event_days,
    data_files,
    day_folder,
    parse_day_folder,
)

SEED = 7
ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    root = tmp_path_factory.mktemp("platform")
    return generate_platform(root / "landing", root / "truth", "tiny", SEED)


def read_table(landing: Path, name: str) -> pa.Table:
    return pq.read_table(landing / name / f"{name}.parquet")


def read_events(landing: Path) -> pa.Table:
    days = complete_event_days(landing)
    return pa.concat_tables(
        pq.read_table(path) for day in days for path in data_files(day_folder(landing, day))
    )


@pytest.fixture(scope="module")
def frames(platform: GenerationSummary) -> dict[str, pd.DataFrame]:
    """All landing tables as pandas, with each event's creator and published_at joined on."""
    landing = platform.out
    out = {table.name: read_table(landing, table.name).to_pandas() for table in DIMENSION_TABLES}
    posts = out["posts"][["post_id", "creator_id", "published_at"]]
    out["events"] = read_events(landing).to_pandas().merge(posts, on="post_id", how="left")
    return out


def test_same_seed_writes_identical_tables_and_another_seed_different_ones(
    platform: GenerationSummary, tmp_path: Path
) -> None:
    again = generate_platform(
        tmp_path / "same" / "landing", tmp_path / "same" / "truth", "tiny", SEED
    )
    other = generate_platform(
        tmp_path / "other" / "landing", tmp_path / "other" / "truth", "tiny", 8
    )
    for table in DIMENSION_TABLES:
        assert read_table(again.out, table.name).equals(read_table(platform.out, table.name))
        assert not read_table(other.out, table.name).equals(read_table(platform.out, table.name))
    assert read_events(again.out).equals(read_events(platform.out))
    assert not read_events(other.out).equals(read_events(platform.out))
    for name in (USER_TOPICS_FILE, CREATORS_FILE):
        assert pq.read_table(again.truth_out / name).equals(
            pq.read_table(platform.truth_out / name)
        )


def test_every_table_has_exactly_the_contract_columns_types_and_unique_keys(
    platform: GenerationSummary,
) -> None:
    for table in TABLES:
        files = [
            path
            for folder in [table.folder(platform.out), *table.folder(platform.out).glob("date=*")]
            for path in data_files(folder)
        ]
        assert files, table.name
        expected = pa.schema([(name, ARROW_TYPES[sql]) for name, sql in table.columns.items()])
        keys = []
        for path in files:
            data = pq.read_table(path)
            assert data.schema.equals(expected), (path, data.schema)
            assert data.num_rows > 0, path
            keys.append(data[table.key].to_numpy())
        all_keys = np.concatenate(keys)
        assert len(np.unique(all_keys)) == len(all_keys), table.name
    for table in DIMENSION_TABLES:
        data = read_table(platform.out, table.name)
        # Only an active subscription's end is missing.
        nullable = {"ended_at"} if table.name == "subscriptions" else set()
        assert all(data[name].null_count == 0 for name in set(table.columns) - nullable)
    assert read_table(platform.out, "subscriptions")["ended_at"].null_count > 0


def test_each_day_folder_is_marked_complete_and_holds_only_that_days_events(
    platform: GenerationSummary,
) -> None:
    folders = sorted(EVENTS.folder(platform.out).iterdir())
    days = [parse_day_folder(folder) for folder in folders]
    scale = SCALES["tiny"]
    assert days == [DEFAULT_START + dt.timedelta(days=i) for i in range(scale.n_days)]
    previous_last_id = 0
    for folder, day in zip(folders, days, strict=True):
        assert (folder / DAY_COMPLETE_MARKER).exists()
        assert (folder / DAY_COMPLETE_MARKER).stat().st_size == 0
        assert sorted(p.name for p in folder.iterdir()) == [DAY_COMPLETE_MARKER, "part-0.parquet"]
        events = pq.read_table(folder / "part-0.parquet").to_pandas()
        assert day is not None
        assert (events["event_at"].dt.date == day).all()
        # Ids increase across days, so a later delivery never reuses or precedes an id.
        assert events["event_id"].is_monotonic_increasing
        assert events["event_id"].min() > previous_last_id
        previous_last_id = events["event_id"].max()
    assert platform.rows["events"] == previous_last_id


def test_no_temporary_or_stray_files_are_left_behind(platform: GenerationSummary) -> None:
    for path in [*platform.out.rglob("*"), *platform.truth_out.rglob("*")]:
        assert not path.name.startswith("."), path
        assert path.is_dir() or path.suffix == ".parquet" or path.name == DAY_COMPLETE_MARKER


def test_events_reference_existing_users_and_posts_and_posts_existing_creators(
    frames: dict[str, pd.DataFrame],
) -> None:
    events, posts = frames["events"], frames["posts"]
    assert events["user_id"].isin(frames["users"]["user_id"]).all()
    assert events["post_id"].isin(posts["post_id"]).all()
    assert posts["creator_id"].isin(frames["creators"]["creator_id"]).all()
    subscriptions = frames["subscriptions"]
    assert subscriptions["user_id"].isin(frames["users"]["user_id"]).all()
    assert subscriptions["creator_id"].isin(frames["creators"]["creator_id"]).all()


def test_events_follow_the_users_signup_and_the_posts_publication(
    frames: dict[str, pd.DataFrame],
) -> None:
    events = frames["events"].merge(frames["users"], on="user_id")
    assert (events["event_at"] > events["signup_at"]).all()
    assert (events["event_at"] > events["published_at"]).all()


def test_posts_are_published_after_their_creator_joins_and_before_the_period_ends(
    frames: dict[str, pd.DataFrame],
) -> None:
    posts = frames["posts"].merge(frames["creators"], on="creator_id")
    end = pd.Timestamp(DEFAULT_START + dt.timedelta(days=SCALES["tiny"].n_days))
    assert (posts["published_at"] > posts["created_at"]).all()
    assert (posts["published_at"] < end).all()
    assert 0.05 < posts["is_paid"].mean() < 0.3


def test_a_few_creators_and_users_account_for_most_activity(
    frames: dict[str, pd.DataFrame],
) -> None:
    events = frames["events"]
    per_creator = events["creator_id"].value_counts()
    top_creators = max(1, len(frames["creators"]) // 10)
    # 10% of creators would hold 10% of events if popularity were flat.
    assert per_creator.iloc[:top_creators].sum() / len(events) > 0.25
    assert per_creator.max() > 4 * per_creator.median()
    per_user = events["user_id"].value_counts()
    top_users = max(1, len(frames["users"]) // 10)
    assert per_user.iloc[:top_users].sum() / len(events) > 0.3


def test_users_events_concentrate_in_their_preferred_topic(
    platform: GenerationSummary, frames: dict[str, pd.DataFrame]
) -> None:
    preferences = pd.read_parquet(platform.truth_out / USER_TOPICS_FILE)
    assert np.allclose(preferences.groupby("user_id")["weight"].sum(), 1.0)
    assert preferences.groupby("user_id").size().between(1, 3).all()
    top_topic = preferences.sort_values("weight", ascending=False).drop_duplicates("user_id")
    events = frames["events"].merge(frames["creators"], on="creator_id")
    events = events.merge(top_topic, on="user_id")
    share_in_top_topic = (events["category"] == events["topic"]).mean()
    assert share_in_top_topic > 5 / len(TOPICS)


def test_the_true_top_creators_of_a_user_get_most_of_their_events(
    platform: GenerationSummary, frames: dict[str, pd.DataFrame]
) -> None:
    events = frames["events"]
    active = events["user_id"].value_counts()
    users = active[active >= 30].index.to_numpy()
    assert len(users) > 50
    top = true_top_creators(platform.truth_out, users, k=5)
    assert (top.groupby("user_id")["rank"].apply(tuple) == (1, 2, 3, 4, 5)).all()
    assert (top.groupby("user_id")["affinity"].diff().dropna() <= 0).all()
    hits = events[events["user_id"].isin(users)].merge(top, on=["user_id", "creator_id"])
    share_to_true_top = len(hits) / active.loc[users].sum()
    n_creators = len(frames["creators"])
    # Five random creators out of 40 would get about an eighth of a user's events.
    assert share_to_true_top > 3 * 5 / n_creators


def test_true_affinity_is_the_users_expected_share_of_events_per_creator(
    platform: GenerationSummary,
) -> None:
    creators = pd.read_parquet(platform.truth_out / CREATORS_FILE)
    assert list(creators.columns) == [
        "creator_id",
        "topic",
        "popularity",
        "topic_share",
        "global_share",
    ]
    topics_with_creators = set(creators["topic"])
    taste = {topic: 0.5 for topic in sorted(topics_with_creators)[:2]}
    affinity = true_affinity(
        taste, creators["topic"], creators["topic_share"], creators["global_share"]
    )
    assert affinity.sum() == pytest.approx(1.0)
    outside = ~creators["topic"].isin(taste)
    assert affinity[~outside.to_numpy()].min() > 0
    # Outside the user's topics only the front page reaches them, so affinity follows popularity.
    ratio = affinity[outside.to_numpy()] / creators.loc[outside, "global_share"].to_numpy()
    assert np.allclose(ratio, ratio[0])


def test_some_creators_join_during_the_period_and_get_events_only_afterwards(
    frames: dict[str, pd.DataFrame],
) -> None:
    creators = frames["creators"]
    late = creators[creators["created_at"] >= pd.Timestamp(DEFAULT_START)]
    assert 0 < len(late) < len(creators) / 2
    events = frames["events"].merge(late, on="creator_id")
    assert len(events) > 0
    assert (events["event_at"] > events["created_at"]).all()


def test_subscriptions_go_to_pairs_with_much_more_engagement(
    frames: dict[str, pd.DataFrame],
) -> None:
    events, subscriptions = frames["events"], frames["subscriptions"]
    assert len(subscriptions) > 20
    pair_events = events.groupby(["user_id", "creator_id"]).size().rename("events").reset_index()
    with_start = subscriptions.merge(events, on=["user_id", "creator_id"])
    prior = (
        (with_start["event_at"] < with_start["started_at"])
        .groupby(with_start["subscription_id"])
        .sum()
    )
    assert len(prior) == len(subscriptions)
    assert prior.min() >= 1
    assert prior.median() >= 2 * pair_events["events"].median()
    marked = pair_events.merge(
        subscriptions[["user_id", "creator_id"]].assign(subscribed=1),
        on=["user_id", "creator_id"],
        how="left",
    )
    subscribed = marked["subscribed"].notna()
    assert marked.loc[subscribed, "events"].mean() > 3 * marked.loc[~subscribed, "events"].mean()


def test_subscriptions_have_valid_tiers_and_end_after_they_start(
    frames: dict[str, pd.DataFrame],
) -> None:
    subscriptions = frames["subscriptions"]
    end = pd.Timestamp(DEFAULT_START + dt.timedelta(days=SCALES["tiny"].n_days))
    assert set(subscriptions["tier"]) == set(SUBSCRIPTION_TIERS)
    assert 0.05 < (subscriptions["tier"] == "paid").mean() < 0.35
    ended = subscriptions.dropna(subset=["ended_at"])
    assert 0 < len(ended) < len(subscriptions)
    assert (ended["ended_at"] > ended["started_at"]).all()
    assert (subscriptions["started_at"] < end).all() and (ended["ended_at"] < end).all()
    assert not subscriptions.duplicated(["user_id", "creator_id"]).any()


def test_post_text_is_drawn_from_the_creators_topic(frames: dict[str, pd.DataFrame]) -> None:
    posts = frames["posts"].merge(frames["creators"], on="creator_id")
    assert posts["title"].str.split().str.len().between(4, 8).all()
    assert posts["body"].str.split().str.len().between(30, 80).all()
    for topic, words in TOPIC_WORDS.items():
        word = words.split()[0]
        found = posts[posts["title"].str.lower().str.contains(rf"\b{word}\b")]
        if len(found) >= 5:
            assert (found["category"] == topic).mean() > 0.5, topic
    categories = set(posts["category"])
    assert categories <= set(TOPICS)
    assert posts["name"].str.contains("#").all()


def test_scales_grow_from_tiny_to_large_and_unknown_names_are_refused() -> None:
    tiny, demo, large = (resolve_scale(name) for name in ("tiny", "demo", "large"))
    assert tiny.n_users < demo.n_users < large.n_users == 1_000_000
    assert resolve_scale(demo) is demo
    with pytest.raises(ValueError, match="unknown scale"):
        resolve_scale("huge")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recsys.datagen", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_writes_a_tiny_platform_and_refuses_to_overwrite_it_unless_asked(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    first = run_cli("--scale", "tiny", "--out", str(landing), "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert "day 2026-09-01" in first.stdout and str(landing) in first.stdout
    assert (tmp_path / "truth" / USER_TOPICS_FILE).exists()
    assert len(complete_event_days(landing)) == SCALES["tiny"].n_days

    refused = run_cli("--scale", "tiny", "--out", str(landing), "--seed", "4")
    assert refused.returncode != 0
    assert str(landing) in refused.stderr and "--overwrite" in refused.stderr

    replaced = run_cli(
        "--scale", "tiny", "--out", str(landing), "--seed", "4", "--start", "2026-10-01",
        "--overwrite",
    )  # fmt: skip
    assert replaced.returncode == 0, replaced.stderr
    assert complete_event_days(landing)[0] == dt.date(2026, 10, 1)
    assert len(complete_event_days(landing)) == SCALES["tiny"].n_days


def test_cli_without_out_writes_the_projects_landing_zone_and_truth(project_settings) -> None:
    from recsys.datagen.cli import main

    assert main(["--scale", "tiny", "--seed", "3"]) == 0

    assert len(complete_event_days(project_settings.landing_dir)) == SCALES["tiny"].n_days
    assert (project_settings.truth_dir / USER_TOPICS_FILE).exists()
