"""Search over posts: topical results, a bundle the CLI reads, and clear errors without one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import REPO

from recsys.datagen import generate_platform
from recsys.datagen.vocabulary import TOPIC_WORDS
from recsys.models.content import ContentParams, fit_content_model, post_texts
from recsys.serving.ann import build_index
from recsys.serving.search.engine import (
    SearchBundle,
    load_search_bundle,
    save_search_bundle,
    search,
)

TOPIC = "cooking"
QUERY = " ".join(TOPIC_WORDS[TOPIC].split()[:3])  # "recipe oven garlic"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A search bundle built from tiny generated data, as the pipeline would build it."""
    root = tmp_path_factory.mktemp("search")
    generate_platform(root / "landing", root / "truth", "tiny", seed=3)
    posts = pd.read_parquet(root / "landing" / "posts" / "posts.parquet")
    creators = pd.read_parquet(root / "landing" / "creators" / "creators.parquet")
    model = fit_content_model(post_texts(posts), ContentParams(dims=32, seed=1))
    index = build_index(model.embed(post_texts(posts)), posts["post_id"], "angular", 10, seed=1)
    return save_search_bundle(root / "bundle", model, index, posts, creators)


@pytest.fixture(scope="module")
def bundle(bundle_dir: Path) -> SearchBundle:
    return load_search_bundle(bundle_dir)


def test_searching_a_topics_words_finds_that_topics_posts_and_creators(
    bundle: SearchBundle,
) -> None:
    results = search(QUERY, bundle.content_model, bundle.post_index, bundle.posts, bundle.creators)
    category = bundle.creators.set_index("creator_id")["category"]
    assert len(results.posts) == 10
    assert (results.posts["creator_id"].map(category) == TOPIC).sum() >= 8
    assert results.posts["score"].is_monotonic_decreasing
    assert list(results.posts.columns) == ["post_id", "creator_id", "title", "score"]
    assert results.creators["category"].iloc[0] == TOPIC
    assert results.creators["score"].is_monotonic_decreasing


def test_creators_are_scored_by_their_best_matching_post(bundle: SearchBundle) -> None:
    results = bundle.search(QUERY, k=5)
    best = results.posts.groupby("creator_id")["score"].max()
    top = results.creators.iloc[0]
    assert top["score"] == pytest.approx(results.posts["score"].iloc[0])
    assert top["score"] == pytest.approx(best.max())


def test_a_query_of_unknown_words_matches_nothing(bundle: SearchBundle) -> None:
    results = bundle.search("zzyzx qwertyuiop")
    assert results.posts.empty and results.creators.empty
    assert results.unknown_words == ("zzyzx", "qwertyuiop")


def test_cli_prints_top_posts_and_creators_from_a_saved_bundle(bundle_dir: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "recsys.serving.search.engine",
        QUERY,
        "--model-dir",
        str(bundle_dir),
    ]
    run = subprocess.run([*command, "--k", "3"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Top posts:" in run.stdout and "Top creators" in run.stdout
    assert run.stdout.count(f"[{TOPIC}]") >= 1
    assert "  3. " in run.stdout and "  4. " not in run.stdout


def test_cli_fails_clearly_when_the_directory_holds_no_bundle(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "recsys.serving.search.engine",
        QUERY,
        "--model-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 2
    assert "is not a search bundle" in run.stderr and str(tmp_path) in run.stderr


def test_saving_over_a_bundle_replaces_it_whole(bundle: SearchBundle, tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    parts = (bundle.content_model, bundle.post_index, bundle.posts, bundle.creators)
    save_search_bundle(target, *parts)
    (target / "current" / "stray.txt").write_text("left by an older bundle")
    save_search_bundle(target, *parts)
    assert not (target / "current" / "stray.txt").exists()
    assert len(load_search_bundle(target).posts) == len(bundle.posts)
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_a_bundle_refuses_an_index_of_posts_it_does_not_hold(
    bundle: SearchBundle, tmp_path: Path
) -> None:
    fewer_posts = bundle.posts.iloc[1:]
    with pytest.raises(ValueError, match="missing from posts"):
        save_search_bundle(
            tmp_path / "b", bundle.content_model, bundle.post_index, fewer_posts, bundle.creators
        )
    assert not (tmp_path / "b").exists()
