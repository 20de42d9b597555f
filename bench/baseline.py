"""The bare Rasa baseline of ``make bench``: the assistant's NLU and policies, no custom actions.

Written into a folder of its own: the assistant's ``config.yml`` unchanged (same
pipeline with the custom NLU components, same policies), a domain with the same
intents and entities and one plain ``utter_<intent>`` text each, one rule per intent
to that response, and Rasa's own REST channel. It is trained on the assistant's
NLU data (``data/nlu``). No action server, no slots, no tracker store (Rasa's
in-memory default): what Rasa itself costs for the same understanding.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

# The intent RulePolicy's fallback and the FallbackClassifier produce, and the response
# Rasa's default fallback action utters: every message gets a reply, as in the assistant.
FALLBACK_INTENT = "nlu_fallback"
DEFAULT_RESPONSE = "utter_default"


def baseline_domain(domain: dict[str, Any]) -> dict[str, Any]:
    """The baseline's domain from the assistant's: same intents and entities, plain responses."""
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])]
    responses = {
        f"utter_{intent}": [{"text": f"baseline reply to {intent}"}]
        for intent in [*intents, FALLBACK_INTENT]
    }
    responses[DEFAULT_RESPONSE] = [{"text": "baseline default reply"}]
    return {
        "version": "3.1",
        "session_config": domain.get("session_config", {}),
        "intents": intents,
        "entities": list(domain.get("entities", [])),
        "responses": responses,
    }


def baseline_rules(intents: list[str]) -> dict[str, Any]:
    """One rule per intent (and the NLU fallback) to its ``utter_<intent>`` response."""
    return {
        "version": "3.1",
        "rules": [
            {
                "rule": f"{intent} is answered",
                "steps": [{"intent": intent}, {"action": f"utter_{intent}"}],
            }
            for intent in [*intents, FALLBACK_INTENT]
        ],
    }


def write_baseline(root: Path, out: Path) -> dict[str, Path]:
    """Write the baseline bot's files into ``out`` from the project at ``root``.

    Returns:
        The paths of its ``config``, ``domain``, ``rules`` and ``credentials`` files.
    """
    out.mkdir(parents=True, exist_ok=True)
    domain = baseline_domain(yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")))
    paths = {
        "config": out / "config.yml",
        "domain": out / "domain.yml",
        "rules": out / "rules.yml",
        "credentials": out / "credentials.yml",
    }
    shutil.copyfile(root / "config.yml", paths["config"])
    files = {
        "domain": domain,
        "rules": baseline_rules(domain["intents"]),
        "credentials": {"rest": None},
    }
    for name, content in files.items():
        paths[name].write_text(
            yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return paths
