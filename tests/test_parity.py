"""English and French at parity: NLU files, intents, responses, messages, kinds."""

from __future__ import annotations

import string
from collections import Counter

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.constants import MSG_WHICH_SERVICE


def _intents(folder):
    data = load_data(str(folder))
    return Counter(m.get("intent") for m in data.intent_examples), data


def test_nlu_files_are_mirrored(repo_root):
    en = sorted(p.name for p in (repo_root / "data/nlu/en").glob("*.yml"))
    fr = sorted(p.name for p in (repo_root / "data/nlu/fr").glob("*.yml"))
    assert en == fr and en


def test_both_languages_cover_the_same_intents_kinds_and_events(repo_root, contract):
    en_counts, en = _intents(repo_root / "data/nlu/en")
    fr_counts, fr = _intents(repo_root / "data/nlu/fr")
    assert set(en_counts) == set(fr_counts)
    for lang_data in (en, fr):
        kinds = {
            (m.get("metadata") or {}).get("example", {}).get("kind")
            for m in lang_data.intent_examples
            if m.get("intent") == "need"
        }
        events = {
            (m.get("metadata") or {}).get("example", {}).get("life_event")
            for m in lang_data.intent_examples
            if m.get("intent") == "life_event"
        }
        expected = set(contract.kinds) - {"emergency", "mental-health-crisis"}
        assert kinds == expected
        assert events == set(contract.life_events)


def test_domain_intents_match_training_data(repo_root):
    domain = yaml.safe_load((repo_root / "domain.yml").read_text())
    en_counts, _ = _intents(repo_root / "data/nlu/en")
    assert set(domain["intents"]) == set(en_counts)


def test_every_response_has_both_languages(repo_root):
    domain = yaml.safe_load((repo_root / "domain.yml").read_text())
    for name, variants in domain["responses"].items():
        langs = Counter(
            cond["value"]
            for v in variants
            for cond in v.get("condition", [])
            if cond["name"] == "language"
        )
        assert langs == Counter({"en": 1, "fr": 1}), name
        customs = [v.get("custom") for v in variants]
        assert customs[0] == customs[1], name


def test_messages_have_same_placeholders(kb):
    formatter = string.Formatter()
    assert MSG_WHICH_SERVICE in kb.messages
    for key, text in kb.messages.items():
        en = {f for _, f, _, _ in formatter.parse(text.en) if f}
        fr = {f for _, f, _, _ in formatter.parse(text.fr) if f}
        assert en == fr, key


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_kb_texts_present(kb, lang):
    for service in kb.services.values():
        assert service.name.get(lang) and service.why.get(lang)
        for channel in service.channels:
            if channel.hours:
                assert channel.hours.get(lang)
