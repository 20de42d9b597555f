"""SMS against the running assistant: signed like Twilio, answered in TwiML, within three segments.

The same requests as a Twilio number's webhook (``scripts/sms_simulator.py`` signs
them with Twilio's validator). With ``CARREFOUR_SCREENSHOTS=1`` the exchange is
also drawn as a phone's conversation for the README (``docs/img/sms.png``).
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from playwright.sync_api import Browser

from bot import sms
from scripts.sms_simulator import send
from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

PHONE = re.compile(r"\b1-\d{3}-\d{3}-\d{4}\b")


@pytest.fixture(scope="module")
def webhook(server_url: str) -> tuple[str, str]:
    """The webhook's URL and the auth token the server was started with."""
    token = os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        pytest.fail("TWILIO_AUTH_TOKEN must be the token the server runs with (make test-web)")
    return server_url + "/webhooks/twilio/webhook", token


def _number() -> str:
    """A fresh number per test: each is its own conversation and its own STOP state."""
    return "+1555" + str(uuid.uuid4().int)[:7]


def _text(webhook: tuple[str, str], number: str, body: str) -> list[str]:
    parts = send(webhook[0], webhook[1], number, body)
    assert parts is not None, f"the webhook refused {body!r}"
    for part in parts:
        assert sms.segments(part) <= sms.MAX_SEGMENTS
    return parts


def test_english_referral_by_sms(webhook):
    parts = _text(webhook, _number(), "I lost my passport")
    reply = "\n".join(parts)
    assert "Passport" in reply and PHONE.search(reply)
    # Links and numbers arrive whole, never cut between two messages.
    for part in parts:
        for url in re.findall(r"https?://\S+", part):
            assert url.rstrip(".,)") in reply


def test_french_referral_is_split_in_ucs2_segments(webhook):
    parts = _text(webhook, _number(), "je dois renouveler mon passeport")
    reply = "\n".join(parts)
    assert "passeport" in reply.lower() and PHONE.search(reply)
    assert any(not sms.is_gsm7(part) for part in parts)


def test_numbered_choice_maps_back_to_the_offer(webhook):
    number = _number()
    offer = "\n".join(_text(webhook, number, "certificate"))
    listed = re.findall(r"^(\d)\. (.+)$", offer, flags=re.M)
    assert len(listed) >= 2
    first_title = listed[0][1]
    follow = "\n".join(_text(webhook, number, "1"))
    assert first_title.split()[0].lower() in follow.lower()


def test_keywords_stop_start_and_help(webhook):
    number = _number()
    assert "1-800-622-6232" in "".join(_text(webhook, number, "AIDE"))
    assert _text(webhook, number, "STOP") == []
    assert _text(webhook, number, "I lost my passport") == []
    assert _text(webhook, number, "START")
    assert _text(webhook, number, "I lost my passport")


def test_forged_signature_is_refused(webhook):
    assert send(webhook[0], "not-the-token", _number(), "hello") is None


@pytest.mark.skipif(os.environ.get("CARREFOUR_SCREENSHOTS") != "1", reason="screenshots only")
def test_screenshot_of_an_sms_exchange(browser: Browser, webhook):
    number = _number()
    turns = [(body, _text(webhook, number, body)) for body in ("certificate", "1", "Ottawa")]
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.set_content(
        "<!doctype html><html lang='en'><style>"
        "body{font:15px/1.35 system-ui,sans-serif;background:#eef1f4;margin:0;padding:16px}"
        "p{white-space:pre-wrap;margin:6px 0;padding:8px 12px;border-radius:14px;"
        "max-width:85%;width:fit-content}"
        ".in{background:#0b5cad;color:#fff;margin-left:auto}.out{background:#fff;color:#111}"
        "h1{font-size:15px;text-align:center;color:#444}</style><h1>Carrefour · SMS</h1>"
        "<main id='log'></main></html>"
    )
    # Built with textContent: the replies are shown as they arrive, never as markup.
    page.evaluate(
        """turns => { const log = document.getElementById('log');
        for (const [body, parts] of turns) {
          const mine = document.createElement('p'); mine.className = 'in';
          mine.textContent = body; log.appendChild(mine);
          for (const part of parts) { const reply = document.createElement('p');
            reply.className = 'out'; reply.textContent = part; log.appendChild(reply); } } }""",
        turns,
    )
    page.screenshot(path=str(ROOT / "docs" / "img" / "sms.png"), full_page=True)
    page.close()
