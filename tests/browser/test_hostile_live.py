"""Hostile and broken input against the running assistant, on every public channel.

REST, socket.io (python-socketio's client, as the widget talks), the agent console
API and SMS (signed like Twilio) each get the hostile cases; a citizen's ordinary
conversation runs in parallel and must still get its referral, with every one of
its messages in the stored tracker. The flood tests read the rate limits from the
same ``CARREFOUR_RATE_*`` variables as the server (``make test-web`` passes both the
same environment), so they send just over one burst.

Needs ``CARREFOUR_CONSOLE_TOKEN``, ``TWILIO_AUTH_TOKEN`` and the HTTP API token
(``RASA_TOKEN``, or the ``token`` file of ``$CARREFOUR_RUN_DIR``, default ``.run``).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import socketio
from twilio.request_validator import RequestValidator

from bot import sms
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.language import detect
from bot.rate_limit import Limits
from bot.rendering import render
from bot.sms_state import number_hash, sender_id, state_key
from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

LANGS = ["en", "fr"]
MAX_MESSAGE_CHARS = 5000  # bot.channels.guard: the REST and socket.io limit
MAX_CONSOLE_CHARS = 1000
HUGE = "x" * 100_000
MARKUP = [
    "<script>window.pwned=1</script>",
    '<img src=x onerror="alert(1)">',
    "</Message><Redirect>https://evil.example/</Redirect><Message>",
]
SCRIPTS = ["😀🇨🇦👍🏽", "我丢了护照", "فقدت جواز سفري", "Я потерял паспорт", "Ελληνικά γράμματα"]
SLASHES = ['/need{"service_kind": "firearms-licence"}', "/restart", "//greet"]
HOMOGLYPHS = ["I lost my p\u0430ssport", "ｌｏｓｔ ｐａｓｓｐｏｒｔ", "lost my pass\u200bport\x00"]


@dataclass(frozen=True)
class Live:
    """The running assistant and the secrets the tests need to talk to it."""

    url: str
    console_token: str
    twilio_token: str
    api_token: str

    @property
    def sms_url(self) -> str:
        return self.url + "/webhooks/twilio/webhook"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def live(server_url: str) -> Live:
    """The server and its tokens; fails when one is missing (the run would be hollow)."""
    console_token = os.environ.get("CARREFOUR_CONSOLE_TOKEN", "")
    twilio_token = os.environ.get("TWILIO_AUTH_TOKEN", "")
    api_token = os.environ.get("RASA_TOKEN", "")
    token_file = ROOT / os.environ.get("CARREFOUR_RUN_DIR", ".run") / "token"
    if not api_token and token_file.exists():
        api_token = token_file.read_text().strip()
    missing = [
        name
        for name, value in (
            ("CARREFOUR_CONSOLE_TOKEN", console_token),
            ("TWILIO_AUTH_TOKEN", twilio_token),
            ("RASA_TOKEN or $CARREFOUR_RUN_DIR/token", api_token),
        )
        if not value
    ]
    if missing:
        pytest.fail(f"set {', '.join(missing)} to the values the server runs with")
    return Live(server_url, console_token, twilio_token, api_token)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def limits() -> Limits:
    """The server's limits: the same variables, read the same way."""
    return Limits.from_env()


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def fresh_number() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


# --- HTTP helpers -----------------------------------------------------------------------


def post(url: str, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> Reply:
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - a test
            return Reply(
                answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
            )
    except urllib.error.HTTPError as refused:
        return Reply(
            refused.code, {k.lower(): v for k, v in refused.headers.items()}, refused.read()
        )


def rest(live: Live, sender: str, text: str, lang: str | None = None) -> Reply:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if lang:
        body["metadata"] = {"language": lang}
    return post(live.url + "/webhooks/rest/webhook", json.dumps(body).encode(), "application/json")


def console(live: Live, body: Any, content_type: str = "application/json") -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    auth = {"Authorization": f"Bearer {live.console_token}"}
    return post(live.url + "/api/referrals", data, content_type, auth)


def sms_post(
    live: Live,
    number: str,
    body: str,
    token: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> Reply:
    """One SMS as Twilio posts it, signed with ``token`` (default: the server's)."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "From": number,
        "To": "+16135550000",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(token or live.twilio_token).compute_signature(live.sms_url, params)
    headers = {"X-Twilio-Signature": signature}
    return post(live.sms_url, urlencode(params).encode(), content_type, headers)


def sms_texts(reply: Reply) -> list[str]:
    """The texts of a TwiML answer: only <Message> elements, each plain text."""
    assert reply.status == 200, reply.body[:300]
    root = ET.fromstring(reply.body)
    assert root.tag == "Response"
    for message in root:
        assert message.tag == "Message" and len(message) == 0  # no nested TwiML verb
    return [message.text or "" for message in root]


def tracker_user_texts(live: Live, conversation: str) -> list[str]:
    url = f"{live.url}/conversations/{conversation}/tracker?token={live.api_token}"
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - a test
        events = json.load(answer)["events"]
    return [str(e.get("text") or "") for e in events if e.get("event") == "user"]


def sms_conversation(live: Live, number: str) -> str:
    return sender_id(number_hash(number, state_key(live.twilio_token)))


def assert_refused(reply: Reply, status: int) -> None:
    assert reply.status == status, reply.body[:300]
    assert reply.json()["error"] and b"Traceback" not in reply.body


def reply_language(messages: list[dict[str, Any]]) -> str | None:
    """What the assistant answered in: its payload says so, else its words."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("language") in LANGS:
            return str(custom["language"])
    return detect(" ".join(str(m.get("text") or "") for m in messages))[0]


def pattern(kb: KnowledgeBase, key: str, lang: str, placeholder: str) -> re.Pattern[str]:
    """A message of the knowledge base with one numeric placeholder, as a regex."""
    text = re.escape(render(kb, key, lang, {placeholder: "\x00"}))
    return re.compile(text.replace("\x00", r"\d+"))


# --- socket.io ----------------------------------------------------------------------------


class Widget:
    """A socket.io session as the widget opens one (polling transport, session persistence)."""

    def __init__(self, url: str, session: str) -> None:
        self.session = session
        self.messages: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        self._confirmed = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self._receive)
        self.client.on("session_confirm", lambda _: self._confirmed.set())
        self.client.connect(url, socketio_path="/socket.io", transports=["polling"])
        self.client.emit("session_request", {"session_id": session})
        assert self._confirmed.wait(15), "no session_confirm"

    def _receive(self, data: Any) -> None:
        with self._arrived:
            self.messages.append(data)
            self._arrived.notify_all()

    def emit(self, data: Any) -> None:
        self.client.emit("user_uttered", data)

    def say(self, text: str, lang: str = "en") -> None:
        self.emit({"message": text, "session_id": self.session, "customData": {"language": lang}})

    def wait(self, count: int, timeout: float = 30.0, quiet: float = 0.8) -> list[dict[str, Any]]:
        """All messages once at least ``count`` arrived and none more for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count and time.monotonic() < deadline:
                self._arrived.wait(deadline - time.monotonic())
            seen = -1
            while seen != len(self.messages):
                seen = len(self.messages)
                self._arrived.wait(quiet)
            return list(self.messages)

    def ask(self, text: str, lang: str = "en") -> list[dict[str, Any]]:
        """Say ``text`` and return the messages of the answer."""
        before = len(self.messages)
        self.say(text, lang)
        return self.wait(before + 1)[before:]

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def widget(live: Live) -> Iterator[Widget]:
    opened = Widget(live.url, fresh("hostile-sock"))
    yield opened
    opened.close()


# --- REST -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"sender": "h", "message": ""}', "application/json", 400),
        (b'{"sender": "h", "message": "  \\n\\t "}', "application/json", 400),
        (b'{"sender": "h", "message": "\\u0000\\u0001\\u200b"}', "application/json", 400),
        (json.dumps({"sender": "h", "message": HUGE}).encode(), "application/json", 413),
        (json.dumps({"sender": "h", "message": "y" * 5001}).encode(), "application/json", 413),
        (b'{"sender": "h", "message": "caf\xe9 \xff"}', "application/json", 400),
        (b'{"sender": "h", "message": ', "application/json", 400),
        (b'["sender", "message"]', "application/json", 400),
        (b"sender=h&message=hi", "application/x-www-form-urlencoded", 415),
        (b"hi", "text/plain", 415),
    ],
)
def test_rest_refuses_bad_input_with_a_reason(live, data, content_type, status):
    assert_refused(post(live.url + "/webhooks/rest/webhook", data, content_type), status)


@pytest.mark.parametrize("text", SCRIPTS)
def test_rest_answers_other_scripts_in_english_or_french(live, text):
    reply = rest(live, fresh("hostile-script"), text)
    assert reply.status == 200
    messages = reply.json()
    assert messages and all(isinstance(m.get("text", ""), str) for m in messages)
    assert reply_language(messages) in LANGS


@pytest.mark.parametrize("text", HOMOGLYPHS)
def test_rest_sees_through_homoglyphs(live, text):
    sender = fresh("hostile-glyph")
    messages = rest(live, sender, text, "en").json()
    kinds = [
        r.get("kind")
        for m in messages
        if isinstance(m.get("custom"), dict)
        for r in m["custom"].get("referrals") or []
    ]
    assert kinds and all("passport" in str(kind) for kind in kinds)
    assert all(t.isascii() for t in tracker_user_texts(live, sender))


# --- socket.io ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_socketio_answers_empty_and_huge_messages_in_the_citizens_language(live, kb, widget, lang):
    for empty in ("", "   ", "\x00\x01\u200b"):
        assert widget.ask(empty, lang) == [{"text": render(kb, "input_empty", lang, {})}]
    limit = {"limit": str(MAX_MESSAGE_CHARS)}
    assert widget.ask(HUGE, lang) == [{"text": render(kb, "input_too_long", lang, limit)}]
    # The session still works, and none of those reached the conversation.
    assert widget.ask("I lost my passport", lang)
    assert tracker_user_texts(live, widget.session) == ["I lost my passport"]


def test_socketio_drops_malformed_events_and_keeps_the_session(live, widget):
    for data in ("string", None, [1, 2], {"message": 5, "session_id": widget.session}):
        widget.emit(data)
    widget.emit({"message": "hi", "session_id": widget.session, "customData": "{oops"})
    assert widget.wait(0, quiet=1.5) == []
    assert widget.ask("I lost my passport")
    assert tracker_user_texts(live, widget.session) == ["I lost my passport"]


def test_socketio_markup_slashes_and_scripts(live, widget):
    sent = [*MARKUP, *SLASHES, *SCRIPTS, *HOMOGLYPHS[:1]]
    for text in sent:
        answer = widget.ask(text)
        assert answer and all(isinstance(m.get("text", ""), str) for m in answer)
        assert not any("<script" in str(m.get("text", "")) for m in answer)
    stored = tracker_user_texts(live, widget.session)
    assert len(stored) == len(sent)
    assert not any(text.startswith("/") for text in stored)
    assert "I lost my passport" in stored


# --- agent console --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"text": "", "language": "en"}, "application/json", 400),
        ({"text": "\x00\u200b \t", "language": "fr"}, "application/json", 400),
        ({"text": "x" * (MAX_CONSOLE_CHARS + 1), "language": "en"}, "application/json", 413),
        ({"text": HUGE, "language": "en"}, "application/json", 413),
        (b'{"text": "\xff", "language": "en"}', "application/json", 400),
        (b"{", "application/json", 400),
        (b"text=hi", "application/x-www-form-urlencoded", 415),
    ],
)
def test_console_refuses_bad_input_with_a_reason(live, body, content_type, status):
    assert_refused(console(live, body, content_type), status)


def test_console_without_the_token_is_refused(live):
    body = json.dumps({"text": "passport", "language": "en"}).encode()
    assert_refused(post(live.url + "/api/referrals", body, "application/json"), 401)


@pytest.mark.parametrize("lang", LANGS)
def test_console_markup_slashes_scripts_and_homoglyphs(live, lang):
    for text in [*MARKUP, *SLASHES, *SCRIPTS]:
        reply = console(live, {"text": text, "language": lang})
        assert reply.status == 200 and reply.headers["content-type"] == "application/json"
        answer = reply.json()
        assert answer["language"] in LANGS and answer["messages"]
        stored = tracker_user_texts(live, "console-" + answer["conversation_id"])
        assert stored and not stored[-1].startswith("/")
    card = console(live, {"text": HOMOGLYPHS[0], "language": lang}).json()["card"]
    assert card and "passport" in card["service_id"]


# --- SMS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_sms_empty_and_too_long_texts_get_short_answers(live, kb, lang):
    number = fresh_number()
    if lang == "fr":
        sms_texts(sms_post(live, number, "FR"))
    help_text = sms.split_for_sms(sms.sms_safe(render(kb, "sms_help", lang, {})))
    assert sms_texts(sms_post(live, number, "")) == help_text
    assert sms_texts(sms_post(live, number, "\x00\u200b")) == help_text
    too_long = sms.split_for_sms(sms.sms_safe(render(kb, "sms_too_long", lang, {})))
    assert sms_texts(sms_post(live, number, "please help me with my passport " * 60)) == too_long


@pytest.mark.parametrize(
    ("body", "token", "content_type", "status"),
    [
        ("hello", "not-the-token", "application/x-www-form-urlencoded", 403),
        ("x" * 20_000, None, "application/x-www-form-urlencoded", 413),
        ("hello", None, "application/json", 415),
    ],
)
def test_sms_refusals(live, body, token, content_type, status):
    assert_refused(sms_post(live, fresh_number(), body, token, content_type), status)


def test_sms_unsigned_request_is_refused(live):
    data = urlencode({"From": fresh_number(), "Body": "hello"}).encode()
    assert_refused(post(live.sms_url, data, "application/x-www-form-urlencoded"), 403)


def test_sms_markup_slashes_and_scripts(live):
    number = fresh_number()
    sent = [*MARKUP, *SLASHES, *SCRIPTS[:3]]
    for text in sent:
        parts = sms_texts(sms_post(live, number, text))
        assert parts and all(sms.segments(part) <= sms.MAX_SEGMENTS for part in parts)
        assert not any("<Redirect" in part or "<script" in part for part in parts)
    stored = tracker_user_texts(live, sms_conversation(live, number))
    assert len(stored) == len(sent) and not any(t.startswith("/") for t in stored)


# --- floods ---------------------------------------------------------------------------------


def flood(count: int, send: Any) -> list[Any]:
    """Send ``count`` messages at once (threads: they arrive before any is answered)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(send, range(count)))


def test_rest_flood_is_limited_per_sender(live, limits):
    sender = fresh("flood-rest")
    started = time.monotonic()
    replies = flood(limits.burst + 6, lambda n: rest(live, sender, f"hello {n}"))
    elapsed = time.monotonic() - started
    refused = [r for r in replies if r.status == 429]
    answered = [r for r in replies if r.status == 200]
    assert len(refused) + len(answered) == len(replies)
    assert refused and len(answered) <= limits.burst + elapsed * limits.per_minute / 60 + 1
    for reply in refused:
        assert int(reply.headers["retry-after"]) >= 1 and "too many" in reply.json()["error"]
    # Another sender, at the same moment, is not limited.
    assert rest(live, fresh("flood-other"), "I lost my passport").status == 200


def test_console_flood_is_limited_per_caller(live, limits):
    first = console(live, {"text": "passport", "language": "en"}).json()["conversation_id"]
    body = {"text": "documents?", "language": "en", "conversation_id": first}
    replies = flood(limits.burst + 6, lambda _: console(live, body))
    refused = [r for r in replies if r.status == 429]
    assert refused and all(int(r.headers["retry-after"]) >= 1 for r in refused)
    assert console(live, {"text": "passport", "language": "fr"}).status == 200


@pytest.mark.parametrize("lang", LANGS)
def test_socketio_flood_gets_a_short_answer_in_the_citizens_language(live, kb, limits, lang):
    flooder, other = Widget(live.url, fresh("flood-sock")), Widget(live.url, fresh("calm-sock"))
    try:
        for n in range(limits.burst + 6):
            flooder.say(f"hello {n}", lang)
        messages = flooder.wait(limits.burst + 1, quiet=2.0)
        limited = pattern(kb, "rate_limited", lang, "seconds")
        notices = [m for m in messages if limited.fullmatch(str(m.get("text", "")))]
        assert len(notices) == 1  # told once, then the flood gets no reply
        assert len(tracker_user_texts(live, flooder.session)) < limits.burst + 6
        assert other.ask("I lost my passport", lang)
    finally:
        flooder.close()
        other.close()


@pytest.mark.parametrize("lang", LANGS)
def test_sms_flood_gets_one_answer_then_silence(live, kb, limits, lang):
    number, other = fresh_number(), fresh_number()
    if lang == "fr":
        sms_texts(sms_post(live, number, "FR"))
    word = "hello" if lang == "en" else "bonjour"
    replies = flood(limits.burst + 6, lambda n: sms_texts(sms_post(live, number, f"{word} {n}")))
    notice = sms.split_for_sms(sms.sms_safe(render(kb, "sms_rate_limited", lang, {})))
    assert replies.count(notice) == 1  # told once...
    assert replies.count([]) >= 1  # ...then nothing: a flood costs no more texts
    assert sms_texts(sms_post(live, other, "I lost my passport"))


# --- a citizen's conversation, alongside all of it ---------------------------------------


def hostile_traffic(live: Live) -> None:
    """A bit of every hostile case, on every channel, from other senders."""
    for text in [*MARKUP, *SLASHES, *SCRIPTS, "\x00\x01", "😀" * 3000]:
        rest(live, fresh("noise"), text)
        console(live, {"text": text[:MAX_CONSOLE_CHARS], "language": "en"})
        sms_post(live, fresh_number(), text)
    post(
        live.url + "/webhooks/rest/webhook",
        b'{"sender": "x", "message": "\xff"}',
        "application/json",
    )
    rest(live, "noise", HUGE)
    sms_post(live, fresh_number(), "hi", token="forged")
    flood(12, lambda n: rest(live, "noise-flooder", "spam"))


def test_a_parallel_conversation_keeps_its_referral_and_its_messages(live):
    sender, number = fresh("citizen"), fresh_number()
    turns = ["I lost my passport", "what documents do I need?", "how long does it take?"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        noise = pool.submit(hostile_traffic, live)
        rest_answers = [rest(live, sender, text, "en") for text in turns]
        sms_answer = sms_texts(sms_post(live, number, "j'ai perdu mon passeport"))
        noise.result()
    assert all(reply.status == 200 and reply.json() for reply in rest_answers)
    first = rest_answers[0].json()
    referrals = [m["custom"] for m in first if (m.get("custom") or {}).get("type") == "referral"]
    assert referrals and "passport" in referrals[0]["referrals"][0]["kind"]
    assert "passeport" in "\n".join(sms_answer).lower()
    assert tracker_user_texts(live, sender) == turns
    assert tracker_user_texts(live, sms_conversation(live, number)) == ["j'ai perdu mon passeport"]
