"""The SMS channel: segment counts, splitting, choices, keywords (pure) and the Twilio webhook."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sanic_testing import TestManager
from twilio.request_validator import RequestValidator

import bot.channels.guard as guard
from bot import payload as p
from bot import sms
from bot.channels.sms import TwilioSmsInput
from bot.rendering import render
from bot.sms_state import SmsState
from tests.conftest import LANGS

# --- encoding and segments -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gsm"),
    [
        ("Lost passport? Call 1-800-567-6868.", True),
        ("Délai : 10 jours. Où ? à Montréal, É", True),  # é, à, É are in GSM 03.38
        ("Êtes-vous", False),
        ("français", False),  # lowercase ç is not
        ("fenêtre", False),
        ("[a] {b} ~ | € ^ \\", True),  # the extension table
        ("Recevez « ceci »", False),
        ("it’s", False),
    ],
)
def test_gsm7_alphabet(text, gsm):
    assert sms.is_gsm7(text) is gsm


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 159 + "€", 2),  # € takes two septets: 161
        ("ê" * 70, 1),
        ("ê" * 71, 2),
        ("ê" * 134, 2),
        ("ê" * 135, 3),
        ("a" * 69 + "ç", 1),
        ("a" * 70 + "ç", 2),  # one ç makes the whole message UCS-2
        ("😀" * 35, 1),  # two UTF-16 code units each
        ("😀" * 36, 2),
    ],
)
def test_segment_counts(text, count):
    assert sms.segments(text) == count


def test_french_with_accents_is_counted_at_70_and_67():
    sentence = "Êtes-vous prêt ? Ça fonctionne à Québec. "  # 41 characters, UCS-2
    assert len(sentence) == 41 and not sms.is_gsm7(sentence)
    assert sms.segments(sentence) == 1
    assert sms.segments(sentence * 2) == 2  # 82 > 70, ceil(82 / 67)
    assert sms.segments(sentence * 5) == 4  # 205 > 3 × 67


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("it’s “here” – now…", 'it\'s "here" - now...'),
        ("« Passeport » — oui", '"Passeport" - oui'),
        ("8\u00a0h\u202f30 • lundi", "8 h 30 - lundi"),
        ("Téléphone · ATS", "Téléphone - ATS"),
        ("fenêtre, français", "fenêtre, français"),
    ],
)
def test_sms_safe_drops_needless_ucs2(text, safe):
    assert sms.sms_safe(text) == safe


def test_sms_safe_keeps_english_in_gsm7(kb):
    text = "It’s “urgent” – call 1\u00a0800\u00a0O-Canada…"
    assert not sms.is_gsm7(text)
    assert sms.is_gsm7(sms.sms_safe(text))


# --- numbered choices and keywords -----------------------------------------------------

OPTIONS = [
    {"title": "Passport", "payload": '/choose{"kind":"passport"}'},
    {"title": "Social Insurance Number", "payload": '/choose{"kind":"sin"}'},
    {"title": "Health card", "payload": '/choose{"kind":"health-card"}'},
]


@pytest.mark.parametrize("lang", LANGS)
def test_choices_are_a_numbered_list_with_a_hint(kb, lang):
    text = sms.render_choices("Which one?", OPTIONS, lang, kb)
    lines = text.splitlines()
    assert lines[0] == "Which one?"
    assert lines[1:4] == ["1. Passport", "2. Social Insurance Number", "3. Health card"]
    assert lines[4] == render(kb, "sms_choose", lang, {"count": "3"})
    assert "3" in lines[4]


@pytest.mark.parametrize(
    ("reply", "index"),
    [("1", 0), (" 2 ", 1), ("2.", 1), ("#2", 1), ("3)", 2), ("0", None), ("two", None)]
    + [("1 passport", None), ("", None), ("-1", None)],
)
def test_choice_index(reply, index):
    assert sms.choice_index(reply) == index


@pytest.mark.parametrize(
    ("reply", "word", "lang"),
    [
        ("STOP", "stop", "en"),
        ("stop.", "stop", "en"),
        ("ARRÊT", "stop", "fr"),
        ("arret!", "stop", "fr"),
        ("Arr\u0065\u0302t", "stop", "fr"),  # decomposed ê, as some phones send it
        ("START", "start", "en"),
        ("Début", "start", "fr"),
        ("DEBUT", "start", "fr"),
        ("help?", "help", "en"),
        ("AIDE", "help", "fr"),
        ("EN", "en", "en"),
        ("fr", "fr", "fr"),
        ("stop sending me that", None, None),
        ("I need help", None, None),
        ("french", None, None),
    ],
)
def test_keywords_are_whole_messages(reply, word, lang):
    assert sms.keyword(reply) == word
    assert sms.keyword_language(reply) == lang


@pytest.mark.parametrize("lang", LANGS)
def test_a_turn_becomes_sms_parts_and_remembers_the_choices(kb, lang):
    messages = [
        {"text": "Hello."},
        {"text": "Which one?", "buttons": OPTIONS, "custom": p.choices([])},
    ]
    parts = sms.sms_parts(messages, lang, kb)
    assert parts == [sms.turn_text(messages, lang, kb)]
    assert parts[0].startswith("Hello.\n\nWhich one?\n1. Passport")
    assert sms.offered_choices(messages) == [o["payload"] for o in OPTIONS]
    assert sms.offered_choices([{"text": "Done."}]) == []


# --- splitting -------------------------------------------------------------------------

URL = "https://www.canada.ca/fr/immigration-refugies-citoyennete/services/passeports.html"
PHONES = ["+1-800-622-6232", "1 800 622-6232", "613-555-0100", "1 800 O-Canada"]
FRENCH_WORDS = ["Êtes-vous", "prêt", "fenêtre", "être", "façon", "reçu", "passeport", "à", "où"]
WORDS = ["passport", "renew", "office", "documents", "Service", "Canada", "de", "la", "le"]


def _unbreakables(text):
    return [m.group() for m in sms.UNBREAKABLE.finditer(text)]


@pytest.mark.parametrize("lang", LANGS)
def test_a_long_reply_is_split_at_paragraphs(lang):
    word = "fenêtre" if lang == "fr" else "window"
    paragraphs = [" ".join([word] * 12) + "." for _ in range(6)]
    text = "\n\n".join(paragraphs)
    parts = sms.split_for_sms(text)
    assert len(parts) > 1
    assert all(sms.segments(part) <= 3 for part in parts)
    assert "\n\n".join(parts) == text  # cut only between paragraphs


def test_a_short_reply_is_one_part():
    assert sms.split_for_sms("  Call 911.  ") == ["Call 911."]
    assert sms.split_for_sms("") == []


def test_french_parts_respect_ucs2_limits():
    text = " ".join(["Êtes-vous prêt à être reçu"] * 40)  # about 1,000 UCS-2 characters
    parts = sms.split_for_sms(text)
    assert all(not sms.is_gsm7(part) and len(part) <= 3 * 67 for part in parts)
    assert len(parts) == pytest.approx(len(text) / 201, abs=1.5)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([" ", " ", "\n", "\n\n", ". "]),
            st.one_of(
                st.sampled_from(WORDS + FRENCH_WORDS),
                st.sampled_from(PHONES),
                st.just(URL),
                st.text(alphabet="abcdefghéêçà€[", min_size=1, max_size=12),
            ),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_split_keeps_words_links_and_numbers_whole(pieces):
    text = "".join(sep + word for sep, word in pieces).strip()
    parts = sms.split_for_sms(text)
    assert all(sms.segments(part) <= 3 for part in parts)
    assert " ".join(parts).split() == text.split()
    for token in _unbreakables(text):
        assert any(token in part for part in parts), token


# --- the webhook -----------------------------------------------------------------------

TOKEN = "test-auth-token"
PUBLIC_URL = "https://sms.example.ca/webhooks/twilio/webhook"
NUMBER = "+15555550100"
LONG_FRENCH = " ".join(["Êtes-vous prêt ? Écrivez à la fenêtre du bureau, reçu en main."] * 12)


def _sign(params, url=PUBLIC_URL, token=TOKEN):
    return RequestValidator(token).compute_signature(url, params)


def _post(app, params, signature="sign", path="/webhooks/twilio/webhook"):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        signature = _sign(params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    _, response = app.test_client.post(path, data=urlencode(params), headers=headers)
    return response


def _texts(response):
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def _sms(app, body, number=NUMBER):
    return _texts(_post(app, {"From": number, "To": "+16135550000", "Body": body}))


@pytest.fixture
def sms_app(kb, tmp_path, monkeypatch):
    """The webhook with an assistant that offers choices, refers, or answers at length."""
    monkeypatch.delenv("SMS_STATE_KEY", raising=False)
    received: list[UserMessage] = []
    offered: list[str] = []

    async def last_offer(sender_id):
        return list(offered)

    # The guard asks the tracker what was offered; here the fake assistant says it.
    monkeypatch.setattr(guard, "offered_payloads", last_offer)

    async def assistant(message: UserMessage) -> None:
        received.append(message)
        out = message.output_channel
        offered.clear()
        if message.text == "which card":
            offered.extend(o["payload"] for o in OPTIONS)
            await out.send_response(
                message.sender_id,
                {"text": "Which one?", "buttons": OPTIONS, "custom": p.choices([])},
            )
        elif message.text == "long answer":
            await out.send_response(message.sender_id, {"text": LONG_FRENCH})
        else:
            lang = (message.metadata or {}).get("language", "en")
            custom = p.referral([kb.services["ca.passport"]], lang)
            await out.send_response(
                message.sender_id, {"text": "Passport office.", "custom": custom}
            )

    state = SmsState(tmp_path / "sms.db")
    channel = TwilioSmsInput(TOKEN, PUBLIC_URL, state=state, kb=kb)
    app = Sanic(f"sms_{len(Sanic._app_registry)}")
    TestManager(app)
    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/twilio")
    return app, received, state


def test_a_signed_message_gets_twiml(sms_app):
    app, received, _ = sms_app
    assert _sms(app, "I lost my passport") == ["Passport office."]
    assert received[0].text == "I lost my passport"
    assert received[0].input_channel == "twilio"
    # The conversation id is derived from the number, never the number itself.
    assert received[0].sender_id.startswith("sms-") and "5555550100" not in received[0].sender_id


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "forged",
        _sign({"From": NUMBER, "Body": "other text", "To": "+16135550000"}),
        _sign({"From": NUMBER, "Body": "hello", "To": "+16135550000"}, token="other-token"),
        _sign({"From": NUMBER, "Body": "hello", "To": "+16135550000"}, url="https://evil.example/"),
    ],
)
def test_a_missing_or_forged_signature_is_refused(sms_app, signature):
    app, received, _ = sms_app
    params = {"From": NUMBER, "Body": "hello", "To": "+16135550000"}
    response = _post(app, params, signature=signature)
    assert response.status == 403
    assert "Traceback" not in response.text
    assert not received


@pytest.mark.parametrize("params", [{}, {"From": NUMBER}, {"Body": "hello"}])
def test_a_signed_request_without_a_message_is_a_bad_request(sms_app, params):
    app, received, _ = sms_app
    response = _post(app, params)
    assert response.status == 400 and response.json["error"]
    assert not received


def test_no_token_disables_the_webhook(kb, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    channel = TwilioSmsInput.from_credentials({})
    app = Sanic(f"sms_off_{len(Sanic._app_registry)}")
    TestManager(app)

    async def assistant(message):  # pragma: no cover - never called
        raise AssertionError

    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/twilio")
    response = _post(app, {"From": NUMBER, "Body": "hello"})
    assert response.status == 503 and "TWILIO_AUTH_TOKEN" in response.json["error"]
    _, health = app.test_client.get("/webhooks/twilio/")
    assert health.json == {"status": "ok", "enabled": False}


def test_token_and_public_url_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-env")
    monkeypatch.setenv("TWILIO_WEBHOOK_URL", PUBLIC_URL)
    channel = TwilioSmsInput.from_credentials(None)
    assert channel.token == "from-env" and channel.public_url == PUBLIC_URL


def test_a_failing_assistant_gets_the_error_message_not_a_trace(kb, tmp_path, caplog):
    async def assistant(message):
        raise RuntimeError("secret internals")

    channel = TwilioSmsInput(TOKEN, PUBLIC_URL, state=SmsState(tmp_path / "s.db"), kb=kb)
    app = Sanic(f"sms_fail_{len(Sanic._app_registry)}")
    TestManager(app)
    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/twilio")
    texts = _sms(app, "my secret question")
    assert texts == [render(kb, "sms_error", lang, {}) for lang in LANGS]
    assert all("1-800-622-6232" in t for t in texts)
    assert "secret" not in caplog.text and "5555550100" not in caplog.text


def test_stop_silences_the_number_until_start(sms_app, kb):
    app, received, _ = sms_app
    assert _sms(app, "STOP") == []  # Twilio itself confirms a STOP
    assert _sms(app, "I lost my passport") == []
    # HELP is still answered: carriers expect it even from a number that opted out.
    assert _sms(app, "HELP") == sms.split_for_sms(sms.sms_safe(render(kb, "sms_help", "en", {})))
    assert _sms(app, "FR") == []
    assert not received
    # Another number is not affected.
    assert _sms(app, "I lost my passport", number="+15555550199") == ["Passport office."]
    assert _sms(app, "START") == [render(kb, "sms_started", "en", {})]
    assert _sms(app, "I lost my passport") == ["Passport office."]


def test_arret_and_debut_answer_in_french_when_confirming(kb, tmp_path):
    async def assistant(message):  # pragma: no cover - keywords never reach it
        raise AssertionError

    channel = TwilioSmsInput(
        TOKEN, PUBLIC_URL, confirm_opt_out=True, state=SmsState(tmp_path / "s.db"), kb=kb
    )
    app = Sanic(f"sms_confirm_{len(Sanic._app_registry)}")
    TestManager(app)
    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/twilio")
    assert _sms(app, "ARRÊT") == [sms.sms_safe(render(kb, "sms_stopped", "fr", {}))]
    assert _sms(app, "Bonjour") == []
    assert _sms(app, "début") == [sms.sms_safe(render(kb, "sms_started", "fr", {}))]


@pytest.mark.parametrize(("word", "lang"), [("HELP", "en"), ("AIDE", "fr"), ("aide.", "fr")])
def test_help_explains_the_service(sms_app, kb, word, lang):
    app, received, _ = sms_app
    texts = _sms(app, word)
    assert texts == [sms.sms_safe(render(kb, "sms_help", lang, {}))]
    assert "1-800-622-6232" in texts[0] and "911" in texts[0]
    assert not received


def test_a_language_keyword_is_stored_and_sent_as_metadata(sms_app, kb):
    app, received, state = sms_app
    assert _sms(app, "FR") == [sms.sms_safe(render(kb, "sms_language", "fr", {}))]
    _sms(app, "I lost my passport")
    assert received[-1].metadata == {"language": "fr"}
    # HELP now answers in the number's language.
    assert _sms(app, "HELP") == [sms.sms_safe(render(kb, "sms_help", "fr", {}))]
    assert _sms(app, "EN") == [sms.sms_safe(render(kb, "sms_language", "en", {}))]
    _sms(app, "I lost my passport")
    assert received[-1].metadata == {"language": "en"}


def test_the_number_is_not_stored_in_clear(sms_app):
    app, _, state = sms_app
    _sms(app, "FR")
    dump = "\n".join(sqlite3.connect(state.engine.url.database).iterdump())
    assert "5555550100" not in dump and "'fr'" in dump


def test_a_numbered_reply_sends_the_offered_payload(sms_app, kb):
    app, received, _ = sms_app
    texts = _sms(app, "which card")
    assert len(texts) == 1
    assert "1. Passport\n2. Social Insurance Number\n3. Health card" in texts[0]
    assert texts[0].endswith(render(kb, "sms_choose", "en", {"count": "3"}))
    _sms(app, " 2. ")
    assert received[-1].text == OPTIONS[1]["payload"]
    # The offer is used once: "2" later is text again (and still guarded).
    _sms(app, "2")
    assert received[-1].text == "2"


def test_a_typed_intent_is_still_neutralized(sms_app):
    app, received, _ = sms_app
    _sms(app, '/choose{"kind":"passport"}')
    assert received[-1].text == 'choose{"kind":"passport"}'


def test_a_number_without_an_offer_is_plain_text(sms_app):
    app, received, _ = sms_app
    _sms(app, "which card")
    _sms(app, "7")
    assert received[-1].text == "7"


def test_a_long_french_reply_is_split_in_ucs2_parts(sms_app):
    app, _, _ = sms_app
    texts = _sms(app, "long answer")
    assert len(texts) > 1
    for text in texts:
        assert not sms.is_gsm7(text) and sms.segments(text) <= 3 and len(text) <= 201
    assert " ".join(texts).split() == LONG_FRENCH.split()
