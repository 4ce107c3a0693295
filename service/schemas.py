"""The service's response bodies (Pydantic): what the OpenAPI page documents.

The lookup endpoints answer in well under a millisecond, so building a model per item and
validating it would cost more than the lookup: they build the same bodies as plain dicts (`Body`,
with the builders below) and serialize them once. tests/service/test_api.py validates every
answer against its model, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

Body = dict[str, Any]


class CreatorItem(BaseModel):
    creator_id: int
    rank: int
    score: float
    name: str | None = None
    category: str | None = None
    source: str | None = None
    model_version: int | None = None


def creator_item(
    creator_id: int,
    rank: int,
    score: float,
    names: dict[int, tuple[str, str]],
    source: str | None = None,
    model_version: int | None = None,
) -> Body:
    """A CreatorItem, with the creator's name and category from the served bundle when it knows
    them."""
    name, category = names.get(creator_id, (None, None))
    return {
        "creator_id": creator_id,
        "rank": rank,
        "score": score,
        "name": name,
        "category": category,
        "source": source,
        "model_version": model_version,
    }


class PostItem(BaseModel):
    post_id: int
    rank: int
    score: float
    creator_id: int | None = None
    title: str | None = None
    source: str | None = None
    model_version: int | None = None


def post_item(
    post_id: int,
    rank: int,
    score: float,
    titles: dict[int, tuple[int, str]],
    source: str | None = None,
    model_version: int | None = None,
    creator_id: int | None = None,
) -> Body:
    """A PostItem, with the post's title (and creator, unless given) from the served bundle when
    it knows them."""
    known_creator, title = titles.get(post_id, (None, None))
    return {
        "post_id": post_id,
        "rank": rank,
        "score": score,
        "creator_id": known_creator if creator_id is None else creator_id,
        "title": title,
        "source": source,
        "model_version": model_version,
    }


class ReaderCreators(BaseModel):
    user_id: int
    export_version: int
    fallback: bool = Field(description="true: the reader is unknown, popular-and-fresh served")
    items: list[CreatorItem]


class ReaderPosts(BaseModel):
    user_id: int
    export_version: int
    fallback: bool = Field(description="true: the reader is unknown, popular-and-fresh served")
    items: list[PostItem]


class OpenedPost(BaseModel):
    post_id: int
    rank: int = Field(description="1: the post the reader opened last")
    creator_id: int
    opened_at: str = Field(description="the reader's last event on the post (UTC, ISO 8601)")
    event_types: list[str] = Field(description="every kind of event the reader had on it")
    title: str | None = None


class ReaderRecentPosts(BaseModel):
    user_id: int
    export_version: int
    items: list[OpenedPost]


class SimilarCreators(BaseModel):
    creator_id: int
    export_version: int
    items: list[CreatorItem]


class SimilarPosts(BaseModel):
    post_id: int
    source: str = Field(description="table: the exported similar_posts; index: online, by Annoy")
    export_version: int | None = None
    model_version: int | None = None
    items: list[PostItem]


class SearchResponse(BaseModel):
    query: str
    model_version: int | None
    unknown_words: list[str]
    posts: list[PostItem]
    creators: list[CreatorItem]


class NewPost(BaseModel):
    title: str = Field(max_length=1_000)
    body: str = Field(default="", max_length=50_000)


class MoreLikeThis(BaseModel):
    model_version: int | None
    items: list[PostItem]


class ModelStatus(BaseModel):
    served_version: int | None
    bundle: str | None
    loaded_at: str | None
    champion_version: int | None
    last_check: str | None
    load_error: str | None
    champion_error: str | None


class Versions(BaseModel):
    export_version: int | None
    table_model_versions: dict[str, list[int]]
    content_model: ModelStatus


class Health(BaseModel):
    status: str = Field(description="ok, or degraded with the reasons in problems")
    problems: list[str]
    versions: Versions


class Problem(BaseModel):
    detail: str
