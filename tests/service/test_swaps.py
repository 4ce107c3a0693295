"""Hot swaps without a restart: a new export version is served from the next request, with no
failed request and no answer mixing two versions; a new search bundle is loaded in the
background; a bundle that fails to load keeps the old one, said in the log and in /health."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import duckdb
from support.service_server import Service

from recsys.models.store import ArtifactStore
from recsys.publish.export.run import export_recommendations
from recsys.serving.search.engine import (
    CURRENT,
    current_bundle_folder,
    load_search_bundle,
    save_search_bundle,
)
from recsys.settings import Settings


def reader_answers(service: Service, users: list[int]) -> dict[int, tuple]:
    answers = {}
    for user in users:
        status, body = service.get(f"/readers/{user}/creators?k=20")
        assert status == 200, body
        answers[user] = answer(body)
    return answers


def answer(body: dict) -> tuple:
    return body["export_version"], tuple((i["creator_id"], i["score"]) for i in body["items"])


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_new_export_is_served_from_the_next_request_without_a_failed_or_mixed_answer(
    service: Service, built: Settings, tmp_path: Path
) -> None:
    with duckdb.connect(str(built.warehouse_path), read_only=True) as conn:
        users = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT user_id FROM recommendations.user_creators ORDER BY 1 LIMIT 12"
            ).fetchall()
        ]
    before = reader_answers(service, users)
    # The next version differs in every score: a copy of the warehouse with its scores doubled.
    changed = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse_path, changed)
    with duckdb.connect(str(changed)) as conn:
        conn.execute("UPDATE recommendations.user_creators SET score = score * 2")
    failures: list[str] = []
    seen: list[tuple[int, tuple]] = []
    done = threading.Event()

    def hammer(offset: int) -> None:
        i = offset
        while not done.is_set():
            user = users[i % len(users)]
            i += 1
            try:
                status, body = service.get(f"/readers/{user}/creators?k=20")
            except OSError as error:
                failures.append(repr(error))
                continue
            if status != 200:
                failures.append(f"{status} {body}")
            else:
                seen.append((user, answer(body)))

    clients = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        result = export_recommendations(changed, built.product_db_url)
        time.sleep(0.5)
    finally:
        done.set()
        for client in clients:
            client.join()
    after = reader_answers(service, users)
    assert failures == []
    assert result.status == "succeeded"
    assert {a[0] for a in after.values()} == {result.version}, "the next request sees it"
    assert all(after[u][0] != before[u][0] for u in users)
    for user, got in seen:
        assert got in (before[user], after[user]), f"user {user}: a mixed answer {got}"
    versions_seen = {got[0] for _, got in seen}
    assert len(versions_seen) == 2, f"the requests spanned the swap: {versions_seen}"


def test_a_new_search_bundle_is_loaded_in_the_background_and_served(
    service: Service, built: Settings
) -> None:
    bundle_dir = ArtifactStore(built.models_dir).search_bundle_dir()
    served = service.get("/versions")[1]["content_model"]["served_version"]
    bundle = load_search_bundle(bundle_dir)
    new_version = served + 100
    save_search_bundle(
        bundle_dir,
        bundle.content_model,
        bundle.post_index,
        bundle.posts,
        bundle.creators,
        model_version=new_version,
    )
    wait_for(lambda: service.get("/versions")[1]["content_model"]["served_version"] == new_version)
    status, body = service.get("/search?q=recipe%20oven")
    assert status == 200 and body["model_version"] == new_version
    assert "serving search bundle" in service.log_text()


def test_a_bundle_that_fails_to_load_keeps_the_old_one_and_says_so(
    service: Service, built: Settings
) -> None:
    bundle_dir = ArtifactStore(built.models_dir).search_bundle_dir()
    served = service.get("/versions")[1]["content_model"]["served_version"]
    # A broken version made current: its index file is truncated.
    broken = bundle_dir / "99991231T000000000000Z-broken"
    shutil.copytree(current_bundle_folder(bundle_dir), broken)
    (broken / "posts.ann").write_bytes(b"not an index")
    pointer = bundle_dir / ".current.broken"
    pointer.symlink_to(broken.name)
    os.replace(pointer, bundle_dir / CURRENT)

    def failure_reported() -> bool:
        return service.get("/health")[1]["versions"]["content_model"]["load_error"] is not None

    wait_for(failure_reported)
    status, health = service.get("/health")
    assert status == 200 and health["status"] == "degraded"
    assert any("failed to load" in problem for problem in health["problems"])
    assert health["versions"]["content_model"]["served_version"] == served
    status, body = service.get("/search?q=recipe%20oven")
    assert status == 200 and body["model_version"] == served and body["posts"]
    assert "failed to load" in service.log_text()
    assert "service_model_reload_failed 1.0" in service.text("/metrics")
