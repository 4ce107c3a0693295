"""Search over posts and creators, and "more like this" for a post no batch has seen yet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from recsys.models.content import post_text
from recsys.serving.search.engine import CANDIDATES_PER_RESULT
from service.champions import Served
from service.errors import BadParameter
from service.routes.params import K, State
from service.schemas import CreatorItem, MoreLikeThis, NewPost, PostItem, SearchResponse
from service.state import DEFAULT_K, ServiceState, as_json

MAX_QUERY_CHARS = 500

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    state: State,
    k: K = DEFAULT_K,
) -> Response:
    """Posts closest to the query text by content, and creators ranked by their best post."""
    if not q.strip():
        raise BadParameter("q", "the query is blank")
    return as_json(search_results(state, q, k))


def search_results(state: ServiceState, q: str, k: int) -> SearchResponse:
    served = state.served()
    posts, creators = _ranked(served, q, k)
    return SearchResponse(
        query=q,
        model_version=served.bundle.model_version,
        unknown_words=served.bundle.content_model.unknown_words(q),
        posts=posts,
        creators=creators,
    )


def _ranked(served: Served, query: str, k: int) -> tuple[list[PostItem], list[CreatorItem]]:
    """recsys.serving.search.engine.search's ranking over the served lookups, without pandas
    (which costs ~40 ms a query): the k posts of positive cosine, and creators by their best
    post among the top k * CANDIDATES_PER_RESULT, ties to more matching posts."""
    vector = served.bundle.content_model.embed([query])[0]
    if not vector.any():  # a query of unknown words embeds as zeros and matches nothing
        return [], []
    ids, scores = served.bundle.post_index.query(vector, k * CANDIDATES_PER_RESULT)
    hits = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True) if s > 0]
    posts = []
    best: dict[int, list] = {}
    for post_id, score in hits:
        creator, title = served.posts[post_id]
        if len(posts) < k:
            posts.append(
                PostItem(
                    post_id=post_id,
                    creator_id=creator,
                    title=title,
                    rank=len(posts) + 1,
                    score=score,
                )
            )
        entry = best.setdefault(creator, [score, 0])
        entry[0] = max(entry[0], score)
        entry[1] += 1
    order = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:k]
    creators = []
    for rank, (creator, (score, _)) in enumerate(order, start=1):
        name, category = served.creators.get(creator, (None, None))
        creators.append(
            CreatorItem(creator_id=creator, name=name, category=category, rank=rank, score=score)
        )
    return posts, creators


@router.post("/posts/more-like-this", response_model=MoreLikeThis)
async def more_like_this(post: NewPost, state: State, k: K = DEFAULT_K) -> Response:
    """The posts closest to a new post's title and body (embedded now, then the post index)."""
    if not (post.title.strip() or post.body.strip()):
        raise BadParameter("title", "the post has neither a title nor a body")
    served = state.served()
    vector = served.bundle.content_model.embed([post_text(post.title, post.body)])[0]
    items: list[PostItem] = []
    if vector.any():  # text of unknown words embeds as zeros and is like nothing
        ids, scores = served.bundle.post_index.query(vector, k)
        for rank, (other, score) in enumerate(zip(ids, scores, strict=True), start=1):
            creator, title = served.posts.get(int(other), (None, None))
            items.append(
                PostItem(
                    post_id=int(other),
                    rank=rank,
                    score=float(score),
                    creator_id=creator,
                    title=title,
                )
            )
    return as_json(MoreLikeThis(model_version=served.bundle.model_version, items=items))
