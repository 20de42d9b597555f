"""Shared browser fixtures: a live assistant, one headless Chromium per session, pages, axe-core.

The browser tests need a running assistant (``make test-web`` starts one) at
``$CARREFOUR_URL``. Without one they are skipped, unless ``CARREFOUR_REQUIRE_SERVER=1``
makes a missing server a failure (in CI, a skipped accessibility test is a hole).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CARREFOUR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

PageFactory = Callable[..., Page]
AxeScan = Callable[[Page], list[dict[str, Any]]]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/widget/i18n.json", timeout=5) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@pytest.fixture(scope="session")
def server_url() -> str:
    """The assistant's base URL; skips (or fails when required) if it does not answer."""
    url = os.environ.get("CARREFOUR_URL", "http://localhost:5005").rstrip("/")
    if not _answers(url):
        reason = f"no Carrefour server answers at {url} (start one, or run make test-web)"
        if os.environ.get("CARREFOUR_REQUIRE_SERVER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def browser(server_url: str) -> Iterator[Browser]:
    """One headless Chromium for the whole session (starting one costs about a second)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server_url: str) -> Iterator[PageFactory]:
    """Open a page of the server in a fresh context (own cookies and session storage).

    Call it as ``page("/demo/", width=1000, height=760, bypass_csp=False)``; every
    context it opened is closed after the test.
    """
    contexts: list[BrowserContext] = []

    def open_page(
        path: str = "/demo/", width: int = 1000, height: int = 760, bypass_csp: bool = False
    ) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=bypass_csp
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        new_page = context.new_page()
        new_page.goto(server_url + path)
        return new_page

    yield open_page
    for context in contexts:
        context.close()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA) on ``page``; return the serious and critical violations.

    Pages with a strict Content-Security-Policy need a context opened with
    ``bypass_csp=True`` for the injected script to run.
    """
    page.add_script_tag(path=str(AXE_PATH))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    for violation in violations:
        targets = [node.get("target") for node in violation.get("nodes", [])]
        print(json.dumps({"id": violation["id"], "impact": violation["impact"], "nodes": targets}))
    return violations


@pytest.fixture
def axe_scan() -> AxeScan:
    """The axe-core scan as a fixture: ``axe_scan(page)`` → serious/critical violations."""
    if not AXE_PATH.exists():
        pytest.fail(f"axe-core is missing at {AXE_PATH}: run `cd web && npm ci`")
    return serious_violations
