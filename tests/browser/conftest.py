"""Browser fixtures: Debian's chromium driven by Playwright, and screenshots of every step.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`make browser` installs it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from recsys.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium keeps calling out to a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
VIEWPORT = {"width": 1600, "height": 1000}
STEP_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make browser` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def page(chromium: Path, tmp_path_factory: pytest.TempPathFactory):
    """One tab of a fresh chromium profile, shared by the tests of a module."""
    from playwright.sync_api import expect, sync_playwright

    # A loaded 2-core machine renders slowly: every wait, actions and assertions alike, is generous.
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        tab = context.new_page()
        try:
            yield tab
        finally:
            context.close()


Step = Callable[[str], AbstractContextManager[None]]


@pytest.fixture(scope="module")
def step(page) -> Step:
    """`with step("name"):` screenshots the page after the block to tests/artifacts/name.png, or on
    failure to name-FAILED.png and re-raises with the screenshot's path in the message."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _step(name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except Exception as error:
            shot = ARTIFACTS / f"{name}-FAILED.png"
            try:
                page.screenshot(path=str(shot))
            except Exception as screenshot_error:
                shot = Path(f"(no screenshot: {screenshot_error})")
            raise AssertionError(f"step {name!r} failed at {page.url} ({shot}): {error}") from error
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}-FAILED.png").unlink(missing_ok=True)
        # Shown by pytest -rA or on failure: where the module's minutes go.
        print(f"step {name}: {time.monotonic() - started:.1f} s")

    return _step
