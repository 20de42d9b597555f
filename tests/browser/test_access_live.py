"""Who may use what, against the running assistant: the HTTP API token, the socket's CORS."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.browser


def handshake(server_url: str, origin: str | None) -> requests.Response:
    headers = {"Origin": origin} if origin else {}
    return requests.get(
        f"{server_url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers=headers,
        timeout=10,
    )


def test_the_server_own_pages_may_open_the_socket(server_url: str) -> None:
    reply = handshake(server_url, server_url.rstrip("/"))
    assert reply.status_code == 200 and '"sid"' in reply.text


def test_another_site_may_not(server_url: str) -> None:
    reply = handshake(server_url, "https://attacker.example")
    assert reply.status_code == 400
    assert "access-control-allow-origin" not in {k.lower() for k in reply.headers}


@pytest.mark.parametrize("path", ["/conversations/someone/tracker", "/status", "/domain"])
@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_rasa_http_api_needs_the_token(server_url: str, path: str, token: str | None) -> None:
    params = {"token": token} if token else {}
    reply = requests.get(f"{server_url}{path}", params=params, timeout=10)
    assert reply.status_code == 401
