"""Command line search over a saved bundle.

`python -m recsys.serving.search "query" --model-dir DIR`
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from recsys.models.store import ArtifactStore
from recsys.serving.search.engine import SearchResults, load_search_bundle
from recsys.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Print the top posts and creators for a query; exit 2 when the directory holds no bundle."""
    parser = argparse.ArgumentParser(prog="python -m recsys.serving.search", description=__doc__)
    parser.add_argument("query", help="free text, e.g. 'garlic risotto'")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="search bundle directory (default: the one the pipeline writes under the data dir)",
    )
    parser.add_argument("--k", type=int, default=10, help="how many posts and creators to show")
    args = parser.parse_args(argv)
    try:
        folder = args.model_dir or ArtifactStore(Settings.from_env().models_dir).search_bundle_dir()
        bundle = load_search_bundle(folder)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_results(bundle.search(args.query, args.k)))
    return 0


def format_results(results: SearchResults) -> str:
    """A plain-text report of the posts and creators found."""
    lines = [f"Search: {results.query!r}"]
    if results.unknown_words:
        lines.append(f"(not in the vocabulary, ignored: {', '.join(results.unknown_words)})")
    if results.posts.empty:
        lines.append("No matching posts.")
        return "\n".join(lines)
    lines.append("\nTop posts:")
    for rank, post in enumerate(results.posts.itertuples(index=False), start=1):
        lines.append(
            f"{rank:3d}. {post.score:.3f}  post {post.post_id}  creator {post.creator_id}  "
            f"{post.title}"
        )
    lines.append("\nTop creators (by best matching post):")
    for rank, creator in enumerate(results.creators.itertuples(index=False), start=1):
        lines.append(
            f"{rank:3d}. {creator.score:.3f}  creator {creator.creator_id}  "
            f"{creator.creator_name} [{creator.category}]  "
            f"matching posts: {creator.n_matching_posts}"
        )
    return "\n".join(lines)
