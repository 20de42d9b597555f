"""Choose the right service for a need and a place: pure functions over the knowledge base."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.knowledge import Channel, Government, KnowledgeBase, Service
from bot.location import Location
from bot.text import fold

_SPECIFICITY = {"municipal": 0, "provincial": 1, "territorial": 1, "federal": 2}


def _level(order: str) -> str:
    return "provincial" if order == "territorial" else order


def _mentions(text: str, words: dict[str, tuple[str, ...]]) -> bool:
    if not text:
        return False
    padded = f" {fold(text)} "
    return any(f" {fold(w)} " in padded for ws in words.values() for w in ws if fold(w))


def candidates(kb: KnowledgeBase, kind: str, location: Location) -> list[Service]:
    """Services of ``kind`` that serve a citizen at ``location``.

    Args:
        kb: The knowledge base.
        kind: A service kind code.
        location: Where the citizen lives (may be empty: then only federal services).

    Returns:
        The applicable services, unordered.
    """
    out = []
    for service in kb.by_kind.get(kind, []):
        if service.order == "federal":
            if location.province and location.province in service.except_in:
                continue
            out.append(service)
        elif service.jurisdiction in (location.province, location.municipality):
            out.append(service)
    return out


def rank(
    kb: KnowledgeBase,
    kind: str,
    location: Location,
    text: str = "",
    named: Iterable[str] = (),
) -> list[Service]:
    """Order the services of ``kind`` for a citizen at ``location``, best first.

    A service whose ``prefer_when`` words appear in ``text`` comes first, then one
    the citizen named specifically, then the kind's usual order of government
    (``usually`` in the taxonomy); a provincial service delivered locally yields
    to the city's own service.

    Args:
        kb: The knowledge base.
        kind: A service kind code.
        location: Where the citizen lives.
        text: The citizen's words (for ``prefer_when``).
        named: Ids of services the citizen's words name specifically.

    Returns:
        The applicable services, best first.
    """
    found = candidates(kb, kind, location)
    if not found:
        return []
    usual = [_level(o) for o in kb.contract.kinds[kind].usually]
    named_set = set(named)
    if named_set >= {s.id for s in found}:
        named_set = set()
    local_first = any(s.delivered_locally for s in found) and any(
        s.order == "municipal" for s in found
    )

    has_main = any(s.id.count(".") == 1 for s in found)

    def key(service: Service) -> tuple[float, ...]:
        level = _level(service.order)
        position = float(usual.index(level)) if level in usual else float(len(usual))
        if service.delivered_locally and local_first:
            position += 0.6
        if service.order == "municipal" and local_first:
            position = min(position, -0.5)
        return (
            0.0 if service.prefer_when and _mentions(text, service.prefer_when) else 1.0,
            0.0 if service.id in named_set else 1.0,
            # A variant ("ca.student-aid.resp") answers only when named: the kind's
            # main service comes first, whatever its order of government.
            1.0 if has_main and service.id.count(".") > 1 else 0.0,
            position,
            float(_SPECIFICITY[service.order]),
        )

    return sorted(found, key=lambda s: (key(s), s.id))


def needs_location(kb: KnowledgeBase, kind: str, text: str = "", named: Iterable[str] = ()) -> bool:
    """Whether the referral for ``kind`` depends on where the citizen lives.

    It does when the kind has a provincial, territorial or municipal service
    anywhere, or a federal one that some province replaces, unless the citizen's
    words already point at a federal service that applies everywhere (one they
    named, or one whose ``prefer_when`` words they used).

    Args:
        kb: The knowledge base.
        kind: A service kind code.
        text: The citizen's words.
        named: Ids of services the citizen named specifically.

    Returns:
        True when the assistant must ask where the citizen lives.
    """
    services = kb.by_kind.get(kind, [])
    named_set = set(named)
    everywhere = [s for s in services if s.order == "federal" and not s.except_in]
    for service in everywhere:
        if service.id in named_set and not any(
            s.id in named_set for s in services if s.order != "federal"
        ):
            return False
        if service.prefer_when and _mentions(text, service.prefer_when):
            return False
    return any(s.order != "federal" or s.except_in for s in services)


def event_needs_location(kb: KnowledgeBase, event: str) -> bool:
    """Whether any service of a life event depends on where the citizen lives."""
    return any(needs_location(kb, kind) for kind in kb.life_events[event].kinds)


def resolve_event(kb: KnowledgeBase, event: str, location: Location) -> list[Service]:
    """The bundle of a life event: the best service of each kind, most urgent first.

    Args:
        kb: The knowledge base.
        event: A life-event code.
        location: Where the citizen lives.

    Returns:
        One service per kind that has one for this location.
    """
    bundle = []
    for kind in kb.life_events[event].kinds:
        ranked = rank(kb, kind, location)
        if ranked:
            bundle.append(ranked[0])
    return bundle


@dataclass(frozen=True)
class Contact:
    """A government's general line: where to send someone the assistant cannot route."""

    government: Government
    line: Channel


def general_contact(kb: KnowledgeBase, location: Location, federal: bool = False) -> Contact:
    """The best general line for a citizen: city, then province, then 1 800 O-Canada.

    Args:
        kb: The knowledge base.
        location: Where the citizen lives.
        federal: Whether the question is federal (then 1 800 O-Canada first).

    Returns:
        The contact to give.

    Raises:
        LookupError: When the knowledge base has no federal general line.
    """
    order: Sequence[str | None] = (
        ("ca",) if federal else (location.municipality, location.province, "ca")
    )
    for jur in order:
        government = kb.government(jur) if jur else None
        if government is not None and government.general_line is not None:
            return Contact(government, government.general_line)
    raise LookupError("the knowledge base has no general line for the Government of Canada")
