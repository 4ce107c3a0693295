"""Every endpoint of the real service (uvicorn on a loopback port) over a pipeline-built
product database: answers match the exported tables, unknown readers get the marked fallback,
unknown ids are 404s, bad parameters 422s naming the parameter, and nothing leaks a traceback."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest
from support.service_server import Service

from recsys.models.store import ArtifactStore
from recsys.publish.export.target import sqlite_path
from recsys.serving.search.engine import load_search_bundle
from recsys.serving.user_tables import SOURCE_FALLBACK
from recsys.settings import Settings
from service.schemas import (
    MoreLikeThis,
    ReaderCreators,
    ReaderPosts,
    ReaderRecentPosts,
    SearchResponse,
    SimilarCreators,
    SimilarPosts,
    Versions,
)

UNKNOWN = 10**12


def product_rows(settings: Settings, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(sqlite_path(settings.product_db_url)) as conn:
        return conn.execute(sql, params).fetchall()


def a_user_with(settings: Settings, table: str, source: str | None = None) -> int:
    where = "WHERE source = ?" if source else ""
    params = (source,) if source else ()
    return product_rows(settings, f"SELECT user_id FROM {table} {where} LIMIT 1", params)[0][0]


def live_version(settings: Settings) -> int:
    return product_rows(
        settings,
        "SELECT version FROM export_log WHERE status IN ('succeeded', 'rolled_back') "
        "ORDER BY id DESC LIMIT 1",
    )[0][0]


def test_a_readers_creators_are_the_exported_rows_in_rank_order(
    service: Service, built: Settings
) -> None:
    user = a_user_with(built, "user_creators", "als")
    expected = product_rows(
        built,
        "SELECT creator_id, score, model_version FROM user_creators WHERE user_id = ? "
        "ORDER BY rank LIMIT 5",
        (user,),
    )
    status, body = service.get(f"/readers/{user}/creators?k=5")
    assert status == 200
    assert body["fallback"] is False and body["export_version"] == live_version(built)
    got = [(i["creator_id"], i["score"], i["model_version"]) for i in body["items"]]
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert all(i["name"] and i["category"] for i in body["items"])


def test_a_readers_feed_and_notifications_are_the_exported_rows(
    service: Service, built: Settings
) -> None:
    for table, path in (("user_posts", "feed"), ("notification_candidates", "notifications")):
        user = a_user_with(built, table)
        expected = product_rows(
            built,
            f"SELECT post_id FROM {table} WHERE user_id = ? ORDER BY rank LIMIT 3",
            (user,),
        )
        status, body = service.get(f"/readers/{user}/{path}?k=3")
        assert status == 200, body
        assert [i["post_id"] for i in body["items"]] == [row[0] for row in expected]
        assert all(i["title"] for i in body["items"])


def test_an_unknown_reader_gets_the_popular_and_fresh_fallback_marked_as_such(
    service: Service, built: Settings
) -> None:
    status, body = service.get(f"/readers/{UNKNOWN}/creators?k=5")
    assert status == 200
    assert body["fallback"] is True and len(body["items"]) == 5
    assert {i["source"] for i in body["items"]} == {SOURCE_FALLBACK}
    fallback_creators = {
        row[0]
        for row in product_rows(
            built, "SELECT creator_id FROM user_creators WHERE source = ?", (SOURCE_FALLBACK,)
        )
    }
    assert {i["creator_id"] for i in body["items"]} <= fallback_creators
    status, feed = service.get(f"/readers/{UNKNOWN}/feed")
    assert status == 200 and feed["fallback"] is True and feed["items"]
    assert {i["source"] for i in feed["items"]} == {SOURCE_FALLBACK}
    status, notes = service.get(f"/readers/{UNKNOWN}/notifications")
    assert status == 200 and notes["items"] == [], "a guess is not worth a notification"


def test_a_readers_history_is_the_exported_latest_opened_posts(
    service: Service, built: Settings
) -> None:
    (user,) = product_rows(
        built, "SELECT user_id FROM reader_recent_posts WHERE rank = 3 ORDER BY user_id LIMIT 1"
    )[0]
    expected = product_rows(
        built,
        "SELECT post_id, creator_id, opened_at, event_types FROM reader_recent_posts "
        "WHERE user_id = ? ORDER BY rank LIMIT 3",
        (user,),
    )
    status, body = service.get(f"/readers/{user}/history?k=3")
    assert status == 200 and body["export_version"] == live_version(built)
    got = [
        (i["post_id"], i["creator_id"], i["opened_at"], ",".join(i["event_types"]))
        for i in body["items"]
    ]
    assert got == expected and [i["rank"] for i in body["items"]] == [1, 2, 3]
    assert all(i["title"] for i in body["items"])
    opened_at = [i["opened_at"] for i in body["items"]]
    assert opened_at == sorted(opened_at, reverse=True), "latest first"
    status, unknown = service.get(f"/readers/{UNKNOWN}/history")
    assert status == 200 and unknown["items"] == []


def test_the_feed_never_shows_a_post_the_history_says_was_read(built: Settings) -> None:
    overlap = product_rows(
        built,
        "SELECT count(*) FROM user_posts f JOIN reader_recent_posts h USING (user_id, post_id)",
    )
    history = product_rows(built, "SELECT count(DISTINCT user_id) FROM reader_recent_posts")
    assert overlap == [(0,)] and history[0][0] > 0


def test_the_explorer_reader_page_lists_the_posts_read_with_links_to_similar_posts(
    service: Service, built: Settings
) -> None:
    user, post = product_rows(
        built, "SELECT user_id, post_id FROM reader_recent_posts WHERE rank = 1 LIMIT 1"
    )[0]
    page = service.text(f"/explore/readers/{user}")
    opened = page.split('id="opened"')[1].split("</table>")[0]
    assert f'href="/explore/posts/{post}"' in opened
    assert (
        opened.count('class="opened-row"')
        == product_rows(
            built, "SELECT count(*) FROM reader_recent_posts WHERE user_id = ?", (user,)
        )[0][0]
    )


def test_similar_creators_come_from_the_table(service: Service, built: Settings) -> None:
    creator, other = product_rows(
        built, "SELECT creator_id, similar_creator_id FROM similar_creators WHERE rank = 1"
    )[0]
    status, body = service.get(f"/creators/{creator}/similar?k=3")
    assert status == 200 and body["items"][0]["creator_id"] == other
    assert len(body["items"]) == 3


def test_similar_posts_come_from_the_table_else_online_from_the_post_index(
    service: Service, built: Settings
) -> None:
    post, other = product_rows(
        built, "SELECT post_id, similar_post_id FROM similar_posts WHERE rank = 1"
    )[0]
    status, body = service.get(f"/posts/{post}/similar")
    assert status == 200 and body["source"] == "table"
    assert body["items"][0]["post_id"] == other
    # A post the table does not hold (as for posts outside the feeds) is answered online.
    with sqlite3.connect(sqlite_path(built.product_db_url)) as conn:
        conn.execute("DELETE FROM similar_posts WHERE post_id = ?", (post,))
    status, online = service.get(f"/posts/{post}/similar?k=5")
    assert status == 200 and online["source"] == "index", online
    assert len(online["items"]) == 5 and post not in {i["post_id"] for i in online["items"]}
    assert online["model_version"] is not None


def test_search_finds_posts_and_creators_for_words_of_a_topic(service: Service) -> None:
    status, body = service.get("/search?q=recipe%20oven%20garlic&k=5")
    assert status == 200
    assert len(body["posts"]) == 5 and body["creators"]
    assert body["posts"][0]["score"] >= body["posts"][-1]["score"] > 0
    assert body["model_version"] is not None


@pytest.mark.parametrize("query", ["recipe oven garlic", "stocks", "telescope galaxy fossil"])
def test_search_ranks_as_the_search_engine_does(
    service: Service, built: Settings, query: str
) -> None:
    bundle = load_search_bundle(ArtifactStore(built.models_dir).search_bundle_dir())
    expected = bundle.search(query, k=7)
    status, body = service.get(f"/search?q={quote(query)}&k=7")
    assert status == 200
    assert [p["post_id"] for p in body["posts"]] == expected.posts["post_id"].tolist()
    assert [c["creator_id"] for c in body["creators"]] == expected.creators["creator_id"].tolist()
    assert body["unknown_words"] == list(expected.unknown_words)


def test_more_like_this_embeds_a_new_post_and_queries_the_post_index(service: Service) -> None:
    new_post = {"title": "garlic oven recipe", "body": "roast the garlic in the oven"}
    status, body = service.post("/posts/more-like-this?k=4", new_post)
    assert status == 200 and len(body["items"]) == 4
    assert body["items"][0]["score"] >= body["items"][-1]["score"]


@pytest.mark.parametrize(
    ("path", "status"),
    [(f"/creators/{UNKNOWN}/similar", 404), (f"/posts/{UNKNOWN}/similar", 404)],
)
def test_an_unknown_creator_or_post_is_a_404_with_a_json_message(
    service: Service, path: str, status: int
) -> None:
    got, body = service.get(path)
    assert got == status and str(UNKNOWN) in body["detail"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/readers/1/creators?k=1000", "k"),
        ("/readers/1/feed?k=0", "k"),
        ("/readers/abc/creators", "user_id"),
        ("/search?q=", "q"),
        ("/search?q=%20%20", "q"),
        ("/search?q=" + "a" * 10_240, "q"),
        ("/search", "q"),
    ],
)
def test_bad_parameters_are_a_422_that_names_the_parameter(
    service: Service, path: str, parameter: str
) -> None:
    status, body = service.get(path)
    assert status == 422
    assert [e["parameter"] for e in body["errors"]] == [parameter]
    assert body["detail"].startswith(f"{parameter}: ")


def test_a_new_post_of_10_kb_or_without_text_is_a_422(service: Service) -> None:
    status, body = service.post("/posts/more-like-this", {"title": "x" * 10_240})
    assert status == 422 and body["errors"][0]["parameter"] == "body.title"
    status, body = service.post("/posts/more-like-this", {"title": " ", "body": ""})
    assert status == 422 and body["errors"][0]["parameter"] == "title"


def test_health_and_versions_name_the_export_and_model_versions(
    service: Service, built: Settings
) -> None:
    status, health = service.get("/health")
    assert status == 200 and health["status"] == "ok", health
    versions = health["versions"]
    assert versions["export_version"] == live_version(built)
    assert versions["table_model_versions"]
    model = versions["content_model"]
    assert model["served_version"] is not None and model["load_error"] is None
    assert service.get("/versions") == (200, versions)


def test_metrics_count_requests_per_endpoint_in_prometheus_text(service: Service) -> None:
    service.get(f"/readers/{UNKNOWN}/creators")
    text = service.text("/metrics")
    assert 'service_requests_total{endpoint="/readers/{user_id}/creators"' in text
    assert 'service_request_seconds_bucket{endpoint="/readers/{user_id}/creators"' in text
    assert 'service_version_served{what="export"}' in text
    assert 'service_version_served{what="content_model"}' in text


def test_every_answer_is_exactly_the_model_the_openapi_page_documents(
    service: Service, built: Settings
) -> None:
    user = a_user_with(built, "notification_candidates")
    creator = product_rows(built, "SELECT creator_id FROM similar_creators LIMIT 1")[0][0]
    post = product_rows(built, "SELECT post_id FROM similar_posts LIMIT 1")[0][0]
    answers = [
        (ReaderCreators, service.get(f"/readers/{user}/creators")),
        (ReaderCreators, service.get(f"/readers/{UNKNOWN}/creators")),
        (ReaderPosts, service.get(f"/readers/{user}/feed")),
        (ReaderPosts, service.get(f"/readers/{UNKNOWN}/feed")),
        (ReaderPosts, service.get(f"/readers/{user}/notifications")),
        (ReaderRecentPosts, service.get(f"/readers/{user}/history")),
        (SimilarCreators, service.get(f"/creators/{creator}/similar")),
        (SimilarPosts, service.get(f"/posts/{post}/similar")),
        (SearchResponse, service.get("/search?q=garlic%20oven%20zebra")),
        (MoreLikeThis, service.post("/posts/more-like-this", {"title": "garlic oven"})),
        (Versions, service.get("/versions")),
    ]
    for model, (status, body) in answers:
        assert status == 200, body
        # Validated and dumped again, an answer with a missing, extra or mistyped field changes.
        assert model.model_validate(body).model_dump(mode="json") == body, model.__name__


def test_the_openapi_page_documents_every_endpoint(service: Service) -> None:
    status, spec = service.get("/openapi.json")
    assert status == 200
    assert {
        "/readers/{user_id}/creators",
        "/readers/{user_id}/feed",
        "/readers/{user_id}/notifications",
        "/readers/{user_id}/history",
        "/creators/{creator_id}/similar",
        "/posts/{post_id}/similar",
        "/search",
        "/posts/more-like-this",
        "/health",
        "/versions",
    } <= set(spec["paths"])


def test_no_response_carries_a_stack_trace(service: Service) -> None:
    log = service.log_text()
    for path in ("/readers/x/feed", f"/posts/{UNKNOWN}/similar", "/search?q=", "/nope"):
        status, body = service.get(path)
        assert status >= 400 and "Traceback" not in str(body) and 'File "' not in str(body)
    assert "Traceback" not in log, log[-2000:]


def test_the_service_binds_to_loopback_by_default() -> None:
    assert Settings.from_env({}).serve_host == "127.0.0.1"


def test_a_database_exported_before_the_history_table_still_serves_the_reader_page(
    service: Service, built: Settings
) -> None:
    user = a_user_with(built, "user_creators", "als")
    with sqlite3.connect(sqlite_path(built.product_db_url)) as conn:
        conn.execute("ALTER TABLE reader_recent_posts RENAME TO reader_recent_posts_hidden")
    try:
        status, body = service.get(f"/readers/{user}/history")
        assert status == 503 and "reader_recent_posts" in body["detail"]
        page = service.text(f"/explore/readers/{user}")
        assert "export again" in page and 'class="creator-row"' in page
    finally:
        with sqlite3.connect(sqlite_path(built.product_db_url)) as conn:
            conn.execute("ALTER TABLE reader_recent_posts_hidden RENAME TO reader_recent_posts")
