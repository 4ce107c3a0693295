"""A reader's creators, feed and notification candidates, from the exported tables."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from recsys.serving.user_tables import SOURCE_FALLBACK
from service.routes.params import K, State
from service.schemas import PostItem, ReaderCreators, ReaderPosts, named_creator
from service.state import DEFAULT_K, ServiceState, as_json

router = APIRouter(prefix="/readers", tags=["readers"])


@router.get("/{user_id}/creators", response_model=ReaderCreators)
async def reader_creators(user_id: int, state: State, k: K = DEFAULT_K) -> Response:
    """Creators to subscribe to, best first; an unknown reader gets the popular-and-fresh list."""
    return as_json(creators_of(state, user_id, k))


@router.get("/{user_id}/feed", response_model=ReaderPosts)
async def reader_feed(user_id: int, state: State, k: K = DEFAULT_K) -> Response:
    """Fresh posts, best first; an unknown reader gets the most-read fresh posts."""
    return as_json(posts_of(state, "user_posts", user_id, k))


@router.get("/{user_id}/notifications", response_model=ReaderPosts)
async def reader_notifications(user_id: int, state: State, k: K = DEFAULT_K) -> Response:
    """Posts worth a notification; none for an unknown reader (a guess is not worth one)."""
    return as_json(posts_of(state, "notification_candidates", user_id, k))


def creators_of(state: ServiceState, user_id: int, k: int) -> ReaderCreators:
    served = state.champions.served
    with state.db.read() as reader:
        # One statement: its rows and the version they carry come from one table version.
        found = reader.rows(
            "SELECT creator_id, rank, score, source, model_version, export_version "
            "FROM {s}user_creators WHERE user_id = {p} ORDER BY rank LIMIT {p}",
            (user_id, k),
        )
        fallback = not found
        if fallback:
            listed, version = state.fallback(reader, "user_creators")
            rows = [
                (creator, rank, score, SOURCE_FALLBACK, model)
                for rank, (creator, score, model) in enumerate(listed[:k], start=1)
            ]
        else:
            version = found[0][-1]
            rows = [row[:-1] for row in found]
    names = served.creators if served else {}
    items = [
        named_creator(creator, rank, score, names, source, model)
        for creator, rank, score, source, model in rows
    ]
    return ReaderCreators(user_id=user_id, export_version=version, fallback=fallback, items=items)


def posts_of(state: ServiceState, table: str, user_id: int, k: int) -> ReaderPosts:
    """The feed (user_posts) or notifications; only the feed falls back for unknown readers:
    a guess is not worth an interruption."""
    fallback_allowed = table == "user_posts"
    served = state.champions.served
    with state.db.read() as reader:
        found = reader.rows(
            "SELECT post_id, creator_id, rank, score, source, model_version, export_version "
            f"FROM {{s}}{table} WHERE user_id = {{p}} ORDER BY rank LIMIT {{p}}",
            (user_id, k),
        )
        fallback = not found and fallback_allowed
        if found:
            version = found[0][-1]
            rows = [row[:-1] for row in found]
        elif fallback:
            listed, version = state.fallback(reader, table)
            rows = [
                (post, creator, rank, score, SOURCE_FALLBACK, model)
                for rank, (post, creator, score, model) in enumerate(listed[:k], start=1)
            ]
        else:
            version, rows = reader.live_version(), []
    titles = served.posts if served else {}
    items = [
        PostItem(
            post_id=post,
            creator_id=creator,
            rank=rank,
            score=score,
            source=source,
            model_version=model,
            title=titles.get(post, (None, None))[1],
        )
        for post, creator, rank, score, source, model in rows
    ]
    return ReaderPosts(user_id=user_id, export_version=version, fallback=fallback, items=items)
