"""The nearest office for a service, with whether it is open now.

Citizens say where they are with a city, a town, an address that holds one, or
a postal code; only the town and the forward sortation area are kept (see
:mod:`bot.location`), and they are enough to measure distances.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.hours import HoursStatus, status
from bot.knowledge import KnowledgeBase, Service, ServicePoint
from bot.location import Location, municipality_place
from bot.places import distance_km, lookup

MAX_OFFICES = 3


@dataclass(frozen=True)
class NearbyOffice:
    """A service point, how far it is, and whether it is open."""

    point: ServicePoint
    distance_km: float | None
    status: HoursStatus


def citizen_coordinates(kb: KnowledgeBase, location: Location) -> tuple[float, float] | None:
    """Where the citizen is, as precisely as the location allows.

    A town or city gives its centre; a postal code's forward sortation area gives the
    offices that share it, or the city it identifies.
    """
    if location.town and location.province:
        place = lookup(location.town, location.province)
        if place is not None:
            return place.coordinates
    if location.fsa:
        same = [
            p.coordinates
            for p in kb.service_points.values()
            if p.coordinates and p.postal_code[:3] == location.fsa
        ]
        if same:
            return (
                sum(c[0] for c in same) / len(same),
                sum(c[1] for c in same) / len(same),
            )
    if location.municipality:
        place = municipality_place(kb.contract, location.municipality)
        if place is not None:
            return place.coordinates
    return None


def points_for(kb: KnowledgeBase, service: Service) -> list[ServicePoint]:
    """Every service point where ``service`` is offered."""
    return [p for p in kb.service_points.values() if p.serves(service)]


def nearest_offices(
    kb: KnowledgeBase,
    service: Service,
    location: Location,
    now: dt.datetime,
    limit: int = MAX_OFFICES,
) -> list[NearbyOffice]:
    """The offices for ``service`` nearest to the citizen, nearest first.

    Args:
        kb: The knowledge base.
        service: The service the citizen needs.
        location: Where the citizen is.
        now: The current time (aware), for opening status.
        limit: How many offices at most.

    Returns:
        Offices nearest first; empty when the service has no office or the
        location is too vague to measure (no town, city or known postal area).
    """
    points = points_for(kb, service)
    origin = citizen_coordinates(kb, location)
    if not points or origin is None:
        return []
    measured = [(distance_km(origin, p.coordinates) if p.coordinates else None, p) for p in points]
    measured.sort(key=lambda item: (item[0] is None, item[0] or 0.0, item[1].id))
    return [
        NearbyOffice(point, distance, status(point.hours, now))
        for distance, point in measured[:limit]
    ]
