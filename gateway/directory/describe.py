"""The words for "when", "where" and "for whom" that every channel says about a service.

One wording for SMS, voice and web, so a resident hears the same thing however she asks.
Everything is phrased in the current Babel locale (callers pick it with ``force_locale``)
and kept short: a phrase must fit on one line of a basic phone's screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time, get_day_names
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from gateway.config import settings
from gateway.directory.hours import DatedClosure, HoursStatus, WeeklyRange
from gateway.directory.queries import Place, ServiceCard
from gateway.i18n import Localized, joined, pick_text
from gateway.models import AccessCondition, Location, ServiceStatus

# A run that lasts longer than this is "open 24 hours", not "open until next week".
_ROUND_THE_CLOCK = timedelta(days=6)

_CLOSURE_REASONS: dict[str, LazyString] = {
    "holiday": _l("holiday"),
    "works": _l("works"),
}

_ACCESS: dict[str, LazyString] = {
    AccessCondition.FREE: _l("Free"),
    AccessCondition.APPOINTMENT: _l("By appointment"),
    AccessCondition.REFERRAL: _l("Referral needed"),
    AccessCondition.UNCONDITIONAL: _l("Open to all"),
}


def _locale() -> Locale:
    return get_locale() or Locale.parse("fr")


def time_phrase(moment: datetime | time) -> str:
    """A clock time the locale's short way ("9:00 AM", "09:00")."""
    return format_time(moment, "short", tzinfo=getattr(moment, "tzinfo", None), locale=_locale())


def day_phrase(day: date) -> str:
    """A day and month without the year ("3 January", "January 3")."""
    return format_skeleton("MMMMd", day, locale=_locale())


def weekday_name(weekday: int) -> str:
    """The name of a day of the week (0 is Monday), the current locale's way: every channel
    and the back office name days from here, in the locale's own words."""
    return str(get_day_names("wide", locale=_locale())[weekday])


def _opening_phrase(starts: datetime, today: date) -> str:
    """When the next opening starts, relative to today when that is shorter."""
    at = time_phrase(starts)
    day = starts.date()
    if day == today:
        return _("Opens today at %(time)s", time=at)
    if day == today + timedelta(days=1):
        return _("Opens tomorrow at %(time)s", time=at)
    if day < today + timedelta(days=7):
        return _("Opens %(day)s at %(time)s", day=weekday_name(day.weekday()), time=at)
    return _("Opens %(date)s at %(time)s", date=day_phrase(day), time=at)


def _city_today(at: datetime) -> date:
    return at.astimezone(ZoneInfo(settings().timezone)).date()


def _closure_phrase(closure: DatedClosure, status: HoursStatus, today: date) -> str:
    if closure.ends_on == today and closure.reason in ("closed_today", "full_today"):
        state = _("Full today") if closure.reason == "full_today" else _("Closed today")
        if status.next_opening is None:
            return state
        return _(
            "%(state)s. %(next)s",
            state=state,
            next=_opening_phrase(status.next_opening.starts, today),
        )
    until = day_phrase(closure.ends_on)
    reason = _CLOSURE_REASONS.get(closure.reason)
    if reason is None:
        return _("Closed until %(date)s", date=until)
    return _("Closed until %(date)s (%(reason)s)", date=until, reason=reason)


def hours_phrase(subject: ServiceCard | HoursStatus, at: datetime) -> str:
    """Where a service stands at ``at``: open until, opens when, closed until, or ask them.

    Takes a whole card when there is one (it knows "temporarily closed" and whether there is
    a phone to call), or only the hours status. "Today" is the city's (``TIMEZONE``).
    """
    if isinstance(subject, ServiceCard):
        if subject.status is not ServiceStatus.ACTIVE:
            return _("Temporarily closed")
        status, has_phone = subject.hours, bool(subject.phones)
    else:
        status, has_phone = subject, False
    if not status.has_hours:
        return _("Hours: call") if has_phone else _("Hours not listed")
    today = _city_today(at)
    closes_at = status.closes_at
    if round_the_clock(status, at):
        return _("Open 24 hours")
    if status.open_now and closes_at is not None:
        if closes_at.date() == today:
            return _("Open now until %(time)s", time=time_phrase(closes_at))
        if closes_at.date() == today + timedelta(days=1):
            return _("Open now until tomorrow %(time)s", time=time_phrase(closes_at))
        return _(
            "Open now until %(day)s %(time)s",
            day=weekday_name(closes_at.date().weekday()),
            time=time_phrase(closes_at),
        )
    if status.closure is not None:
        return _closure_phrase(status.closure, status, today)
    if status.next_opening is not None:
        return _opening_phrase(status.next_opening.starts, today)
    return _("Closed for now")


def round_the_clock(status: HoursStatus, at: datetime) -> bool:
    """Open now and for days on end: a line that never closes has no "next opening"."""
    return (
        status.open_now
        and status.closes_at is not None
        and status.closes_at - at > _ROUND_THE_CLOCK
    )


def _range_phrase(weekly: WeeklyRange) -> str:
    if weekly.opens_at == weekly.closes_at == time(0, 0):
        return _("24 hours")
    return _(
        "%(opens)s–%(closes)s",
        opens=time_phrase(weekly.opens_at),
        closes=time_phrase(weekly.closes_at),
    )


def weekly_hours_lines(week: Iterable[WeeklyRange]) -> list[str]:
    """The week, one line per run of days with the same hours ("Monday–Friday: 9:00–12:00").

    Days without hours are left out; no ranges (a card or a helpline without hours) give no
    lines.
    """
    by_day: dict[int, tuple[str, ...]] = {}
    for weekly in week:
        by_day[weekly.weekday] = (*by_day.get(weekly.weekday, ()), _range_phrase(weekly))
    names = [weekday_name(d) for d in range(7)]
    lines: list[str] = []
    day = 0
    while day < 7:
        ranges = by_day.get(day)
        last = day
        while last + 1 < 7 and by_day.get(last + 1) == ranges:
            last += 1
        if ranges:
            days = (
                names[day]
                if last == day
                else _("%(first)s–%(last)s", first=names[day], last=names[last])
            )
            lines.append(_("%(days)s: %(hours)s", days=days, hours=", ".join(ranges)))
        day = last + 1
    return lines


def closure_notes(card: ServiceCard) -> list[Localized]:
    """The social workers' own words about current and coming closures, in the best locale."""
    code = str(_locale())
    notes = [pick_text(closure.message, code) for closure in card.upcoming_closures]
    return [note for note in notes if note.text]


def address_line(location: Place | Location | None, *, with_city: bool = True) -> str:
    """The street address, then postcode and city unless the line must stay short."""
    if location is None:
        return ""
    street = location.address or location.name
    if not with_city:
        return street
    town = " ".join(part for part in (location.postcode, location.city) if part)
    return ", ".join(part for part in (street, town) if part)


def distance_phrase(kilometres: float) -> str:
    """A walkable distance: metres under one kilometre, else kilometres to one decimal."""
    if kilometres < 1:
        return _(
            "%(metres)s m", metres=format_decimal(round(kilometres * 1000, -1), locale=_locale())
        )
    return _("%(km)s km", km=format_decimal(round(kilometres, 1), locale=_locale()))


def access_phrase(card: ServiceCard) -> str:
    """The conditions to get in ("Free, by appointment"), from the service's access flags."""
    words = [str(_ACCESS[c]) for c in card.access_conditions if c in _ACCESS]
    if not words:
        return ""
    return joined([words[0], *(word[:1].lower() + word[1:] for word in words[1:])])


def language_name(code: str) -> str:
    """A language's name in the current locale; the code itself when Babel does not know it."""
    try:
        name = Locale.parse(code).get_language_name(_locale())
    except (UnknownLocaleError, ValueError):
        return code
    return name or code


def languages_phrase(codes: tuple[str, ...] | list[str]) -> str:
    """ "Languages: French, Arabic", or nothing when the service lists none."""
    if not codes:
        return ""
    return _("Languages: %(names)s", names=joined(language_name(code) for code in codes))


def phone_phrase(card: ServiceCard) -> str:
    """The number to call (voice lines first), or nothing."""
    numbers = [number for number, kind in card.phones if kind == "voice"] or [
        number for number, _kind in card.phones
    ]
    if not numbers:
        return ""
    return _("Tel. %(number)s", number=numbers[0])
