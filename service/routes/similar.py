"""Similar creators (the exported table) and similar posts (the table, else the post index)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.errors import NotFound
from service.routes.params import K, state_of
from service.schemas import Body, SimilarCreators, SimilarPosts, creator_item, post_item
from service.state import DEFAULT_K, ServiceState, as_json

router = APIRouter(tags=["similar"])


@router.get("/creators/{creator_id}/similar", response_model=SimilarCreators)
async def similar_creators(creator_id: int, request: Request, k: K = DEFAULT_K) -> Response:
    """Creators whose readers engage alike, best first."""
    return as_json(creators_like(state_of(request), creator_id, k))


@router.get("/posts/{post_id}/similar", response_model=SimilarPosts)
async def similar_posts(post_id: int, request: Request, k: K = DEFAULT_K) -> Response:
    """Posts closest in content: the exported table when it holds the post, else the post index
    online (posts the table does not cover, e.g. ones not eligible for feeds)."""
    return as_json(posts_like(state_of(request), post_id, k))


def creators_like(state: ServiceState, creator_id: int, k: int) -> Body:
    """A SimilarCreators body; NotFound for a creator neither the table nor the bundle knows."""
    served = state.champions.served
    found, version = state.ranked(
        "similar_creators",
        "similar_creator_id, rank, score, model_version",
        "creator_id",
        creator_id,
        k,
    )
    names = served.creators if served else {}
    if not found and creator_id not in names:
        raise NotFound(f"creator {creator_id} is unknown")
    items = [
        creator_item(other, rank, score, names, model_version=model)
        for other, rank, score, model in found
    ]
    return {"creator_id": creator_id, "export_version": version, "items": items}


def posts_like(state: ServiceState, post_id: int, k: int) -> Body:
    """A SimilarPosts body: the table's rows, else the post index's neighbours; NotFound for a
    post neither knows."""
    served = state.champions.served
    found, version = state.ranked(
        "similar_posts", "similar_post_id, rank, score, model_version", "post_id", post_id, k
    )
    titles = served.posts if served else {}
    if found:
        items = [
            post_item(other, rank, score, titles, model_version=model)
            for other, rank, score, model in found
        ]
        return _similar_posts(post_id, "table", version, None, items)
    if served is None or post_id not in served.posts:
        raise NotFound(f"post {post_id} is unknown")
    try:
        ids, scores = served.bundle.post_index.similar_items(post_id, k)
    except (KeyError, ValueError):
        raise NotFound(f"post {post_id} is not in the post index") from None
    model = served.bundle.model_version
    items = [
        post_item(int(other), rank, float(score), titles, model_version=model)
        for rank, (other, score) in enumerate(zip(ids, scores, strict=True), start=1)
    ]
    return _similar_posts(post_id, "index", None, model, items)


def _similar_posts(
    post_id: int, source: str, version: int | None, model: int | None, items: list[Body]
) -> Body:
    return {
        "post_id": post_id,
        "source": source,
        "export_version": version,
        "model_version": model,
        "items": items,
    }
