"""The explorer (/explore): server-rendered pages of what the models do for one reader."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from recsys.serving.user_tables import SOURCE_FALLBACK
from service.db import DatabaseUnavailable
from service.errors import NotFound
from service.routes import readers, search, similar
from service.routes.params import state_of

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
SAMPLE_READERS = 6
PAGE_K = 10

router = APIRouter(prefix="/explore", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    state = state_of(request)
    with state.db.read() as reader:
        version = reader.live_version()
        known = reader.rows(
            "SELECT DISTINCT user_id FROM {s}user_creators WHERE source <> {p} "
            "ORDER BY user_id LIMIT {p}",
            (SOURCE_FALLBACK, SAMPLE_READERS),
        )
        cold = reader.rows(
            "SELECT user_id FROM {s}user_creators WHERE source = {p} ORDER BY user_id LIMIT 1",
            (SOURCE_FALLBACK,),
        )
    return TEMPLATES.TemplateResponse(
        request,
        "explore.html",
        {
            "export_version": version,
            "known": [row[0] for row in known],
            "cold": [row[0] for row in cold],
        },
    )


@router.get("/reader")
async def pick_reader(user_id: Annotated[int, Query()]) -> RedirectResponse:
    return RedirectResponse(f"/explore/readers/{user_id}", status_code=303)


@router.get("/readers/{user_id}", response_class=HTMLResponse)
async def reader_page(request: Request, user_id: int) -> Response:
    state = state_of(request)
    creators = readers.creators_of(state, user_id, PAGE_K)
    feed = readers.posts_of(state, "user_posts", user_id, PAGE_K)
    notifications = readers.posts_of(state, "notification_candidates", user_id, PAGE_K)
    try:
        opened = readers.recent_posts_of(state, user_id, PAGE_K)
    except DatabaseUnavailable:  # exported before reader_recent_posts existed
        opened = None
    history = request.app.state.history.reader(user_id)
    served = state.champions.served
    return TEMPLATES.TemplateResponse(
        request,
        "reader.html",
        {
            "user_id": user_id,
            "creators": creators,
            "feed": feed,
            "notifications": notifications,
            "opened": opened,
            "known_creators": served.creators if served else {},
            "history": history,
        },
    )


@router.get("/creators/{creator_id}", response_class=HTMLResponse)
async def creator_page(request: Request, creator_id: int) -> Response:
    state = state_of(request)
    try:
        neighbours = similar.creators_like(state, creator_id, PAGE_K)
    except NotFound as error:
        return _missing(request, error)
    served = state.champions.served
    name, category = (served.creators if served else {}).get(creator_id, (None, None))
    return TEMPLATES.TemplateResponse(
        request,
        "creator.html",
        {
            "creator_id": creator_id,
            "name": name,
            "category": category,
            "similar": neighbours,
            "top_posts": request.app.state.history.top_posts(creator_id),
        },
    )


@router.get("/posts/{post_id}", response_class=HTMLResponse)
async def post_page(request: Request, post_id: int) -> Response:
    state = state_of(request)
    try:
        neighbours = similar.posts_like(state, post_id, PAGE_K)
    except NotFound as error:
        return _missing(request, error)
    served = state.champions.served
    creator, title = (served.posts if served else {}).get(post_id, (None, None))
    return TEMPLATES.TemplateResponse(
        request,
        "post.html",
        {"post_id": post_id, "title": title, "creator_id": creator, "similar": neighbours},
    )


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q: Annotated[str, Query(max_length=500)] = "") -> Response:
    state = state_of(request)
    results = search.search_results(state, q, PAGE_K) if q.strip() else None
    # htmx asks for the results alone; a plain request (no JavaScript) gets the whole page.
    template = "search_results.html" if request.headers.get("HX-Request") else "search.html"
    return TEMPLATES.TemplateResponse(request, template, {"q": q, "results": results})


def _missing(request: Request, error: NotFound) -> Response:
    return TEMPLATES.TemplateResponse(
        request, "missing.html", {"detail": error.detail}, status_code=404
    )
