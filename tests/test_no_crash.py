"""Any text a citizen can send goes through the search and the location parsing unharmed.

Property tests over every Unicode category but surrogates (a channel's text is
decoded UTF-8, which holds none), control and format characters, and strings up
to 10,000 characters, through the entry points used at run time: the NLU
component (search, then combined with classifier probabilities), the decision
the actions take from it, and the location parsing of the actions. Each must
return well-formed results, not merely not raise.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.location import Location, parse_location
from bot.nlu.classifier import OUTPUT_KEY, CarrefourClassifier
from bot.search import Hit, build_index, named_services, rank_events, rank_kinds
from bot.text import fold, lemmas
from bot.understanding import (
    EVENT_PREFIX,
    INTENT_PREFIX,
    KIND_PREFIX,
    MAX_CHOICES,
    Understanding,
    combine,
    decide,
)

MAX_TEXT = 10_000
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every category but surrogates.
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
# Control, format (zero-width joiners, bidi marks), separators, combining marks,
# private use and unassigned code points.
ODD_CHAR = st.one_of(
    st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp", "Zs", "Mn", "Me", "Co", "Cn")),
    st.sampled_from("\x00\t\n\r\x0b\x0c\x1b\x7f\u0085\u200b\u200d\u202e\u2028\ufeff\ufffd"),
)
# Pieces that reach the interesting paths: names, abbreviations, postal codes, elisions,
# ligatures and characters whose case or accent folding changes their length.
PIECES = st.sampled_from(
    [
        "passport", "pasport", "carte soleil", "permis de conduire", "ei", "SIN", "ICBC",
        "numéro d'assurance sociale", "bébé", "décès", "ON", "on", "Ont.", "N.-É.", "T.N.-O.",
        "P.E.I.", "qc", "à Québec", "au Québec", "st. john's", "Toronto", "montreal", "lalberta",
        "Truro NS", "in Hope", "H2X 1Y4", "h2x1y4", "K1A", "X0A 0H0", "x1a2p3", "postal code M5V",
        "ﬁ", "İ", "ß", "ǅ", "Ⅻ", "①", "ｐａｓｓｐｏｒｔ", "e\u0301", "😀", "٣", "ꙮ", "\u0300" * 20,
        "-", "'", ".", "/", "https://", "a" * 300, " " * 50,
    ]
)  # fmt: skip


def _join(parts: list[str]) -> str:
    return "".join(parts)[:MAX_TEXT]


TEXTS = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    st.lists(
        st.one_of(PIECES, st.text(ODD_CHAR, max_size=4), st.text(ANY_CHAR, max_size=12)),
        max_size=40,
    ).map(" ".join),
    # Long messages: a short mixture repeated up to 10,000 characters.
    st.builds(
        lambda parts, times: _join(parts * times),
        st.lists(st.one_of(PIECES, st.text(ANY_CHAR, max_size=30)), min_size=1, max_size=8),
        st.integers(1, 2_000),
    ),
)


@pytest.fixture(scope="module")
def component():
    """The NLU component as Rasa loads it without a trained model: search alone."""
    return CarrefourClassifier(CarrefourClassifier.get_default_config(), None, None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def index(kb):
    return build_index(kb)


@pytest.fixture(scope="module")
def phrases(index):
    return set(index.phrases())


def check_hits(kb, phrases, hits: list[Hit], limit: int) -> None:
    assert len(hits) <= limit
    assert len({h.target for h in hits}) == len(hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert 0.0 <= hit.score <= 1.0
        assert 0.0 <= hit.phrase_cover <= 1.0
        assert hit.phrase in phrases
        if hit.target.type == "kind":
            assert hit.target.code in kb.contract.kinds
        else:
            assert hit.target.type == "event"
            assert hit.target.code in kb.contract.life_events
        if hit.target.service_id is not None:
            assert kb.services[hit.target.service_id].kind == hit.target.code


def check_understanding(kb, understanding: Understanding, top: int) -> None:
    assert len(understanding.kinds) <= top and len(understanding.events) <= top
    for code, score in understanding.kinds:
        assert code in kb.contract.kinds
        assert 0.0 <= score <= 1.0
    for code, score in understanding.events:
        assert code in kb.contract.life_events
        assert 0.0 <= score <= 1.0
    assert set(understanding.named) <= set(kb.services)
    for intent in (None, "need", "life_event"):
        decision = decide(understanding, intent)
        assert decision.kind is None or decision.event is None
        assert len(decision.choices) <= MAX_CHOICES
        for option_type, code in decision.choices:
            assert code in (kb.contract.kinds if option_type == "kind" else kb.contract.life_events)


@PROPERTY
@given(text=TEXTS)
def test_nlu_component_never_crashes(kb, component, text):
    """What Rasa runs on every message: the search, combined, in the parse data."""
    (message,) = component.process([Message(data={TEXT: text})])
    output = message.get(OUTPUT_KEY)
    understanding = Understanding.from_dict(output)
    # The parse data travels to the action server as JSON and reads back the same.
    assert understanding.as_dict() == output
    check_understanding(kb, understanding, int(component._config["top"]))


def kb_texts(phrases: list[str]) -> st.SearchStrategy[str]:
    """Messages made of the knowledge base's own phrases and words, in any order."""
    words = sorted({word for phrase in phrases for word in phrase.split()})
    part = st.one_of(st.sampled_from(phrases), st.sampled_from(words), PIECES)
    return st.builds(
        lambda parts, sep: sep.join(parts),
        st.lists(part, min_size=1, max_size=40),
        st.sampled_from([" ", "", "-", "'", "\n"]),
    )


@PROPERTY
@given(data=st.data(), limit=st.sampled_from([1, 10, 50]))
# A phrase that covers itself fully once scored 1.0000000000000002.
@example(data=None, limit=1).via("the search's rounding above 1")
def test_search_never_crashes(kb, index, phrases, data, limit):
    """The index itself, on the whole text (the component cuts it at 2,000 characters)."""
    if data is None:
        text = "Info-Santé 811 (health advice from a nurse)"
    else:
        text = data.draw(st.one_of(TEXTS, kb_texts(sorted(phrases))), label="text")
    hits = index.search(text, limit=limit)
    check_hits(kb, phrases, hits, limit)
    assert set(named_services(hits)) <= set(kb.services)
    assert all(0.0 <= s <= 1.0 for s in [*rank_kinds(hits).values(), *rank_events(hits).values()])
    folded = fold(text)
    assert folded == folded.strip() and re.fullmatch(r"[a-z0-9 ]*", folded)
    assert all(lemma and " " not in lemma for lemma in lemmas(text))


LABELS = st.one_of(
    st.sampled_from(["kind:passport", "kind:health-card", "event:new-baby", "intent:greet"]),
    st.builds(
        lambda p, s: p + s,
        st.sampled_from([KIND_PREFIX, EVENT_PREFIX, INTENT_PREFIX]),
        st.text(max_size=10),
    ),
)


@PROPERTY
@given(
    text=TEXTS,
    probabilities=st.dictionaries(LABELS, st.floats(0.0, 1.0), max_size=8),
)
def test_combined_with_any_classifier_output(kb, index, text, probabilities):
    """The classifier's labels are the model's: unknown codes are dropped, scores stay in range."""
    known = {
        label: p
        for label, p in probabilities.items()
        if label.removeprefix(KIND_PREFIX) in kb.contract.kinds
        or label.removeprefix(EVENT_PREFIX) in kb.contract.life_events
        or label.startswith(INTENT_PREFIX)
    }
    understanding = combine(known, index.search(text[:2000], limit=50), top=5)
    check_understanding(kb, understanding, 5)


_FSA_RE = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[A-Z]$")


def check_location(kb, found: Location) -> None:
    contract = kb.contract
    assert found.found == (found.province is not None)
    if not found.found:
        assert found == Location()
        return
    assert found.province in contract.provinces
    if found.municipality is not None:
        assert found.municipality in contract.municipalities
        assert contract.jurisdictions[found.municipality].province == found.province
        assert found.town is None
    if found.fsa is not None:
        # Only the forward sortation area is ever kept.
        assert _FSA_RE.match(found.fsa)
        assert found.fsa[0] in contract.postal_prefixes(found.province)
    if found.town is not None:
        assert found.town.strip()


@PROPERTY
@given(text=TEXTS)
def test_location_never_crashes(kb, text):
    """What the actions run on every message, and on the client's ``location`` metadata."""
    check_location(kb, parse_location(text, kb.contract, kb.fsa_cities))
    check_location(kb, parse_location(text[:100], kb.contract, kb.fsa_cities))
    check_location(kb, parse_location(text, kb.contract))
