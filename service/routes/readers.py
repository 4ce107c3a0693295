"""A reader's creators, feed, notification candidates and latest opened posts, from the exported
tables."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from recsys.serving.user_tables import SOURCE_FALLBACK
from service.routes.params import K, state_of
from service.schemas import (
    Body,
    ReaderCreators,
    ReaderPosts,
    ReaderRecentPosts,
    creator_item,
    post_item,
)
from service.state import DEFAULT_K, ServiceState, as_json

router = APIRouter(prefix="/readers", tags=["readers"])


@router.get("/{user_id}/creators", response_model=ReaderCreators)
async def reader_creators(user_id: int, request: Request, k: K = DEFAULT_K) -> Response:
    """Creators to subscribe to, best first; an unknown reader gets the popular-and-fresh list."""
    return as_json(creators_of(state_of(request), user_id, k))


@router.get("/{user_id}/feed", response_model=ReaderPosts)
async def reader_feed(user_id: int, request: Request, k: K = DEFAULT_K) -> Response:
    """Fresh posts, best first; an unknown reader gets the most-read fresh posts."""
    return as_json(posts_of(state_of(request), "user_posts", user_id, k))


@router.get("/{user_id}/notifications", response_model=ReaderPosts)
async def reader_notifications(user_id: int, request: Request, k: K = DEFAULT_K) -> Response:
    """Posts worth a notification; none for an unknown reader (a guess is not worth one)."""
    return as_json(posts_of(state_of(request), "notification_candidates", user_id, k))


@router.get("/{user_id}/history", response_model=ReaderRecentPosts)
async def reader_history(user_id: int, request: Request, k: K = DEFAULT_K) -> Response:
    """The posts the reader opened last, latest first (as many as the export keeps per reader,
    CREATOR_DISCOVERY_READER_HISTORY_POSTS); none for an unknown reader."""
    return as_json(recent_posts_of(state_of(request), user_id, k))


def recent_posts_of(state: ServiceState, user_id: int, k: int) -> Body:
    """A ReaderRecentPosts body."""
    served = state.champions.served
    found, version = state.ranked(
        "reader_recent_posts",
        "post_id, rank, creator_id, opened_at, event_types",
        "user_id",
        user_id,
        k,
    )
    titles = served.posts if served else {}
    items = [
        {
            "post_id": post,
            "rank": rank,
            "creator_id": creator,
            "opened_at": opened_at,
            "event_types": event_types.split(","),
            "title": titles.get(post, (None, None))[1],
        }
        for post, rank, creator, opened_at, event_types in found
    ]
    return {"user_id": user_id, "export_version": version, "items": items}


def creators_of(state: ServiceState, user_id: int, k: int) -> Body:
    """A ReaderCreators body."""
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
        creator_item(creator, rank, score, names, source, model)
        for creator, rank, score, source, model in rows
    ]
    return {"user_id": user_id, "export_version": version, "fallback": fallback, "items": items}


def posts_of(state: ServiceState, table: str, user_id: int, k: int) -> Body:
    """A ReaderPosts body: the feed (user_posts) or notifications; only the feed falls back for
    unknown readers: a guess is not worth an interruption."""
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
        post_item(post, rank, score, titles, source, model, creator_id=creator)
        for post, creator, rank, score, source, model in rows
    ]
    return {"user_id": user_id, "export_version": version, "fallback": fallback, "items": items}
