"""Public channels: no intent injection, clear 4xx on bad requests, only the listed files."""

from __future__ import annotations

import pytest
from sanic import Sanic
from sanic_testing import TestManager

from bot.channels.guard import MSG_EMPTY, MSG_TOO_LONG, neutralize
from bot.channels.rest import validate_body
from bot.channels.socketio import UserEvent, read_user_event, whole_message
from bot.channels.web import WebPagesInput, interface_texts

OFFERED = ['/need{"service_kind": "passport"}']


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/greet", "greet"),
        ('/need{"service_kind": "passport"}', '/need{"service_kind": "passport"}'),
        ('/need{"service_kind": "firearms-licence"}', 'need{"service_kind": "firearms-licence"}'),
        ("//", "?"),
        ("I lost my passport", "I lost my passport"),
    ],
)
def test_neutralize(text, expected):
    assert neutralize(text, OFFERED) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "JSON object"),
        ({"message": "hi"}, "'sender'"),
        ({"sender": "a", "message": 3}, "'message' must be a string"),
        ({"sender": "a", "message": "   "}, "empty"),
        ({"sender": "a", "message": "hi", "metadata": "fr"}, "'metadata'"),
    ],
)
def test_bad_bodies(body, reason):
    result = validate_body(body)
    assert isinstance(result, str) and reason in result


def test_good_body():
    assert validate_body({"sender": "a", "message": "hi", "metadata": {"language": "fr"}}) == (
        "a",
        "hi",
        {"language": "fr"},
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("hello", "not an object"),
        ({"message": 5}, "no message text"),
        ({"message": "hi", "session_id": ["a"]}, "session id"),
        ({"message": "hi", "customData": "{oops"}, "not JSON"),
        ({"message": "hi", "customData": [1]}, "not an object"),
    ],
)
def test_malformed_socketio_events_are_dropped_with_a_reason(data, problem):
    reason = read_user_event(data, "customData")
    assert isinstance(reason, str) and problem in reason


@pytest.mark.parametrize(
    ("text", "problem"), [("", MSG_EMPTY), (" \x00 ", MSG_EMPTY), ("x" * 5001, MSG_TOO_LONG)]
)
def test_empty_or_too_long_socketio_messages_are_answered_not_passed_on(text, problem):
    event = read_user_event({"message": text}, "customData")
    assert isinstance(event, UserEvent) and event.problem == problem


def test_socketio_event_with_metadata():
    event = {"message": "passport", "session_id": "abc", "customData": '{"language": "fr"}'}
    assert read_user_event(event, "customData") == UserEvent("passport", "abc", {"language": "fr"})


def test_a_bot_message_is_emitted_whole():
    message = {"text": "hi", "buttons": [], "custom": {"type": "ask", "slot": "location"}}
    assert whole_message(message) == {"text": "hi", "custom": {"type": "ask", "slot": "location"}}


@pytest.fixture
def pages_app(tmp_path):
    for relative in ("widget/carrefour.js", "console/index.html"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    (tmp_path / "secret.txt").write_text("do not serve")
    app = Sanic(f"pages_{len(Sanic._app_registry)}")
    TestManager(app)

    async def assistant(message):  # pragma: no cover - pages take no messages
        raise AssertionError

    app.blueprint(WebPagesInput(tmp_path).blueprint(assistant), url_prefix="/")
    return app


def test_only_listed_files_are_served(pages_app):
    _, widget = pages_app.test_client.get("/widget/carrefour.js")
    assert widget.status == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["access-control-allow-origin"] == "*"
    for path in ("/widget/../secret.txt", "/widget/secret.txt", "/secret.txt"):
        _, response = pages_app.test_client.get(path)
        assert response.status == 404 and "do not serve" not in response.text


def test_console_page_has_a_strict_content_policy(pages_app):
    _, page = pages_app.test_client.get("/console/")
    assert page.status == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    _, missing = pages_app.test_client.get("/demo/")
    assert missing.status == 404 and "not installed" in missing.json["error"]


@pytest.mark.parametrize("prefix", ["widget_", "console_"])
def test_interface_labels_exist_in_both_languages(kb, prefix):
    texts = interface_texts(kb, prefix)
    assert texts["en"] and set(texts["en"]) == set(texts["fr"])
    assert all(texts["en"][k] and texts["fr"][k] for k in texts["en"])


@pytest.mark.parametrize(
    ("configured", "allowed"),
    [
        (None, None),
        ([], None),
        ("", None),
        (["https://www.ontario.ca/"], ["https://www.ontario.ca"]),
        ("https://a.gc.ca https://b.gc.ca", ["https://a.gc.ca", "https://b.gc.ca"]),
        (["https://a.gc.ca", "*"], "*"),
    ],
)
def test_the_widget_socket_allows_only_the_configured_sites(configured, allowed):
    from bot.channels.socketio import allowed_origins

    assert allowed_origins(configured) == allowed
