"""Decide which service kind or life event a message is about.

Two signals are combined: a text classifier trained on the NLU examples (each
``need`` and ``life_event`` example carries its kind or event as metadata) and
the fuzzy search of the knowledge base's names, keywords and synonyms. The
classifier generalizes over phrasings; the search knows every synonym and
acronym in the knowledge base, even ones no training example uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.constants import INTENT_LIFE_EVENT, INTENT_NEED
from bot.search import Hit, named_services, rank_events, rank_kinds

KIND_PREFIX = "kind:"
EVENT_PREFIX = "event:"
INTENT_PREFIX = "intent:"
# Below this probability of being a need, kind probabilities are not rescaled up.
MIN_NEED_MASS = 0.3

CLASSIFIER_WEIGHT = 0.6
SEARCH_WEIGHT = 0.4
# A label is acted on when its combined score reaches CONFIDENT and leads the
# runner-up by MARGIN; otherwise labels above CHOICE_MIN are offered as choices.
# Chosen with scripts/calibrate.py (cross-validation on the training data, C=30):
# on held-out needs, 82% are referred right, 5% wrong and 8% get choices that
# hold the right kind.
CONFIDENT = 0.30
MARGIN = 0.15
CHOICE_MIN = 0.12
MAX_CHOICES = 3


@dataclass(frozen=True)
class Understanding:
    """Ranked kinds and life events for one message."""

    kinds: list[tuple[str, float]] = field(default_factory=list)
    events: list[tuple[str, float]] = field(default_factory=list)
    named: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Serialize for the NLU parse data."""
        return {
            "kinds": [[c, round(s, 4)] for c, s in self.kinds],
            "events": [[c, round(s, 4)] for c, s in self.events],
            "named": list(self.named),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Understanding:
        """Read back :meth:`as_dict` output (empty when ``data`` is missing or malformed)."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                [(str(c), float(s)) for c, s in data.get("kinds", [])],
                [(str(c), float(s)) for c, s in data.get("events", [])],
                [str(n) for n in data.get("named", [])],
            )
        except (TypeError, ValueError):
            return cls()


def intent_ranking(probabilities: dict[str, float]) -> list[tuple[str, float]]:
    """Sum label probabilities into intents: ``need`` gathers every ``kind:`` label.

    Args:
        probabilities: Classifier label → probability.

    Returns:
        Intents with their probability, most likely first.
    """
    totals: dict[str, float] = {}
    for label, value in probabilities.items():
        if label.startswith(KIND_PREFIX):
            name = INTENT_NEED
        elif label.startswith(EVENT_PREFIX):
            name = INTENT_LIFE_EVENT
        else:
            name = label[len(INTENT_PREFIX) :]
        totals[name] = totals.get(name, 0.0) + value
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def _conditional(probabilities: dict[str, float], prefix: str) -> dict[str, float]:
    """Probabilities of one family of labels given the family (a need, a life event)."""
    family = {k: v for k, v in probabilities.items() if k.startswith(prefix)}
    mass = max(sum(family.values()), MIN_NEED_MASS)
    return {k: min(1.0, v / mass) for k, v in family.items()}


def combine(probabilities: dict[str, float], hits: list[Hit], top: int = 5) -> Understanding:
    """Combine classifier probabilities with search hits.

    Args:
        probabilities: Classifier label → probability; labels are ``kind:<code>`` or
            ``event:<code>``.
        hits: Search hits for the same text.
        top: How many kinds and events to keep.

    Returns:
        Kinds and events ranked by combined score.
    """
    kind_search = rank_kinds(hits)
    event_search = rank_events(hits)
    probabilities = {
        **_conditional(probabilities, KIND_PREFIX),
        **_conditional(probabilities, EVENT_PREFIX),
    }

    def merged(prefix: str, search: dict[str, float]) -> list[tuple[str, float]]:
        codes = {label[len(prefix) :] for label in probabilities if label.startswith(prefix)}
        codes |= set(search)
        scored = [
            (
                code,
                CLASSIFIER_WEIGHT * probabilities.get(prefix + code, 0.0)
                + SEARCH_WEIGHT * search.get(code, 0.0),
            )
            for code in codes
        ]
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:top]

    return Understanding(
        merged(KIND_PREFIX, kind_search),
        merged(EVENT_PREFIX, event_search),
        named_services(hits),
    )


@dataclass(frozen=True)
class Decision:
    """What the message asks for: one kind, one life event, a few choices, or nothing."""

    kind: str | None = None
    event: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # (type, code)


def _confident(ranked: list[tuple[str, float]]) -> str | None:
    if not ranked:
        return None
    best = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0] if best >= CONFIDENT and best - runner_up >= MARGIN else None


def decide(understanding: Understanding, intent: str | None) -> Decision:
    """Pick a kind or life event, or offer choices when nothing is confident.

    Args:
        understanding: The ranked kinds and events.
        intent: The NLU intent (``life_event`` favours events, anything else kinds).

    Returns:
        The decision.
    """
    kinds, events = understanding.kinds, understanding.events
    if intent == "life_event":
        event = _confident(events)
        if event:
            return Decision(event=event)
    kind = _confident(kinds)
    if kind:
        return Decision(kind=kind)
    event = _confident(events)
    if event:
        return Decision(event=event)
    pool = [("event", c, s) for c, s in events] + [("kind", c, s) for c, s in kinds]
    pool.sort(key=lambda item: -item[2])
    options = [(t, c) for t, c, s in pool if s >= CHOICE_MIN][:MAX_CHOICES]
    if len(options) == 1:
        return (
            Decision(kind=options[0][1])
            if options[0][0] == "kind"
            else Decision(event=options[0][1])
        )
    return Decision(choices=options)
