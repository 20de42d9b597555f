"""The agent console page (/console/) in headless Chromium, against a live assistant.

Needs ``$CARREFOUR_URL`` (a running server) and ``$CARREFOUR_CONSOLE_TOKEN`` (its console
token). Labels are read from the server's /console/i18n.json and expected values from the
JSON API itself, so the tests check the page's behaviour, not copies of its texts.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "img" / "console.png"
CONSOLE = "/console/"
PASSPORT = "I lost my passport"
QUEBEC_HEALTH_CARD = "je veux renouveler ma carte d'assurance maladie"
AMBIGUOUS = "benefits"

# The fixtures of tests/browser/conftest.py: page(path, width=, height=, bypass_csp=)
# and axe_scan(page).
PageFactory = Callable[..., Page]
AxeScan = Callable[[Page], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def token() -> str:
    """The console token of the server under test."""
    value = os.environ.get("CARREFOUR_CONSOLE_TOKEN", "").strip()
    if not value:
        reason = "CARREFOUR_CONSOLE_TOKEN is not set (the server's .run/console-token)"
        if os.environ.get("CARREFOUR_REQUIRE_SERVER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return value


@pytest.fixture(scope="module")
def labels(server_url: str) -> dict[str, dict[str, str]]:
    """The page's labels, as the server serves them."""
    with urllib.request.urlopen(server_url + "/console/i18n.json", timeout=10) as reply:
        texts: dict[str, dict[str, str]] = json.load(reply)
    return texts


def api(server_url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """Ask the JSON API directly: what the page should show for the same request."""
    request = urllib.request.Request(
        server_url + "/api/referrals",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=20) as reply:
        answer: dict[str, Any] = json.load(reply)
    return answer


def sign_in(page: Page, token: str, labels: dict[str, dict[str, str]]) -> None:
    page.get_by_label(labels["en"]["token_label"]).fill(token)
    page.keyboard.press("Enter")
    page.locator("#workspace").wait_for(state="visible")


def ask(page: Page, text: str) -> None:
    """Type what the caller says and press Enter; wait for the answer to be shown."""
    page.locator("#caller-says").fill(text)
    page.locator("#caller-says").press("Enter")
    page.locator("#result[aria-busy=false]").wait_for(state="attached")


def console(page_factory: PageFactory, **options: Any) -> Page:
    opened = page_factory(CONSOLE, **options)
    opened.locator("body[data-ready=true]").wait_for(state="attached")
    return opened


def test_a_wrong_token_stays_on_the_sign_in(page: PageFactory, labels: dict[str, Any]) -> None:
    console_page = console(page)
    sign_in_form = console_page.locator("#signin")
    assert sign_in_form.is_visible()
    assert (
        console_page.get_by_label(labels["en"]["token_label"]).get_attribute("type") == "password"
    )
    console_page.get_by_label(labels["en"]["token_label"]).fill("not-the-token")
    console_page.keyboard.press("Enter")
    error = console_page.locator("#signin-error")
    error.filter(has_text=labels["en"]["signin_rejected"]).wait_for()
    assert sign_in_form.is_visible() and console_page.locator("#workspace").is_hidden()
    assert console_page.evaluate("sessionStorage.length") == 0


def test_a_passport_call_shows_the_federal_card(
    page: PageFactory, token: str, labels: dict[str, Any], server_url: str
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    # The token lives for the tab only, and is never written to persistent storage.
    assert token in console_page.evaluate("Object.values(sessionStorage)")
    assert console_page.evaluate("localStorage.length") == 0
    assert console_page.evaluate("document.activeElement.id") == "caller-says"

    ask(console_page, PASSPORT)
    expected = api(server_url, token, {"text": PASSPORT, "language": "en"})["card"]
    assert expected["kind"] == "referral" and expected["order"] == "federal"
    card = console_page.locator(".card--referral")
    assert card.locator(".who__government").inner_text() == expected["government"]
    assert card.locator(".who__organization").inner_text() == expected["organization"]
    number = console_page.locator("#transfer-number").inner_text()
    assert re.fullmatch(r"[0-9][0-9-]{6,}", number) and number == expected["transfer"]["display"]
    tel = card.locator("a[href^='tel:']")
    assert tel.get_attribute("href") == "tel:" + expected["transfer"]["number"].replace("-", "")
    terms = card.locator("dt").all_inner_texts()
    assert labels["en"]["hours"] in terms and labels["en"]["now"] in terms
    hours = card.locator("dt", has_text=labels["en"]["hours"]).locator(
        "xpath=following-sibling::dd[1]"
    )
    assert hours.inner_text() == (expected["transfer"]["hours"] or labels["en"]["hours_unknown"])
    open_now = card.locator(".open__word").inner_text()
    state = {True: "open", False: "closed", None: "open_unknown"}[expected["transfer"]["open_now"]]
    assert open_now == (expected["transfer"]["status"] or labels["en"][state])
    script = console_page.locator("#transfer-script")
    assert script.get_attribute("lang") == "en" and number in script.inner_text()
    # Focus moves to the answer's heading, which names the service.
    assert console_page.evaluate("document.activeElement.id") == "result-heading"
    assert expected["service"] in console_page.locator("#result-heading").inner_text()
    elapsed = console_page.locator("#elapsed").inner_text()
    assert re.search(r"\d", elapsed)


def test_a_french_caller_in_montreal_gets_quebec_and_a_french_script(
    page: PageFactory, token: str, labels: dict[str, Any]
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    console_page.keyboard.press("Alt+L")
    assert console_page.locator("input[name=caller-language][value=fr]").is_checked()
    console_page.locator("#location").fill("Montréal")
    requests: list[dict[str, Any]] = []
    console_page.on("request", lambda r: _keep_body(r, requests))
    ask(console_page, QUEBEC_HEALTH_CARD)
    assert requests[-1]["language"] == "fr" and requests[-1]["location"] == "Montréal"
    card = console_page.locator(".card--referral")
    assert "Québec" in card.locator(".who__government").inner_text()
    script = console_page.locator("#transfer-script")
    assert script.get_attribute("lang") == "fr" and script.inner_text()
    # The agent's labels stay in the agent's language.
    assert console_page.evaluate("document.documentElement.lang") == "en"
    assert labels["en"]["transfer_to"] in card.inner_text()


def test_copy_number_puts_the_number_on_the_clipboard(
    page: PageFactory, token: str, labels: dict[str, Any], server_url: str
) -> None:
    console_page = console(page)
    console_page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    sign_in(console_page, token, labels)
    ask(console_page, PASSPORT)
    number = console_page.locator("#transfer-number").inner_text()
    console_page.keyboard.press("Alt+C")
    console_page.locator("#notice").filter(has_text=labels["en"]["copied"]).wait_for()
    assert console_page.evaluate("navigator.clipboard.readText()") == number
    console_page.evaluate("navigator.clipboard.writeText('')")
    console_page.get_by_role("button", name=labels["en"]["copy_script"]).click()
    assert console_page.evaluate("navigator.clipboard.readText()") == (
        console_page.locator("#transfer-script").inner_text()
    )


def _keep_body(request: Request, bodies: list[dict[str, Any]]) -> None:
    if request.url.endswith("/api/referrals") and request.post_data:
        bodies.append(json.loads(request.post_data))


def test_choices_by_keyboard_then_new_caller(
    page: PageFactory, token: str, labels: dict[str, Any]
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    requests: list[dict[str, Any]] = []
    console_page.on("request", lambda r: _keep_body(r, requests))
    console_page.locator("#location").fill("Ottawa")
    ask(console_page, AMBIGUOUS)
    choices = console_page.locator(".choices button")
    assert choices.count() >= 2 and console_page.locator(".card").count() == 0
    first = choices.first.inner_text()
    console_page.keyboard.press("Tab")
    assert console_page.evaluate("document.activeElement.textContent") == first
    console_page.keyboard.press("Enter")
    console_page.locator(".card").wait_for()
    # The choice's payload went on as the next message of the same conversation.
    assert requests[-1]["text"] != first and requests[-1]["text"].startswith("/")
    conversation = requests[-1]["conversation_id"]
    assert conversation and "conversation_id" not in requests[0]

    console_page.keyboard.press("Alt+N")
    assert console_page.locator(".card").count() == 0
    assert console_page.locator("#caller-says").input_value() == ""
    assert console_page.locator("#location").input_value() == ""
    assert console_page.locator("#elapsed").inner_text() == ""
    assert console_page.evaluate("document.activeElement.id") == "caller-says"
    ask(console_page, PASSPORT)
    assert "conversation_id" not in requests[-1]


def test_a_question_for_the_location_is_answered_in_the_location_field(
    page: PageFactory, token: str, labels: dict[str, Any], server_url: str
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    requests: list[dict[str, Any]] = []
    console_page.on("request", lambda r: _keep_body(r, requests))
    ask(console_page, "my health card expired")
    assert console_page.locator(".card").count() == 0
    assert labels["en"]["ask_location"] in console_page.locator("#result-body").inner_text()
    assert console_page.evaluate("document.activeElement.id") == "location"
    console_page.keyboard.type("Winnipeg")
    console_page.keyboard.press("Enter")
    console_page.locator(".card--referral").wait_for()
    # The caller's question goes again, with the place, in the same conversation.
    last = requests[-1]
    assert last["location"] == "Winnipeg" and last["text"] == "my health card expired"
    assert len(requests) == 2 and "conversation_id" not in requests[0]
    assert last["conversation_id"]
    expected = api(
        server_url, token, {"text": last["text"], "language": "en", "location": "Winnipeg"}
    )["card"]
    government = console_page.locator(".who__government").inner_text()
    assert government == expected["government"]


def test_an_emergency_is_a_red_alert_with_its_number(
    page: PageFactory, token: str, labels: dict[str, Any]
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    ask(console_page, "someone is having a heart attack")
    card = console_page.locator(".card--emergency")
    assert card.get_attribute("role") == "alert"
    assert console_page.locator("#result-heading").inner_text() == labels["en"]["kind_emergency"]
    assert console_page.locator("#transfer-number").inner_text() == "911"
    assert "911" in console_page.locator("#transfer-script").inner_text()


def test_errors_show_the_reason_and_401_returns_to_sign_in(
    page: PageFactory, token: str, labels: dict[str, Any]
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    console_page.route(
        "**/api/referrals",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error": "the assistant is down"}'
        ),
    )
    ask(console_page, PASSPORT)
    error = console_page.locator("#form-error")
    assert error.is_visible() and "the assistant is down" in error.inner_text()
    assert "503" in error.inner_text()
    console_page.unroute("**/api/referrals")
    console_page.route(
        "**/api/referrals",
        lambda route: route.fulfill(
            status=401, content_type="application/json", body='{"error": "x"}'
        ),
    )
    ask(console_page, PASSPORT)
    console_page.locator("#signin").wait_for(state="visible")
    assert labels["en"]["signin_rejected"] in console_page.locator("#signin-error").inner_text()
    assert token not in console_page.evaluate("Object.values(sessionStorage)")


def test_the_interface_language_switches_without_changing_the_callers(
    page: PageFactory, token: str, labels: dict[str, Any]
) -> None:
    console_page = console(page)
    sign_in(console_page, token, labels)
    console_page.locator("[data-ui-lang=fr]").click()
    assert console_page.evaluate("document.documentElement.lang") == "fr"
    assert console_page.get_by_label(labels["fr"]["caller_says"]).is_visible()
    assert console_page.locator("input[name=caller-language][value=en]").is_checked()
    assert console_page.locator("[data-ui-lang=fr]").get_attribute("aria-pressed") == "true"


def test_at_200_percent_zoom_nothing_scrolls_sideways(
    page: PageFactory, token: str, labels: dict[str, Any]
) -> None:
    console_page = console(page, width=640, height=800)
    overflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert console_page.evaluate(overflow)
    sign_in(console_page, token, labels)
    ask(console_page, PASSPORT)
    console_page.locator(".card").wait_for()
    assert console_page.evaluate(overflow)
    console_page.locator("#location").fill("Ottawa")
    ask(console_page, AMBIGUOUS)
    assert console_page.evaluate(overflow)


def test_no_serious_accessibility_violation(
    page: PageFactory, token: str, labels: dict[str, Any], axe_scan: AxeScan
) -> None:
    console_page = console(page, bypass_csp=True)
    assert axe_scan(console_page) == []
    sign_in(console_page, token, labels)
    console_page.emulate_media(reduced_motion="reduce")
    console_page.locator("#location").fill("Ottawa")
    ask(console_page, "my health card expired")
    console_page.locator(".card").wait_for()
    assert axe_scan(console_page) == []


@pytest.mark.skipif(
    os.environ.get("CARREFOUR_SCREENSHOTS") != "1", reason="CARREFOUR_SCREENSHOTS=1"
)
def test_screenshot(page: PageFactory, token: str, labels: dict[str, Any]) -> None:
    console_page = console(page, width=1200, height=800)
    console_page.emulate_media(reduced_motion="reduce")
    sign_in(console_page, token, labels)
    console_page.locator("#location").fill("Ottawa")
    ask(console_page, "my health card expired")
    console_page.locator(".card--referral").wait_for()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    console_page.screenshot(path=str(SCREENSHOT))
