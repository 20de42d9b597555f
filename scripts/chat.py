"""Chat with the running assistant through its REST channel (``make shell``)."""

from __future__ import annotations

import argparse
import os
import uuid

import requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_url = f"http://localhost:{os.environ.get('RASA_PORT', '5005')}"
    parser.add_argument("--url", default=default_url)
    parser.add_argument("--language", choices=["en", "fr"], help="set the conversation language")
    args = parser.parse_args()
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    metadata = {"language": args.language} if args.language else None
    print("Type a message (Ctrl-D to quit).")
    while True:
        try:
            text = input("> ").strip()
        except EOFError:
            print()
            return
        if not text:
            continue
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            answer = requests.post(f"{args.url}/webhooks/rest/webhook", json=body, timeout=30)
        except requests.RequestException as exc:
            print(f"[the assistant is not reachable at {args.url}: {exc}; start it with make run]")
            continue
        if answer.status_code != 200:
            print(f"[{answer.status_code}] {answer.text}")
            continue
        for message in answer.json():
            if message.get("text"):
                print(message["text"])
            for i, button in enumerate(message.get("buttons") or [], start=1):
                print(f"  {i}. {button['title']}    ({button['payload']})")
        metadata = None


if __name__ == "__main__":
    main()
