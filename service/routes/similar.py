"""Similar creators (the exported table) and similar posts (the table, else the post index)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from service.errors import NotFound
from service.routes.params import K, State
from service.schemas import PostItem, SimilarCreators, SimilarPosts, named_creator
from service.state import DEFAULT_K, ServiceState, as_json

router = APIRouter(tags=["similar"])


@router.get("/creators/{creator_id}/similar", response_model=SimilarCreators)
async def similar_creators(creator_id: int, state: State, k: K = DEFAULT_K) -> Response:
    """Creators whose readers engage alike, best first."""
    return as_json(creators_like(state, creator_id, k))


@router.get("/posts/{post_id}/similar", response_model=SimilarPosts)
async def similar_posts(post_id: int, state: State, k: K = DEFAULT_K) -> Response:
    """Posts closest in content: the exported table when it holds the post, else the post index
    online (posts the table does not cover, e.g. ones not eligible for feeds)."""
    return as_json(posts_like(state, post_id, k))


def creators_like(state: ServiceState, creator_id: int, k: int) -> SimilarCreators:
    served = state.champions.served
    with state.db.read() as reader:
        found = reader.rows(
            "SELECT similar_creator_id, rank, score, model_version, export_version "
            "FROM {s}similar_creators WHERE creator_id = {p} ORDER BY rank LIMIT {p}",
            (creator_id, k),
        )
        version = found[0][-1] if found else reader.live_version()
        rows = [row[:-1] for row in found]
    names = served.creators if served else {}
    if not rows and creator_id not in names:
        raise NotFound(f"creator {creator_id} is unknown")
    items = [
        named_creator(other, rank, score, names, model_version=model)
        for other, rank, score, model in rows
    ]
    return SimilarCreators(creator_id=creator_id, export_version=version, items=items)


def posts_like(state: ServiceState, post_id: int, k: int) -> SimilarPosts:
    served = state.champions.served
    with state.db.read() as reader:
        found = reader.rows(
            "SELECT similar_post_id, rank, score, model_version, export_version "
            "FROM {s}similar_posts WHERE post_id = {p} ORDER BY rank LIMIT {p}",
            (post_id, k),
        )
        version = found[0][-1] if found else reader.live_version()
        rows = [row[:-1] for row in found]
    titles = served.posts if served else {}
    if rows:
        items = [_post(other, rank, score, model, titles) for other, rank, score, model in rows]
        return SimilarPosts(post_id=post_id, source="table", export_version=version, items=items)
    if served is None or post_id not in served.posts:
        raise NotFound(f"post {post_id} is unknown")
    index = served.bundle.post_index
    try:
        ids, scores = index.similar_items(post_id, k)
    except (KeyError, ValueError):
        raise NotFound(f"post {post_id} is not in the post index") from None
    model = served.bundle.model_version
    items = [
        _post(int(other), rank, float(score), model, titles)
        for rank, (other, score) in enumerate(zip(ids, scores, strict=True), start=1)
    ]
    return SimilarPosts(post_id=post_id, source="index", model_version=model, items=items)


def _post(
    post_id: int, rank: int, score: float, model: int | None, titles: dict[int, tuple[int, str]]
) -> PostItem:
    creator, title = titles.get(post_id, (None, None))
    return PostItem(
        post_id=post_id,
        rank=rank,
        score=score,
        model_version=model,
        creator_id=creator,
        title=title,
    )
