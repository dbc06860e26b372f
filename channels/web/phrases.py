"""The few phrases only a web page says: today's ranges, the next opening, closure dates.

Everything else comes from :mod:`gateway.directory.describe`, shared with SMS and voice.
Phrases are in the current Babel locale; dates and times are the city's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from gateway.directory.describe import time_phrase
from gateway.directory.hours import DatedClosure
from gateway.directory.queries import ServiceCard
from gateway.i18n import Localized, pick_text


def today_hours(card: ServiceCard) -> str:
    """Today's openings, "9:00–12:00, 13:30–17:00", or "24 hours" for a whole day."""
    if any(o.ends - o.starts >= timedelta(days=1) for o in card.hours.today):
        return _("24 hours")
    return ", ".join(
        _("%(opens)s–%(closes)s", opens=time_phrase(o.starts), closes=time_phrase(o.ends))
        for o in card.hours.today
    )


def moment_phrase(moment: datetime) -> str:
    """A day and a time within the next two weeks, "Tuesday 3 March at 9:00"."""
    day = format_skeleton("MMMMEEEEd", moment.date(), locale=get_locale())
    return _("%(day)s at %(time)s", day=day, time=time_phrase(moment))


def long_date(day: date) -> str:
    return str(format_date(day, "long"))


def closure_dates(closure: DatedClosure) -> str:
    if closure.starts_on == closure.ends_on:
        return _("On %(date)s", date=long_date(closure.starts_on))
    return _(
        "From %(start)s to %(end)s",
        start=long_date(closure.starts_on),
        end=long_date(closure.ends_on),
    )


def closure_note(closure: DatedClosure) -> Localized:
    """The social workers' words about a closure, in the best locale they wrote."""
    return pick_text(closure.message, str(get_locale()))
