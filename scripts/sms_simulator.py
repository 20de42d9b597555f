"""Text the assistant's SMS webhook as Twilio would, without a Twilio account.

Each request is a form signed with ``X-Twilio-Signature`` (Twilio's own
validator computes it), so the webhook checks it exactly as in production.

    .venv/bin/python scripts/sms_simulator.py I lost my passport
    .venv/bin/python scripts/sms_simulator.py --url http://localhost:5305/webhooks/twilio/webhook 1
    .venv/bin/python scripts/sms_simulator.py   # no words: an interactive session
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sms import is_gsm7, segments  # noqa: E402 - after the path is set

DEFAULT_URL = "http://localhost:5005/webhooks/twilio/webhook"
DEFAULT_FROM = "+15555550100"
DEFAULT_TO = "+16135550000"


def send(
    url: str, token: str, sender: str, body: str, timeout: float = 60.0, to: str = DEFAULT_TO
) -> list[str] | None:
    """Send one signed SMS to the webhook.

    Args:
        url: The webhook's URL (the one the signature covers).
        token: The Twilio auth token the server uses.
        sender: The phone number the SMS comes from.
        body: The message.
        timeout: Seconds to wait for the reply.
        to: The number the SMS is sent to.

    Returns:
        The reply's SMS texts (empty for an empty ``<Response/>``), or ``None`` when
        the webhook refused the request (its status is printed on stderr).
    """
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + uuid.uuid4().hex,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - a dev tool
            xml = reply.read().decode()
    except urllib.error.HTTPError as refused:
        print(f"HTTP {refused.code}: {refused.read().decode(errors='replace')}", file=sys.stderr)
        return None
    return [message.text or "" for message in ET.fromstring(xml).iter("Message")]


def show(parts: list[str] | None) -> None:
    """Print each SMS of a reply with its encoding and segment count."""
    if parts is None:
        return
    if not parts:
        print("(no reply)")
    for i, part in enumerate(parts, start=1):
        encoding = "GSM-7" if is_gsm7(part) else "UCS-2"
        print(
            f"--- SMS {i}/{len(parts)}: {len(part)} chars, {encoding}, {segments(part)} segment(s)"
        )
        print(part)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="the webhook URL")
    parser.add_argument("--from", dest="sender", default=DEFAULT_FROM, help="the sender's number")
    parser.add_argument(
        "--token", default=os.environ.get("TWILIO_AUTH_TOKEN", ""), help="the Twilio auth token"
    )
    parser.add_argument("words", nargs="*", help="the message (none: read lines from stdin)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set TWILIO_AUTH_TOKEN")
    if args.words:
        parts = send(args.url, args.token, args.sender, " ".join(args.words))
        show(parts)
        return 0 if parts is not None else 1
    for line in sys.stdin:
        if line.strip():
            print(f">>> {line.strip()}")
            show(send(args.url, args.token, args.sender, line.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
