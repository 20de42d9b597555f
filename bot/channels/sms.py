"""The SMS channel: a Twilio-compatible webhook (``POST /webhooks/twilio/webhook``).

Twilio posts each text message as a form, signed with the account's auth token
in ``X-Twilio-Signature``; the reply is TwiML, one ``<Message>`` per SMS.

- The signature is checked with Twilio's own validator against the public URL
  (``TWILIO_WEBHOOK_URL`` behind a proxy, else the request's URL): 403 otherwise.
- Only ``application/x-www-form-urlencoded`` bodies are read (415 otherwise).
- The text is cleaned (:mod:`bot.sanitize`); a body over 1,600 characters (Twilio's
  own maximum) gets a short "too long" answer instead of reaching the assistant.
- A number texting too fast (:mod:`bot.rate_limit`, keyed by its hash) gets one short
  answer, then empty TwiML until the limit allows it again (a reply costs money).
  STOP is always honoured, whatever the rate.
- STOP/ARRÊT, START/DÉBUT, HELP/AIDE and EN/FR are answered here, without the assistant.
- Choices are sent as a numbered list; a reply of ``2`` sends the second choice's payload.
- Replies are plain text, split so that each SMS takes at most three segments.
- The phone number is never logged nor stored: only an HMAC of it (:mod:`bot.sms_state`).
"""

from __future__ import annotations

import logging
import os
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot import sms
from bot.channels.guard import MAX_MESSAGE_CHARS, guarded, written_language
from bot.channels.rest import WholeMessageOutputChannel, payload_language, refuse
from bot.knowledge import KnowledgeBase, shared_knowledge
from bot.language import LANGUAGES, detect
from bot.rate_limit import RateLimiter
from bot.rendering import render
from bot.sanitize import clean_text
from bot.sms_state import NumberState, SmsState, number_hash, sender_id, state_key

logger = logging.getLogger(__name__)

TOKEN_ENV = "TWILIO_AUTH_TOKEN"
URL_ENV = "TWILIO_WEBHOOK_URL"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY_BYTES = 16_000
# Twilio delivers at most 1,600 characters (ten concatenated segments) in Body.
SMS_MAX_CHARS = 1600
DEFAULT_LANGUAGE = "en"
FORM_TYPE = "application/x-www-form-urlencoded"


def twiml(parts: list[str]) -> HTTPResponse:
    """A TwiML answer sending ``parts`` as separate SMS (none: an empty ``<Response/>``)."""
    reply = MessagingResponse()
    for part in parts:
        reply.message(part)
    return response.text(str(reply), content_type="text/xml; charset=utf-8")


def read_form(body: bytes) -> RequestParameters | None:
    """The fields of a url-encoded body, blank ones included; None when it is not UTF-8.

    Twilio signs every field it posts, an empty ``Body`` (a picture without text)
    too, so a blank field must be kept for the signature to match.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return RequestParameters(parse_qs(text, keep_blank_values=True))


def _reply_language(messages: list[dict[str, Any]], fallback: str | None) -> str:
    """The language the assistant answered in: its payloads say so, else its words do."""
    stated = payload_language(messages)
    if stated is not None:
        return stated
    if fallback in LANGUAGES:
        return str(fallback)
    lang, _, _ = detect(" ".join(str(m.get("text") or "") for m in messages))
    return lang or DEFAULT_LANGUAGE


class TwilioSmsInput(InputChannel):
    """Text messages through Twilio (or anything that signs its requests the same way)."""

    def __init__(
        self,
        token: str | None,
        public_url: str | None = None,
        confirm_opt_out: bool = False,
        state: SmsState | None = None,
        kb: KnowledgeBase | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        """Sign-check with ``token`` (``None`` disables the webhook).

        Args:
            token: The Twilio auth token.
            public_url: The URL Twilio posts to, when it differs from the request's.
            confirm_opt_out: Whether to confirm STOP ourselves (only when the Twilio
                account's own opt-out handling is turned off).
            state: The per-number store (default: :class:`SmsState` at ``$SMS_STATE_URL``
                or ``$SMS_STATE_DB``).
            kb: The knowledge base (default: the shared one).
            rate_limiter: The per-number limiter (default: from the environment).
        """
        self.token = token
        self.public_url = public_url
        self.confirm_opt_out = confirm_opt_out
        self._state = state
        self._kb = kb
        self._limiter = rate_limiter

    @classmethod
    def name(cls) -> str:
        """Served at ``/webhooks/twilio/``."""
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioSmsInput:
        """Secrets come from the environment, never from a file in the repository."""
        token = os.environ.get(TOKEN_ENV) or None
        if token is None:
            logger.warning("The SMS webhook is disabled: set %s to enable it.", TOKEN_ENV)
        confirm = bool((credentials or {}).get("confirm_opt_out", False))
        return cls(token, os.environ.get(URL_ENV) or None, confirm)

    @property
    def state(self) -> SmsState:
        """The per-number store, opened on first use (the token keys its hashes)."""
        if self._state is None:
            self._state = SmsState()
        return self._state

    @property
    def limiter(self) -> RateLimiter:
        """The per-number rate limiter, made from the environment on first use."""
        if self._limiter is None:
            self._limiter = RateLimiter()
        return self._limiter

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base that holds the SMS messages."""
        return self._kb or shared_knowledge()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` (Twilio's incoming messages)."""
        handler = guarded(on_new_message)
        _ = self.limiter  # made now, so that a bad setting shows in the log at start-up
        hook = Blueprint("carrefour_twilio_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "enabled": self.token is not None})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.token is None:
                return refuse(f"the SMS webhook is disabled: set {TOKEN_ENV}", 503)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return refuse("the request is too large", 413)
            if FORM_TYPE not in (request.content_type or "").lower():
                return refuse(f"send the message as {FORM_TYPE}, as Twilio does", 415)
            form = read_form(request.body or b"")
            if form is None:
                return refuse("the form is not valid UTF-8", 400)
            signature = request.headers.get(SIGNATURE_HEADER)
            url = self.public_url or request.url
            if not signature or not RequestValidator(self.token).validate(url, form, signature):
                return refuse("a valid X-Twilio-Signature is required", 403)
            sender, body = form.get("From"), form.get("Body")
            if not form or not sender or body is None:
                return refuse("send a form with 'From' and 'Body', as Twilio does", 400)
            try:
                return await self._answer(handler, str(sender), str(body))
            except Exception as exc:  # noqa: BLE001 - the citizen gets a reply, never a trace
                # Only the type: the message text and the number must not reach the log.
                logger.error("An SMS could not be handled (%s).", type(exc).__name__)
                return self._error_reply(None)

        return hook

    def _error_reply(self, lang: str | None) -> HTTPResponse:
        try:
            langs = [lang] if lang in LANGUAGES else list(LANGUAGES)
            return twiml([render(self.kb, "sms_error", code, {}) for code in langs])
        except Exception:  # noqa: BLE001 - without a knowledge base, an empty reply
            logger.error("The SMS error message could not be rendered.")
            return twiml([])

    def _say(self, key: str, lang: str, values: Mapping[str, str] | None = None) -> HTTPResponse:
        text = sms.sms_safe(render(self.kb, key, lang, dict(values or {})))
        return twiml(sms.split_for_sms(text))

    async def _answer(
        self, handler: Callable[[UserMessage], Awaitable[Any]], number: str, body: str
    ) -> HTTPResponse:
        digest = number_hash(number, state_key(self.token))
        state = self.state.get(digest)
        too_long = len(body) > SMS_MAX_CHARS
        text = body if too_long else clean_text(body)
        word = None if too_long else sms.keyword(text)
        if word == "stop":  # an opt-out is honoured whatever the rate
            return self._keyword(digest, state, word, sms.keyword_language(text))
        decision = self.limiter.check(digest)
        if not decision.allowed:
            if state.stopped or not decision.notify:
                return twiml([])
            return self._say("sms_rate_limited", self._language(state, text))
        if word is not None:
            return self._keyword(digest, state, word, sms.keyword_language(text))
        if state.stopped:
            return twiml([])
        if too_long:
            return self._say("sms_too_long", self._language(state, text))
        if not text.strip():
            return self._say("sms_help", state.language or DEFAULT_LANGUAGE)
        try:
            return await self._converse(handler, digest, state, text)
        except (Exception, CancelledError) as exc:
            logger.error("An SMS could not be answered (%s).", type(exc).__name__)
            return self._error_reply(state.language)

    @staticmethod
    def _language(state: NumberState, text: str) -> str:
        """The number's language, else the one ``text`` is written in, else English."""
        if state.language in LANGUAGES:
            return str(state.language)
        return written_language(text)

    def _keyword(
        self, digest: str, state: NumberState, word: str, written_in: str | None
    ) -> HTTPResponse:
        # A French keyword (AIDE, ARRÊT...) gets a French answer; an English one
        # (HELP, STOP...) the number's language, which defaults to English.
        lang = written_in if written_in == "fr" else state.language or DEFAULT_LANGUAGE
        if word == "stop":
            state.stopped, state.offered = True, []
            self.state.put(digest, state)
            # Twilio's opt-out handling already confirms STOP (ARRET too, in Canada)
            # and blocks any reply to it (error 21610), so by default we answer an
            # empty <Response/>. An account without that handling confirms itself.
            if self.confirm_opt_out:
                return self._say("sms_stopped", lang)
            return twiml([])
        if word == "start":
            state.stopped = False
            self.state.put(digest, state)
            return self._say("sms_started", lang)
        if word == "help":
            # Carriers expect HELP to be answered even from a number that opted out.
            return self._say("sms_help", lang)
        if state.stopped:
            return twiml([])
        state.language = word
        self.state.put(digest, state)
        return self._say("sms_language", word)

    async def _converse(
        self,
        handler: Callable[[UserMessage], Awaitable[Any]],
        digest: str,
        state: NumberState,
        body: str,
    ) -> HTTPResponse:
        text = body.strip()[:MAX_MESSAGE_CHARS]
        index = sms.choice_index(text)
        if index is not None and index < len(state.offered):
            text = state.offered[index]
        metadata = {"language": state.language} if state.language else {}
        collector = WholeMessageOutputChannel()
        await handler(
            UserMessage(
                text, collector, sender_id(digest), input_channel=self.name(), metadata=metadata
            )
        )
        messages = [dict(m) for m in collector.messages]
        state.offered = sms.offered_choices(messages)
        self.state.put(digest, state)
        lang = _reply_language(messages, state.language)
        return twiml(sms.sms_parts(messages, lang, self.kb))
