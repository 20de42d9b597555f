"""Hostile and broken input on every public channel: each case has a defined answer.

The channels (REST, socket.io, agent console API, SMS) are driven with a fake
assistant that records what reaches it, so that each test can say both what the
sender got back and what the assistant saw (nothing, or the cleaned text). The
text cleaning itself (:mod:`bot.sanitize`) is property-tested with hypothesis.
"""

from __future__ import annotations

import asyncio
import json
import re
import string
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sanic_testing import TestManager
from twilio.request_validator import RequestValidator

from bot import payload as p
from bot import sms
from bot.channels.console import MAX_TEXT_CHARS, AgentConsoleInput
from bot.channels.guard import MAX_MESSAGE_CHARS
from bot.channels.rest import CarrefourRestInput
from bot.channels.sms import SMS_MAX_CHARS, TwilioSmsInput
from bot.channels.socketio import CarrefourSocketIOInput
from bot.rate_limit import Limits, RateLimiter
from bot.rendering import render
from bot.sanitize import HOMOGLYPHS, clean_text, fold_homoglyphs, strip_controls
from bot.sms_state import SmsState
from tests.conftest import LANGS

# --- the text cleaning, pure ---------------------------------------------------------

CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\n\t"] + [
    chr(c) for c in range(0x7F, 0xA0)
]


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_clean_text_never_crashes_and_is_idempotent(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in cleaned)
    assert unicodedata.normalize("NFKC", cleaned) == cleaned
    cleaned.encode("utf-8")  # no lone surrogate left: storable and loggable


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable.replace("\r", "").replace("\x0b", "").replace("\x0c", "")))
def test_plain_ascii_is_unchanged(text):
    assert clean_text(text) == text


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(string.ascii_letters + "".join(HOMOGLYPHS) + " éàçê-'"),
        max_size=60,
    )
)
def test_folded_words_never_mix_latin_and_look_alikes(text):
    for word in re.findall(r"[^\W\d_]+", fold_homoglyphs(text)):
        has_latin = any(ch in string.ascii_letters or ch in "éàçê" for ch in word)
        assert not (has_latin and any(ch in HOMOGLYPHS for ch in word)), word


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("p\u0430ssport", "passport"),  # Cyrillic а
        ("\u0440\u0430ssport", "passport"),  # Cyrillic р and а
        ("pass\u03bfrt", "passort"),  # Greek ο, in a word with Latin letters
        ("ＰＡＳＳＰＯＲＴ", "PASSPORT"),  # fullwidth
        ("ｌｏｓｔ ｍｙ ｐａｓｓｐｏｒｔ", "lost my passport"),
        ("ﬁnancial aid", "financial aid"),  # ligature
        ("C\u0430n\u0430d\u0430 Post", "Canada Post"),
        ("perdu mon p\u0430sseport", "perdu mon passeport"),
        ("r\u0435nouv\u0435l\u0435r ma cart\u0435", "renouveler ma carte"),
        ("pa\u200bss\u2060port", "passport"),  # zero-width characters
        ("\u202epassport", "passport"),  # right-to-left override
        ("lost\x00 my\x07 passport\x7f\x9b", "lost my passport"),
        ("line one\r\nline two\rthree\u2028four", "line one\nline two\nthree\nfour"),
        ("tab\there", "tab\there"),
        ("\ud800lost passport\udfff", "lost passport"),  # lone surrogates
        ("\x00\x01\x02", ""),
    ],
)
def test_clean_text_examples(typed, cleaned):
    assert clean_text(typed) == cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Я потерял паспорт",  # Russian: a word wholly in Cyrillic is kept
        "Έχασα το διαβατήριό μου",  # Greek
        "我丢了护照",
        "فقدت جواز سفري",
        "पासपोर्ट खो गया",
        "😀🇨🇦👍🏽 👨‍👩‍👧",
        "Montréal, Québec — ça va? Ünïcödé",
        "ᓄᓇᕗᑦ",  # Inuktitut syllabics
    ],
)
def test_other_languages_and_scripts_are_kept(text):
    assert clean_text(text) == unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize("control", CONTROLS)
def test_every_control_character_is_stripped(control):
    assert strip_controls(f"a{control}b") in ("ab", "a\nb")
    assert clean_text(f"a{control}b") in ("ab", "a\nb")


# --- the channels, with a fake assistant ----------------------------------------------

TOKEN = "test-auth-token"
CONSOLE_TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {CONSOLE_TOKEN}"}
PUBLIC_URL = "https://sms.example.ca/webhooks/twilio/webhook"
REST_URL = "/webhooks/rest/webhook"
SMS_PATH = "/webhooks/twilio/webhook"
BURST = 3
MARKUP = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "</Message><Redirect>https://evil.example/</Redirect><Message>",
    "<![CDATA[ ]]> &amp; &lt;b&gt; <!-- -->",
    '"><svg/onload=alert(1)>',
]
SLASHES = ["/greet", '/need{"service_kind": "firearms-licence"}', "//restart", "/session_start"]
SCRIPTS = ["😀🇨🇦", "我丢了护照", "فقدت جواز سفري", "Я потерял паспорт", "🙂 ¿dónde está?"]


class Clock:
    """A clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Channels:
    """The REST, console and SMS app, the socket.io server, and what reached the assistant."""

    app: Sanic
    socket: CarrefourSocketIOInput
    clock: Clock
    received: list[UserMessage] = field(default_factory=list)
    emitted: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    echo: bool = False

    def texts_of(self, sender: str) -> list[str]:
        """What the assistant received from ``sender``, in order."""
        return [m.text or "" for m in self.received if m.sender_id == sender]


@pytest.fixture
def channels(kb, tmp_path, monkeypatch) -> Channels:
    """All four channels, each with its own rate limiter of burst 3 on a hand-moved clock."""
    monkeypatch.delenv("SMS_STATE_KEY", raising=False)
    clock = Clock()

    def limiter() -> RateLimiter:
        return RateLimiter(Limits(per_minute=30, burst=BURST), clock=clock)

    app = Sanic(f"hostile_{len(Sanic._app_registry)}")
    TestManager(app)
    socket = CarrefourSocketIOInput.from_credentials({"session_persistence": True})
    socket.rate_limiter, socket.knowledge = limiter(), kb
    box = Channels(app, socket, clock)

    async def assistant(message: UserMessage) -> None:
        """Refers to the passport office in the message's language, or echoes (worst case)."""
        box.received.append(message)
        lang = (message.metadata or {}).get("language", "en")
        custom = p.referral([kb.services["ca.passport"]], lang)
        text = f"You said: {message.text}" if box.echo else "Passport office."
        await message.output_channel.send_response(
            message.sender_id, {"text": text, "custom": custom}
        )

    rest = CarrefourRestInput()
    rest.rate_limiter = limiter()
    app.blueprint(rest.blueprint(assistant), url_prefix="/webhooks/rest")
    console = AgentConsoleInput(CONSOLE_TOKEN, rate_limiter=limiter())
    app.blueprint(console.blueprint(assistant), url_prefix="/api")
    twilio = TwilioSmsInput(
        TOKEN, PUBLIC_URL, state=SmsState(tmp_path / "sms.db"), kb=kb, rate_limiter=limiter()
    )
    app.blueprint(twilio.blueprint(assistant), url_prefix="/webhooks/twilio")
    socket.blueprint(assistant)
    assert socket.sio is not None

    async def emit(event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        box.emitted.append((event, data, room or ""))

    monkeypatch.setattr(socket.sio, "emit", emit)
    return box


# REST


def rest(box: Channels, body: Any, content_type: str = "application/json") -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    _, response = box.app.test_client.post(
        REST_URL, content=data, headers={"Content-Type": content_type}
    )
    return response


def rest_says(box: Channels, sender: str, text: str, lang: str = "en") -> Any:
    return rest(box, {"sender": sender, "message": text, "metadata": {"language": lang}})


def assert_refused(response: Any, status: int, reason: str) -> None:
    assert response.status == status, response.text
    assert reason in response.json["error"]
    assert response.headers["cache-control"] == "no-store"
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("message", "status", "reason"),
    [
        ("", 400, "empty"),
        ("   \n\t ", 400, "empty"),
        ("\x00\x00\x00", 400, "empty"),
        ("\u200b\u202e\x7f", 400, "empty"),
        ("x" * (MAX_MESSAGE_CHARS + 1), 413, "longer than"),
        ("x" * 100_000, 413, "too large"),
        ("😀" * 30_000, 413, "too large"),
    ],
)
def test_rest_refuses_empty_and_huge_messages(channels, message, status, reason):
    assert_refused(rest_says(channels, "hostile", message), status, reason)
    assert not channels.received


@pytest.mark.parametrize(
    ("data", "content_type", "status", "reason"),
    [
        (b'{"sender": "a", "message": "caf\xe9 \xff"}', "application/json", 400, "UTF-8"),
        (b"\xc3\x28\xa0\xa1", "application/json", 400, "UTF-8"),
        (b'{"sender": "a", "message": ', "application/json", 400, "not valid JSON"),
        (b"{'sender': 'a'}", "application/json", 400, "not valid JSON"),
        (b'["sender", "message"]', "application/json", 400, "JSON object"),
        (b"null", "application/json", 400, "JSON object"),
        (b'{"sender": "a", "message": 42}', "application/json", 400, "must be a string"),
        (b'{"sender": "", "message": "hi"}', "application/json", 400, "'sender'"),
        (b'{"sender": "a", "message": "hi", "metadata": []}', "application/json", 400, "metadata"),
        (b"sender=a&message=hi", "application/x-www-form-urlencoded", 415, "application/json"),
        (b"hello", "text/plain", 415, "application/json"),
        (b'{"sender": "a", "message": "hi"}', "", 415, "application/json"),
    ],
)
def test_rest_refuses_malformed_bodies_with_a_reason(channels, data, content_type, status, reason):
    assert_refused(rest(channels, data, content_type), status, reason)
    assert not channels.received


def test_rest_strips_control_characters_and_surrogates(channels):
    body = b'{"sender": "a", "message": "lost\\u0000 my\\u0007 passport\\ud800\\u009b"}'
    response = rest(channels, body)
    assert response.status == 200
    assert channels.texts_of("a") == ["lost my passport"]


@pytest.mark.parametrize("text", SCRIPTS)
def test_rest_handles_other_scripts_and_emoji(channels, text):
    response = rest_says(channels, "world", text)
    assert response.status == 200 and response.json[0]["text"]
    assert channels.texts_of("world") == [text]


@pytest.mark.parametrize("lang", LANGS)
def test_rest_homoglyphs_reach_the_assistant_as_latin(channels, lang):
    word = "p\u0430ssport" if lang == "en" else "p\u0430ss\u0435port"
    rest_says(channels, "glyphs", f"ｌｏｓｔ {word}", lang)
    assert channels.texts_of("glyphs") == [f"lost {clean_text(word)}"]
    assert channels.texts_of("glyphs")[0].isascii()


def test_rest_rate_limit_is_a_429_with_retry_after(channels):
    for n in range(BURST):
        assert rest_says(channels, "flooder", f"message {n}").status == 200
    refused = rest_says(channels, "flooder", "one more")
    assert_refused(refused, 429, "too many messages")
    assert int(refused.headers["retry-after"]) >= 1
    assert len(channels.texts_of("flooder")) == BURST
    # Another sender is not limited; the flooder may send again once a token is back.
    assert rest_says(channels, "citizen", "I lost my passport").status == 200
    channels.clock.now += int(refused.headers["retry-after"])
    assert rest_says(channels, "flooder", "later").status == 200


# socket.io


def socket_send(box: Channels, data: Any, sid: str = "sid-1") -> list[dict[str, Any]]:
    """Send one ``user_uttered`` event; the ``bot_uttered`` messages it caused."""
    assert box.socket.sio is not None
    handler = box.socket.sio.handlers["/"]["user_uttered"]
    before = len(box.emitted)
    asyncio.run(handler(sid, data))
    return [data for event, data, _ in box.emitted[before:] if event == "bot_uttered"]


def event(text: Any, lang: str = "en", session: str = "session-1") -> dict[str, Any]:
    return {"message": text, "session_id": session, "customData": {"language": lang}}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("text", ["", "    ", "\n\t", "\x00\x1b\x7f", "\u200b\u2060"])
def test_socketio_answers_an_empty_message_in_the_citizens_language(channels, kb, lang, text):
    replies = socket_send(channels, event(text, lang))
    assert replies == [{"text": render(kb, "input_empty", lang, {})}]
    assert not channels.received


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", [MAX_MESSAGE_CHARS + 1, 100_000])
def test_socketio_answers_a_huge_message_with_the_limit(channels, kb, lang, size):
    replies = socket_send(channels, event("a" * size, lang))
    expected = render(kb, "input_too_long", lang, {"limit": str(MAX_MESSAGE_CHARS)})
    assert replies == [{"text": expected}] and str(MAX_MESSAGE_CHARS) in expected
    assert not channels.received


def test_socketio_without_language_metadata_answers_in_the_language_written(channels, kb):
    data = {"message": "bonjour, je veux " + "vraiment " * 700, "session_id": "s-fr"}
    expected = render(kb, "input_too_long", "fr", {"limit": str(MAX_MESSAGE_CHARS)})
    assert socket_send(channels, data) == [{"text": expected}]


@pytest.mark.parametrize(
    "data",
    [
        "just a string",
        None,
        ["message", "hi"],
        {"message": 42, "session_id": "s"},
        {"message": "hi"},  # no session id, with session persistence on
        {"message": "hi", "session_id": ["a"]},
        {"message": "hi", "session_id": "s" * 200},
        {"message": "hi", "session_id": "s", "customData": "{oops"},
        {"message": "hi", "session_id": "s", "customData": [1]},
    ],
)
def test_socketio_drops_malformed_events_and_keeps_serving(channels, data):
    assert socket_send(channels, data) == []
    assert not channels.received
    replies = socket_send(channels, event("I lost my passport"))
    assert replies and channels.texts_of("session-1") == ["I lost my passport"]


def test_socketio_event_without_any_data_is_dropped(channels):
    assert channels.socket.sio is not None
    asyncio.run(channels.socket.sio.handlers["/"]["user_uttered"]("sid-1"))
    assert channels.emitted == [] and not channels.received


@pytest.mark.parametrize("lang", LANGS)
def test_socketio_rate_limit_answers_in_the_citizens_language(channels, kb, lang):
    for n in range(BURST):
        assert socket_send(channels, event(f"message {n}", lang, "flood"))[0]["text"]
    replies = socket_send(channels, event("one more", lang, "flood"))
    assert replies == [{"text": render(kb, "rate_limited", lang, {"seconds": "2"})}]
    for n in range(5):  # told once: the rest of the flood gets no reply
        assert socket_send(channels, event(f"spam {n}", lang, "flood")) == []
    assert len(channels.texts_of("flood")) == BURST
    channels.clock.now += 2  # slowing down is enough to be answered again
    assert socket_send(channels, event("I lost my passport", lang, "flood"))[0]["custom"]
    assert socket_send(channels, event("I lost my passport", lang, "other"))[0]["custom"]


def test_socketio_cleans_text_and_neutralizes_slash_commands(channels):
    socket_send(channels, event("p\u0430ss\x00port"))
    socket_send(channels, event('/need{"service_kind": "firearms-licence"}'))
    assert channels.texts_of("session-1") == [
        "passport",
        'need{"service_kind": "firearms-licence"}',
    ]


# agent console


def console(box: Channels, body: Any, content_type: str = "application/json", **headers: str):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    _, response = box.app.test_client.post(
        "/api/referrals", content=data, headers={**AUTH, "Content-Type": content_type, **headers}
    )
    return response


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        ({"text": "", "language": "en"}, None, 400, "'text'"),
        ({"text": " \t\n", "language": "fr"}, None, 400, "'text'"),
        ({"text": "\x00\x01\u200b", "language": "en"}, None, 400, "'text'"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1), "language": "en"}, None, 413, "longer than"),
        ({"text": "x" * 100_000, "language": "en"}, None, 413, "too large"),
        (b'{"text": "\xff\xfe", "language": "en"}', None, 400, "UTF-8"),
        (b'{"text": ', None, 400, "not valid JSON"),
        (b"[1, 2]", None, 400, "JSON object"),
        (b"text=hi&language=en", "application/x-www-form-urlencoded", 415, "application/json"),
        (b"hi", "text/html", 415, "application/json"),
        ({"text": "hi", "language": "en", "location": 7}, None, 400, "'location'"),
        (
            {"text": "hi", "language": "en", "conversation_id": "<b>x</b>"},
            None,
            400,
            "conversation",
        ),
    ],
)
def test_console_refuses_bad_requests_with_a_reason(channels, body, content_type, status, reason):
    assert_refused(console(channels, body, content_type or "application/json"), status, reason)
    assert not channels.received


def test_console_without_a_token_is_refused_before_reading_the_body(channels):
    _, response = channels.app.test_client.post(
        "/api/referrals", content=b"\xff" * 100_000, headers={"Content-Type": "application/json"}
    )
    assert_refused(response, 401, "token")


@pytest.mark.parametrize("lang", LANGS)
def test_console_cleans_text_and_location(channels, lang):
    body = {"text": "p\u0430ssp\x00ort", "language": lang, "location": "Ｏｔｔａｗａ\x07"}
    response = console(channels, body)
    assert response.status == 200 and response.json["card"]["service_id"] == "ca.passport"
    assert channels.received[-1].text == "passport"
    assert channels.received[-1].metadata == {"language": lang, "location": "Ottawa"}


def test_console_rate_limit_is_per_caller(channels):
    first = console(channels, {"text": "passport", "language": "en"}).json["conversation_id"]
    for _ in range(BURST - 1):
        body = {"text": "documents", "language": "en", "conversation_id": first}
        assert console(channels, body).status == 200
    refused = console(channels, {"text": "more", "language": "en", "conversation_id": first})
    assert_refused(refused, 429, "too many messages")
    assert int(refused.headers["retry-after"]) >= 1
    # The next caller (a new conversation) is not held up by the previous one.
    assert console(channels, {"text": "passport", "language": "fr"}).status == 200


# SMS


def sms_post(box: Channels, params: dict[str, str], signature: str | None = "sign", **kw: Any):
    content_type = kw.get("content_type", "application/x-www-form-urlencoded")
    data = kw.get("data", urlencode(params))
    headers = {"Content-Type": content_type}
    if signature == "sign":
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    _, response = box.app.test_client.post(SMS_PATH, content=data, headers=headers)
    return response


def texts(response: Any) -> list[str]:
    assert response.status == 200, response.text
    root = ET.fromstring(response.text)
    assert root.tag == "Response" and all(child.tag == "Message" for child in root)
    return [message.text or "" for message in root]


def text_sms(box: Channels, body: str, number: str = "+15555550100") -> list[str]:
    return texts(sms_post(box, {"From": number, "To": "+16135550000", "Body": body}))


def said(kb, key: str, lang: str) -> list[str]:
    return sms.split_for_sms(sms.sms_safe(render(kb, key, lang, {})))


def french_number(box: Channels, kb, number: str) -> None:
    assert text_sms(box, "FR", number) == said(kb, "sms_language", "fr")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("body", ["", "   ", "\x00\x01", "\u200b"])
def test_sms_empty_body_gets_help_in_the_numbers_language(channels, kb, lang, body):
    number = f"+1555555{len(body)}{LANGS.index(lang)}01"
    if lang == "fr":
        french_number(channels, kb, number)
    assert text_sms(channels, body, number) == said(kb, "sms_help", lang)
    assert not channels.received


@pytest.mark.parametrize("lang", LANGS)
def test_sms_too_long_body_gets_a_short_answer(channels, kb, lang):
    number = f"+155555502{LANGS.index(lang)}0"
    if lang == "fr":
        french_number(channels, kb, number)
    parts = text_sms(channels, "please help me with my passport " * 60, number)
    assert parts == said(kb, "sms_too_long", lang)
    assert all(sms.segments(part) <= sms.MAX_SEGMENTS for part in parts)
    assert not channels.received


def test_sms_at_the_limit_is_answered_normally(channels):
    assert text_sms(channels, "a" * SMS_MAX_CHARS) == ["Passport office."]


@pytest.mark.parametrize(
    ("params", "kw", "signature", "status", "reason"),
    [
        ({"From": "+1", "Body": "x" * 20_000}, {}, "sign", 413, "too large"),
        ({"From": "+1", "Body": "hi"}, {"content_type": "application/json"}, "sign", 415, "form"),
        ({"From": "+1", "Body": "hi"}, {"content_type": "text/plain"}, "sign", 415, "form"),
        ({"From": "+1", "Body": "hi"}, {}, None, 403, "Signature"),
        ({"From": "+1", "Body": "hi"}, {}, "forged", 403, "Signature"),
        ({"From": "+1", "Body": "hi"}, {"data": "From=%2B1&Body=other"}, "sign", 403, "Signature"),
        ({"From": "+1"}, {}, "sign", 400, "'Body'"),
        ({}, {"data": "%%%&&&=="}, "sign", 403, "Signature"),
    ],
)
def test_sms_refusals_say_why(channels, params, kw, signature, status, reason):
    assert_refused(sms_post(channels, params, signature, **kw), status, reason)
    assert not channels.received


def test_sms_invalid_utf8_in_the_form_is_a_bad_request(channels):
    params = {"From": "+15555550123", "To": "+16135550000", "Body": "lost passport"}
    response = sms_post(channels, params, data=urlencode(params).encode() + b"\xff\xfe")
    assert_refused(response, 400, "UTF-8")
    assert not channels.received


def test_sms_cleans_text_and_recognizes_fullwidth_keywords(channels, kb):
    assert text_sms(channels, "lost\x00 my p\u0430ssport\x1b") == ["Passport office."]
    assert channels.received[-1].text == "lost my passport"
    assert text_sms(channels, "ＨＥＬＰ") == said(kb, "sms_help", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_an_sms_flood_gets_one_answer_then_silence(channels, kb, lang):
    number = f"+155555503{LANGS.index(lang)}0"
    if lang == "fr":
        french_number(channels, kb, number)  # that counts as one message
    allowed = BURST - (lang == "fr")
    for n in range(allowed):
        assert text_sms(channels, f"question {n}", number) == ["Passport office."]
    assert text_sms(channels, "one more", number) == said(kb, "sms_rate_limited", lang)
    for n in range(10):  # later texts within the minute cost nothing: empty TwiML
        assert text_sms(channels, f"spam {n}", number) == []
        assert text_sms(channels, "HELP", number) == []
    assert len(channels.received) == allowed
    # STOP is honoured even while limited; another number is not limited.
    assert text_sms(channels, "STOP", number) == []
    channels.clock.now += 120
    assert text_sms(channels, "lost passport", number) == []  # stopped, not limited
    assert text_sms(channels, "lost passport", "+15555550999") == ["Passport office."]


# --- every channel: markup, slash commands, other scripts --------------------------------


def send_everywhere(box: Channels, text: str, n: int) -> dict[str, Any]:
    """Send ``text`` on every channel from fresh senders; each channel's raw answer."""
    return {
        "rest": rest_says(box, f"rest-{n}", text),
        "socketio": socket_send(box, event(text, "en", f"sock-{n}")),
        "console": console(box, {"text": text, "language": "en"}),
        "sms": sms_post(box, {"From": f"+1555556{n:04d}", "To": "+16135550000", "Body": text}),
    }


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_comes_back_only_as_inert_text(channels, markup):
    channels.echo = True  # the worst case: an assistant that repeats what it was sent
    answers = send_everywhere(channels, markup, MARKUP.index(markup))
    echoed = f"You said: {markup}"
    assert answers["rest"].headers["content-type"] == "application/json"
    assert answers["rest"].json[0]["text"] == echoed
    assert answers["socketio"][0]["text"] == echoed  # the widget writes it with textContent
    assert answers["console"].headers["content-type"] == "application/json"
    assert answers["console"].json["messages"][0]["text"] == echoed
    # TwiML: the text is escaped, so it never becomes a TwiML verb such as <Redirect>.
    assert texts(answers["sms"]) == sms.split_for_sms(sms.sms_safe(echoed))
    assert [m.text for m in channels.received] == [markup] * 4


@pytest.mark.parametrize("command", SLASHES)
def test_slash_commands_are_text_on_every_channel(channels, command):
    send_everywhere(channels, command, SLASHES.index(command))
    expected = command.lstrip("/").strip()
    assert [m.text for m in channels.received] == [expected] * 4
    assert all(not m.text.startswith("/") for m in channels.received)


@pytest.mark.parametrize("text", SCRIPTS)
def test_other_scripts_get_a_normal_answer_on_every_channel(channels, text):
    answers = send_everywhere(channels, text, SCRIPTS.index(text))
    assert answers["rest"].status == 200 and answers["rest"].json
    assert answers["socketio"] and answers["socketio"][0]["text"]
    assert answers["console"].status == 200 and answers["console"].json["card"]
    assert texts(answers["sms"]) == ["Passport office."]
    assert [m.text for m in channels.received] == [clean_text(text)] * 4


# --- an innocent conversation among the hostile ones ---------------------------------------


FLOOD = 5  # messages each flooder sends per turn of the citizen
SECONDS_PER_TURN = 2.0
HOSTILE: list[Callable[[Channels, int], Any]] = [
    lambda box, n: rest(box, b'{"sender": "x", "message": "\xff"}'),
    lambda box, n: rest_says(box, f"h{n}", "\x00" * 50),
    lambda box, n: rest_says(box, f"h{n}", "x" * 100_000),
    lambda box, n: [rest_says(box, "flooder", "spam") for _ in range(FLOOD)],
    lambda box, n: socket_send(box, event("", "fr", f"hs{n}")),
    lambda box, n: [socket_send(box, event("spam", "en", "sock-flooder")) for _ in range(FLOOD)],
    lambda box, n: socket_send(box, "garbage"),
    lambda box, n: console(
        box, {"text": "/restart", "language": "en", "conversation_id": "abcdefgh12"}
    ),
    lambda box, n: [sms_post(box, {"From": "+15550001111", "Body": "spam"}) for _ in range(FLOOD)],
    lambda box, n: sms_post(box, {"From": "+15550001111", "Body": "hi"}, signature="forged"),
    lambda box, n: rest_says(box, f"h{n}", "<script>alert(1)</script>"),
]


def test_an_innocent_conversation_is_unaffected_by_hostile_traffic(channels):
    said_by_citizen = ["I lost my passport", "what documents do I need", "Ottawa", "thanks"]
    sms_turns = ["passeport perdu", "Gatineau"]
    for turn, text in enumerate(said_by_citizen):
        channels.clock.now += SECONDS_PER_TURN  # the citizen types; the flooders don't wait
        for n, hostile in enumerate(HOSTILE):
            hostile(channels, turn * 100 + n)
        reply = rest_says(channels, "citizen", text)
        assert reply.status == 200 and reply.json[0]["custom"]["type"] == "referral"
        if turn < len(sms_turns):
            assert text_sms(channels, sms_turns[turn], "+15555551234") == ["Passport office."]
    assert channels.texts_of("citizen") == said_by_citizen
    sms_citizen = {m.sender_id for m in channels.received if m.text in sms_turns}
    assert len(sms_citizen) == 1 and channels.texts_of(sms_citizen.pop()) == sms_turns
    # The flooders got no more than their burst and the sustained rate (30 a minute).
    most = BURST + len(said_by_citizen) * SECONDS_PER_TURN * 30 / 60
    sent = FLOOD * len(said_by_citizen)
    assert len(channels.texts_of("flooder")) <= most < sent
    assert len(channels.texts_of("sock-flooder")) <= most < sent
