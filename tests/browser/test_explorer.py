"""The explorer (/explore) in Chromium: open a reader, see the rank-1 creator and the last post
read that the product database holds, click through to a similar creator or post, search. The
screenshots go to tests/artifacts/ (docs/images/explorer.png, in the README, is explorer-reader.png
of a run)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.service_server import Service, build_platform, running_service

from recsys.publish.export.target import sqlite_path
from recsys.settings import DATA_DIR_VAR, Settings


@pytest.fixture(scope="module")
def settings(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("explorer") / "data"
    build_platform(data_dir)
    return Settings.from_env({DATA_DIR_VAR: str(data_dir)})


@pytest.fixture(scope="module")
def service(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    log = tmp_path_factory.mktemp("explorer-log") / "service.log"
    with running_service(settings.data_dir, log) as running:
        yield running


def product_row(settings: Settings, sql: str) -> tuple:
    with sqlite3.connect(sqlite_path(settings.product_db_url)) as conn:
        return conn.execute(sql).fetchone()


def test_a_reader_page_shows_the_rank_1_creator_the_database_holds(
    page, step, service: Service, settings: Settings
) -> None:
    from playwright.sync_api import expect

    user, creator = product_row(
        settings,
        "SELECT user_id, creator_id FROM user_creators WHERE source = 'als' AND rank = 1 "
        "ORDER BY user_id LIMIT 1",
    )
    with step("explorer-index"):
        page.goto(service.base + "/explore")
        page.get_by_role("link", name=f"reader {user}", exact=True).click()
    with step("explorer-reader"):
        first = page.locator("#creators tr.creator-row").first
        expect(first).to_contain_text("1")
        expect(first.get_by_role("link")).to_have_attribute("href", f"/explore/creators/{creator}")
        expect(page.locator("#feed tr.post-row").first).to_be_visible()
        expect(page.locator("#history")).to_contain_text("Subscribed to")


def test_a_reader_page_shows_the_posts_read_and_links_to_their_similar_posts(
    page, step, service: Service, settings: Settings
) -> None:
    from playwright.sync_api import expect

    user, post, read = product_row(
        settings,
        "SELECT user_id, post_id, (SELECT count(*) FROM reader_recent_posts r "
        "WHERE r.user_id = h.user_id) FROM reader_recent_posts h WHERE rank = 1 "
        "ORDER BY user_id LIMIT 1",
    )
    with step("explorer-reader-history"):
        page.goto(f"{service.base}/explore/readers/{user}")
        rows = page.locator("#opened tr.opened-row")
        expect(rows).to_have_count(min(read, 10))
        link = rows.first.get_by_role("link").first
        expect(link).to_have_attribute("href", f"/explore/posts/{post}")
        link.click()
        expect(page).to_have_url(f"{service.base}/explore/posts/{post}")
        expect(page.locator("#similar tr.post-row").first).to_be_visible()


def test_a_creator_links_to_its_similar_creators(
    page, step, service: Service, settings: Settings
) -> None:
    from playwright.sync_api import expect

    creator, similar = product_row(
        settings,
        "SELECT creator_id, similar_creator_id FROM similar_creators WHERE rank = 1 "
        "ORDER BY creator_id LIMIT 1",
    )
    with step("explorer-creator"):
        page.goto(f"{service.base}/explore/creators/{creator}")
        link = page.locator("#similar tr.creator-row").first.get_by_role("link")
        expect(link).to_have_attribute("href", f"/explore/creators/{similar}")
        link.click()
        expect(page).to_have_url(f"{service.base}/explore/creators/{similar}")
        expect(page.locator("#similar tr.creator-row").first).to_be_visible()


def test_the_search_box_shows_posts_and_creators_without_leaving_the_page(
    page, step, service: Service
) -> None:
    from playwright.sync_api import expect

    with step("explorer-search"):
        page.goto(service.base + "/explore")
        page.get_by_label("search").fill("recipe oven garlic")
        page.get_by_role("button", name="Search").click()
        results = page.locator("#search-results")
        expect(results.locator("tr.post-row").first).to_be_visible()
        expect(results.locator("tr.creator-row").first).to_be_visible()
        expect(page).to_have_url(f"{service.base}/explore")
