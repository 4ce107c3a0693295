"""Search over posts and creators, and "more like this" for a post no batch has seen yet."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from recsys.models.content import post_text
from recsys.serving.search.engine import CANDIDATES_PER_RESULT
from service.champions import Served
from service.errors import BadParameter
from service.routes.params import K, state_of
from service.schemas import (
    Body,
    MoreLikeThis,
    NewPost,
    SearchResponse,
    creator_item,
    post_item,
)
from service.state import DEFAULT_K, ServiceState, as_json

MAX_QUERY_CHARS = 500

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    request: Request,
    k: K = DEFAULT_K,
) -> Response:
    """Posts closest to the query text by content, and creators ranked by their best post."""
    if not q.strip():
        raise BadParameter("q", "the query is blank")
    return as_json(search_results(state_of(request), q, k))


def search_results(state: ServiceState, q: str, k: int) -> Body:
    """A SearchResponse body."""
    served = state.served()
    embedded = served.embed(q)
    posts, creators = _ranked(served, embedded.vector, k)
    return {
        "query": q,
        "model_version": served.bundle.model_version,
        "unknown_words": embedded.unknown_words,
        "posts": posts,
        "creators": creators,
    }


def _ranked(served: Served, vector: np.ndarray, k: int) -> tuple[list[Body], list[Body]]:
    """recsys.serving.search.engine.search's ranking over the served lookups, without pandas
    (which costs ~40 ms a query): the k posts of positive cosine, and creators by their best
    post among the top k * CANDIDATES_PER_RESULT, ties to more matching posts."""
    if not vector.any():  # a query of unknown words embeds as zeros and matches nothing
        return [], []
    ids, scores = served.bundle.post_index.query(vector, k * CANDIDATES_PER_RESULT)
    posts: list[Body] = []
    best: dict[int, list] = {}
    for post_id, score in zip(ids.tolist(), scores.tolist(), strict=True):
        if score <= 0:
            continue
        if len(posts) < k:
            posts.append(post_item(post_id, len(posts) + 1, score, served.posts))
        entry = best.setdefault(served.posts[post_id][0], [score, 0])
        entry[0] = max(entry[0], score)
        entry[1] += 1
    order = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:k]
    creators = [
        creator_item(creator, rank, score, served.creators)
        for rank, (creator, (score, _)) in enumerate(order, start=1)
    ]
    return posts, creators


@router.post("/posts/more-like-this", response_model=MoreLikeThis)
async def more_like_this(post: NewPost, request: Request, k: K = DEFAULT_K) -> Response:
    """The posts closest to a new post's title and body (embedded now, then the post index)."""
    if not (post.title.strip() or post.body.strip()):
        raise BadParameter("title", "the post has neither a title nor a body")
    served = state_of(request).served()
    vector = served.embed(post_text(post.title, post.body)).vector
    items: list[Body] = []
    if vector.any():  # text of unknown words embeds as zeros and is like nothing
        ids, scores = served.bundle.post_index.query(vector, k)
        items = [
            post_item(other, rank, score, served.posts)
            for rank, (other, score) in enumerate(
                zip(ids.tolist(), scores.tolist(), strict=True), start=1
            )
        ]
    return as_json({"model_version": served.bundle.model_version, "items": items})
