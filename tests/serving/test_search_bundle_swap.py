"""The search bundle switches versions with one atomic pointer: a reader never sees half of one."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from recsys.datagen import generate_platform
from recsys.models.content import ContentParams, fit_content_model, post_texts
from recsys.serving.ann import build_index
from recsys.serving.search.engine import (
    CURRENT,
    KEEP_VERSIONS,
    current_bundle_folder,
    load_search_bundle,
    save_search_bundle,
)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    root = tmp_path_factory.mktemp("swap")
    generate_platform(root / "landing", root / "truth", "tiny", seed=3)
    posts = pd.read_parquet(root / "landing" / "posts" / "posts.parquet")
    creators = pd.read_parquet(root / "landing" / "creators" / "creators.parquet")
    model = fit_content_model(post_texts(posts), ContentParams(dims=16, seed=1))
    index = build_index(model.embed(post_texts(posts)), posts["post_id"], "angular", 5, seed=1)
    return model, index, posts, creators


def test_each_save_moves_the_current_pointer_to_a_new_complete_version(
    parts: tuple, tmp_path: Path
) -> None:
    target = tmp_path / "search"
    save_search_bundle(target, *parts, model_version=1)
    first = current_bundle_folder(target)
    save_search_bundle(target, *parts, model_version=2)
    second = current_bundle_folder(target)
    assert (target / CURRENT).is_symlink() and first != second
    assert first.is_dir(), "the previous version stays for readers that resolved it before"
    assert load_search_bundle(first).model_version == 1
    assert load_search_bundle(target).model_version == 2
    assert load_search_bundle(target).folder == second


def test_old_versions_are_pruned_but_never_the_current_one(parts: tuple, tmp_path: Path) -> None:
    target = tmp_path / "search"
    for version in range(KEEP_VERSIONS + 3):
        save_search_bundle(target, *parts, model_version=version)
    folders = [p for p in target.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(folders) == KEEP_VERSIONS
    assert load_search_bundle(target).model_version == KEEP_VERSIONS + 2


def test_loading_while_bundles_are_saved_never_fails_nor_mixes_versions(
    parts: tuple, tmp_path: Path
) -> None:
    target = tmp_path / "search"
    save_search_bundle(target, *parts, model_version=0)
    done = threading.Event()
    failures: list[BaseException] = []
    loaded: list[tuple[int | None, Path | None]] = []

    def reload_continuously() -> None:
        while not done.is_set():
            try:
                bundle = load_search_bundle(target)
                loaded.append((bundle.model_version, bundle.folder))
            except BaseException as error:
                failures.append(error)

    readers = [threading.Thread(target=reload_continuously) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for version in range(1, 8):
            save_search_bundle(target, *parts, model_version=version)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert failures == []
    assert len({version for version, _ in loaded}) > 1, "the readers saw the versions change"
    by_folder: dict[Path | None, set[int | None]] = {}
    for version, folder in loaded:
        by_folder.setdefault(folder, set()).add(version)
    assert all(len(versions) == 1 for versions in by_folder.values())


def test_a_bundle_of_the_older_flat_layout_is_still_read_and_replaced(
    parts: tuple, tmp_path: Path
) -> None:
    target = tmp_path / "search"
    save_search_bundle(target, *parts, model_version=1)
    flat = tmp_path / "flat"
    current_bundle_folder(target).rename(flat)
    assert load_search_bundle(flat).model_version == 1
    save_search_bundle(flat, *parts, model_version=2)
    assert load_search_bundle(flat).model_version == 2
    assert not (flat / "bundle.json").exists(), "the flat files go once a version is current"
