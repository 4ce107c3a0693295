"""Search over posts: embed the query, find the nearest posts, rank creators by their best match.

A search bundle is one directory the pipeline writes and the CLI
(`python -m recsys.serving.search`) and the service (service/) read. Each save writes a new version
folder beside the others and then moves the `current` pointer (a symlink) to it with one atomic
rename, as the analysts' snapshots do: a reader resolves `current` once and loads one complete
version, however a save interleaves with it. A version folder holds:
  bundle.json                       manifest: what the bundle holds, and counts to check it by
  content_model.joblib / .json      the content model (ContentModel.save)
  posts.ann / .ids.npy / .json      Annoy index over post embeddings (AnnIndex.save)
  posts.parquet                     post_id, creator_id, title
  creators.parquet                  creator_id, creator_name, category
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.models.content import ContentModel
from recsys.serving.ann import AnnIndex

BUNDLE_FILE = "bundle.json"
MODEL_STEM = "content_model"
INDEX_STEM = "posts"
POSTS_FILE = "posts.parquet"
CREATORS_FILE = "creators.parquet"
POST_COLUMNS = ["post_id", "creator_id", "title"]
CREATOR_COLUMNS = ["creator_id", "creator_name", "category"]
# Creators are ranked over a deeper candidate list than the k posts shown, so a creator whose
# matching posts all sit just below the top k still counts.
CANDIDATES_PER_RESULT = 10
CURRENT = "current"
# Versions kept besides the current one, for readers that resolved `current` just before a save.
KEEP_VERSIONS = 3


@dataclass(frozen=True)
class SearchResults:
    """Top posts (post_id, creator_id, title, score) and creators (..., score, n_matching_posts)."""

    query: str
    posts: pd.DataFrame
    creators: pd.DataFrame
    unknown_words: tuple[str, ...]


def search(
    query: str,
    content_model: ContentModel,
    post_index: AnnIndex,
    posts: pd.DataFrame,
    creators: pd.DataFrame,
    k: int = 10,
) -> SearchResults:
    """The k posts closest to `query` by cosine, and the k creators whose best post ranks highest.

    A post matches when its cosine to the query is positive. A creator's score is its best-matching
    post's score among the top k * CANDIDATES_PER_RESULT posts; ties go to more matching posts.
    """
    vector = content_model.embed([query])[0]
    unknown = tuple(content_model.unknown_words(query))
    hits = pd.DataFrame({"post_id": np.empty(0, np.int64), "score": np.empty(0, np.float32)})
    if np.any(vector):  # a query of unknown words embeds as zeros and matches nothing
        ids, scores = post_index.query(vector, k * CANDIDATES_PER_RESULT)
        hits = pd.DataFrame({"post_id": ids, "score": scores}).query("score > 0")
    hits = hits.merge(posts[POST_COLUMNS], on="post_id", how="left", validate="one_to_one")
    if hits["creator_id"].isna().any():
        raise ValueError("the post index holds posts missing from the posts table; rebuild both")
    ranked = (
        hits.groupby("creator_id", as_index=False)
        .agg(score=("score", "max"), n_matching_posts=("post_id", "size"))
        .sort_values(["score", "n_matching_posts"], ascending=False, kind="stable")
        .head(k)
    )
    top_creators = ranked.merge(creator_table(creators), on="creator_id", how="left")
    top_posts = hits[[*POST_COLUMNS, "score"]].head(k).reset_index(drop=True)
    columns = [*CREATOR_COLUMNS, "score", "n_matching_posts"]
    return SearchResults(query, top_posts, top_creators[columns], unknown)


def creator_table(creators: pd.DataFrame) -> pd.DataFrame:
    """creator_id, creator_name, category from the marts (creator_name) or landing (name) table."""
    if "creator_name" not in creators.columns:
        creators = creators.rename(columns={"name": "creator_name"})
    return creators[CREATOR_COLUMNS]


@dataclass(frozen=True)
class SearchBundle:
    """Everything a search needs, loaded from one directory."""

    content_model: ContentModel
    post_index: AnnIndex
    posts: pd.DataFrame
    creators: pd.DataFrame
    model_version: int | None = None
    """The registered content-model version the bundle was built from (None: not recorded)."""
    folder: Path | None = None
    """The version folder it was loaded from (`current` resolved)."""

    def search(self, query: str, k: int = 10) -> SearchResults:
        return search(query, self.content_model, self.post_index, self.posts, self.creators, k)


def save_search_bundle(
    directory: Path | str,
    model: ContentModel,
    post_index: AnnIndex,
    posts: pd.DataFrame,
    creators: pd.DataFrame,
    model_version: int | None = None,
) -> Path:
    """Write a new bundle version under `directory` and point `current` at it in one rename."""
    directory = Path(directory)
    if model.dims != post_index.dimension:
        raise ValueError(f"model embeds {model.dims}-d, index holds {post_index.dimension}-d")
    missing = np.setdiff1d(post_index.ids, posts["post_id"].to_numpy())
    if len(missing):
        raise ValueError(f"{len(missing)} indexed posts are missing from posts, e.g. {missing[:5]}")
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    staging = directory / f".{name}.partial"
    staging.mkdir()
    model.save(staging / MODEL_STEM)
    post_index.save(staging / INDEX_STEM)
    posts[POST_COLUMNS].to_parquet(staging / POSTS_FILE, index=False)
    creator_table(creators).to_parquet(staging / CREATORS_FILE, index=False)
    manifest = {
        "format_version": 1,
        "model": MODEL_STEM,
        "index": INDEX_STEM,
        "posts": POSTS_FILE,
        "creators": CREATORS_FILE,
        "n_indexed_posts": len(post_index),
        "dims": model.dims,
        "metric": post_index.metric,
        "model_version": model_version,
    }
    (staging / BUNDLE_FILE).write_text(json.dumps(manifest, indent=2))
    staging.rename(directory / name)
    _point_current(directory, name)
    _prune(directory, KEEP_VERSIONS)
    return directory


def current_bundle_folder(directory: Path | str) -> Path:
    """The version folder `current` points at (a bundle of the older flat layout: `directory`)."""
    directory = Path(directory)
    pointer = directory / CURRENT
    return pointer.resolve() if pointer.is_symlink() else directory


def load_search_bundle(directory: Path | str) -> SearchBundle:
    """Load the current version of a bundle written by `save_search_bundle`, resolving the
    pointer once; the index is memory-mapped."""
    directory = current_bundle_folder(directory)
    if not (directory / BUNDLE_FILE).is_file():
        raise FileNotFoundError(
            f"{directory} is not a search bundle: {BUNDLE_FILE} is missing "
            f"(write one with recsys.serving.search.engine.save_search_bundle)"
        )
    manifest = json.loads((directory / BUNDLE_FILE).read_text())
    post_index = AnnIndex.load(directory / manifest["index"])
    if len(post_index) != manifest["n_indexed_posts"]:
        raise ValueError(f"{directory}: index has {len(post_index)} posts, manifest disagrees")
    return SearchBundle(
        content_model=ContentModel.load(directory / manifest["model"]),
        post_index=post_index,
        posts=pd.read_parquet(directory / manifest["posts"]),
        creators=pd.read_parquet(directory / manifest["creators"]),
        model_version=manifest.get("model_version"),
        folder=directory,
    )


def _point_current(directory: Path, name: str) -> None:
    temporary = directory / f".{CURRENT}.{name}"
    temporary.symlink_to(name)
    os.replace(temporary, directory / CURRENT)


def _prune(directory: Path, keep: int) -> None:
    """Drop versions beyond the newest `keep` (never the current one) and the files of a bundle
    of the older flat layout; readers holding an old index keep their memory map."""
    current_name = (directory / CURRENT).resolve().name
    versions = sorted(
        path
        for path in directory.iterdir()
        if path.is_dir() and not path.is_symlink() and not path.name.startswith(".")
    )
    for folder in versions[:-keep]:
        if folder.name != current_name:
            shutil.rmtree(folder, ignore_errors=True)
    for path in directory.iterdir():
        if path.is_file() and not path.is_symlink():
            path.unlink()


if __name__ == "__main__":
    from recsys.serving.search.cli import main

    raise SystemExit(main())
