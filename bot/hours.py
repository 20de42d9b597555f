"""Opening hours: weekly schedules with time zones and statutory holidays.

A schedule is written in the knowledge base as ``{mon-fri: "08:30-16:30", sat:
"09:00-12:00"}`` in the office's local time. Whether an office is open on a
given day also depends on the statutory holidays of its province, which come
from the maintained ``holidays`` library rather than a hand-written calendar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The ``timezone`` of a national line whose hours are the caller's own local time.
LOCAL_TIME = "local"
#: The time zone most of each province's or territory's people live in, for a caller's local time.
PROVINCE_ZONES = {
    "ca-nl": "America/St_Johns",
    "ca-pe": "America/Halifax",
    "ca-ns": "America/Halifax",
    "ca-nb": "America/Moncton",
    "ca-qc": "America/Toronto",
    "ca-on": "America/Toronto",
    "ca-mb": "America/Winnipeg",
    "ca-sk": "America/Regina",
    "ca-ab": "America/Edmonton",
    "ca-bc": "America/Vancouver",
    "ca-yt": "America/Whitehorse",
    "ca-nt": "America/Yellowknife",
    "ca-nu": "America/Iqaluit",
}
_INTERVAL_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
#: How far ahead to look for the next opening (a long holiday weekend plus a closed week).
_LOOKAHEAD_DAYS = 14

Interval = tuple[int, int]


class ScheduleError(ValueError):
    """A schedule that cannot be read; ``key`` is the day key at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class OpeningHours:
    """When a place is open.

    Attributes:
        weekly: For each day Monday..Sunday, the open intervals in minutes after midnight.
        timezone: IANA time zone of the place.
        holiday_region: Province or territory code (``"ON"``) whose statutory holidays close
            the place, or ``None`` when holidays do not close it.
        holiday_categories: ``holidays`` categories that count (``public``, ``government``).
    """

    weekly: tuple[tuple[Interval, ...], ...]
    timezone: str
    holiday_region: str | None = None
    holiday_categories: tuple[str, ...] = ("public",)

    @property
    def is_local_time(self) -> bool:
        """Whether the hours are the caller's local time (a national line), not one place's."""
        return self.timezone == LOCAL_TIME

    def in_zone(self, zone: str) -> OpeningHours:
        """The same hours in ``zone``: a national line's hours for a caller in that zone."""
        return replace(self, timezone=zone)

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        """Open intervals on a local date, holidays taken into account."""
        if self.holiday_on(day) is not None:
            return ()
        return self.weekly[day.weekday()]

    def holiday_on(self, day: dt.date, language: str = "en") -> str | None:
        """Name of the statutory holiday that closes the place on ``day``, if any."""
        if self.holiday_region is None:
            return None
        table = _holiday_table(self.holiday_region, day.year, self.holiday_categories, language)
        return table.get(day)


@dataclass(frozen=True)
class HoursStatus:
    """Whether a place is open at a moment, and when that changes (local times)."""

    open_now: bool
    closes_at: dt.datetime | None
    opens_at: dt.datetime | None
    holiday_today: dt.date | None


def parse_schedule(spec: Mapping[str, object]) -> tuple[tuple[Interval, ...], ...]:
    """Read a schedule such as ``{"mon-fri": "08:30-16:30", "sat": "09:00-12:00"}``.

    Days not listed are closed; ``"00:00-24:00"`` is all day; several intervals
    are separated by commas. A day may appear only once.

    Raises:
        ScheduleError: Naming the key at fault.
    """
    week: list[tuple[Interval, ...] | None] = [None] * 7
    for key, value in spec.items():
        key = str(key)
        days = _parse_days(key)
        if not isinstance(value, str) or not value.strip():
            raise ScheduleError(key, 'expected intervals such as "08:30-16:30"')
        intervals = tuple(_parse_interval(key, part.strip()) for part in value.split(","))
        ordered = sorted(intervals)
        for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
            if start < end:
                raise ScheduleError(key, f"overlapping intervals in {value!r}")
        for day in days:
            if week[day] is not None:
                raise ScheduleError(key, f"{DAYS[day]} is given twice")
            week[day] = tuple(ordered)
    return tuple(day or () for day in week)


def _parse_days(key: str) -> list[int]:
    parts = key.split("-")
    if any(part not in DAYS for part in parts) or len(parts) > 2:
        raise ScheduleError(key, f"unknown day {key!r} (use {', '.join(DAYS)} or a range mon-fri)")
    first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
    if last < first:
        raise ScheduleError(key, f"day range {key!r} runs backwards")
    return list(range(first, last + 1))


def _parse_interval(key: str, text: str) -> Interval:
    match = _INTERVAL_RE.match(text)
    if not match:
        raise ScheduleError(key, f"malformed interval {text!r} (expected HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
        raise ScheduleError(key, f"impossible interval {text!r}")
    return start, end


def check_timezone(name: str) -> bool:
    """Whether ``name`` is a known IANA time zone, or ``local`` (the caller's own)."""
    if name == LOCAL_TIME:
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def status(hours: OpeningHours, now: dt.datetime) -> HoursStatus:
    """Whether the place is open at ``now`` (any time zone), and the next change.

    Args:
        hours: The place's opening hours.
        now: An aware datetime.

    Returns:
        The status, with ``closes_at`` when open and ``opens_at`` when closed, in local time.

    Raises:
        ValueError: For hours in the caller's local time; see :meth:`OpeningHours.in_zone`.
    """
    if hours.is_local_time:
        raise ValueError("hours in the caller's local time need the caller's time zone")
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    today = local.date()
    minute = local.hour * 60 + local.minute
    holiday_today = today if hours.holiday_on(today) is not None else None
    for start, end in hours.intervals_on(today):
        if start <= minute < end:
            return HoursStatus(True, _at(today, end, zone), None, holiday_today)
    for offset in range(_LOOKAHEAD_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        for start, _ in hours.intervals_on(day):
            if offset > 0 or start > minute:
                return HoursStatus(False, None, _at(day, start, zone), holiday_today)
    return HoursStatus(False, None, None, holiday_today)


def _at(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    if minute >= 24 * 60:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), zone)


@lru_cache(maxsize=256)
def _holiday_table(
    region: str, year: int, categories: tuple[str, ...], language: str
) -> Mapping[dt.date, str]:
    lang = "fr" if language == "fr" else "en_CA"
    table = holidays.country_holidays(
        "CA", subdiv=region, years=year, categories=categories, language=lang
    )
    return {day: name for day, name in table.items()}
