"""The back office's forms: raw values in, plain data or plain-worded errors out.

A form keeps exactly what was typed, so that a page shown again with errors loses nothing;
:meth:`ServiceForm.validate` turns it into :class:`~gateway.directory.operations.ServiceData`
or fills ``errors``, keyed by the id of the input each error belongs next to. Times and dates
are read the way people write them ("9h30", "24/12/2026").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Self

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from gateway.admin import passwords
from gateway.audit import clock
from gateway.directory.describe import weekday_name
from gateway.directory.hours import WeeklyRange
from gateway.directory.operations import (
    ClosureData,
    OrganizationData,
    PhoneData,
    PlaceData,
    ServiceData,
    TextData,
)
from gateway.i18n import LANGUAGE_NAMES, ORIGINAL_LOCALE
from gateway.messaging.gsm import encode_for_sms
from gateway.models import (
    SUMMARY_MAX_CHARS,
    TEXT_FIELDS,
    AccessCondition,
    ClosureReason,
    ServiceStatus,
    UserRole,
)

NAME_MAX = 200
LONG_TEXT_MAX = 5000
CLOSURE_MESSAGE_MAX = 300
PHONE_KINDS = ("voice", "cell", "text", "textphone", "fax", "video")

TEXT_LABELS = {
    "name": _l("Name"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "eligibility": _l("Who can come"),
    "how_to_access": _l("How to get help"),
}

STATUS_LABELS = {
    ServiceStatus.ACTIVE: _l("Open as usual"),
    ServiceStatus.TEMPORARILY_CLOSED: _l("Temporarily closed"),
    ServiceStatus.INACTIVE: _l("No longer running"),
}

ACCESS_LABELS = {
    AccessCondition.FREE: _l("Free of charge"),
    AccessCondition.APPOINTMENT: _l("By appointment"),
    AccessCondition.REFERRAL: _l("On referral by a social worker"),
    AccessCondition.UNCONDITIONAL: _l("Open to everyone, no questions asked"),
}

REASON_LABELS = {
    ClosureReason.HOLIDAY: _l("Holiday"),
    ClosureReason.WORKS: _l("Works"),
    ClosureReason.CLOSED_TODAY: _l("Closed today"),
    ClosureReason.FULL_TODAY: _l("Full today"),
    ClosureReason.OTHER: _l("Other reason"),
}

PHONE_KIND_LABELS = {
    "voice": _l("Phone"),
    "cell": _l("Mobile phone"),
    "text": _l("Text messages (SMS)"),
    "textphone": _l("Textphone"),
    "fax": _l("Fax"),
    "video": _l("Video call"),
}

FIELD_NAMES = {
    "organization_id": _l("Organisation"),
    "status": _l("Status"),
    "url": _l("Web site"),
    "email": _l("Email"),
    "categories": _l("Categories"),
    "languages_other": _l("Other languages"),
    "name": _l("Name"),
    "description": _l("Description"),
    "website": _l("Web site"),
    "role": _l("Role"),
    "password": _l("Password"),
    "current_password": _l("Current password"),
    "new_password": _l("New password"),
    "new_password_again": _l("New password again"),
    "active": _l("Account enabled"),
}

ROLE_LABELS = {
    UserRole.EDITOR: _l("Editor: keeps services up to date"),
    UserRole.ADMIN: _l("Administrator: everything, accounts included"),
}

_TIME = re.compile(r"^(\d{1,2})(?:\s*[:hH.]\s*(\d{2})?)?$")
_COMPACT_TIME = re.compile(r"^(\d{1,2})(\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LOCAL_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{2,31}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_ROW = re.compile(r"^(closure|phone|place)-(\d+)-")
_SLOT = re.compile(r"^hours-(\d)-(\d+)-")


def parse_time(raw: str) -> time | None:
    """A clock time as people write it: "9", "9h", "9h30", "09:30", "0930", "24:00"."""
    text = raw.strip()
    match = _TIME.match(text) or _COMPACT_TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour == 24 and minute == 0:
        return time(0, 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_date(raw: str) -> date | None:
    """A date written 2026-12-24 (what date inputs send) or 24/12/2026."""
    text = raw.strip()
    try:
        if match := _ISO_DATE.match(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _LOCAL_DATE.match(text):
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    return None


def parse_number(raw: str) -> float | None:
    try:
        return float(raw.strip().replace(",", "."))
    except ValueError:
        return None


def clean_url(raw: str) -> str | None:
    """A web address; "example.org" gets its "https://"; None when it cannot be one."""
    text = raw.strip()
    if not text:
        return ""
    if " " in text:
        return None
    if not re.match(r"^https?://", text, re.IGNORECASE):
        if "." not in text or "/" in text.split(".", 1)[0]:
            return None
        text = "https://" + text
    return text if len(text) <= 500 else None


@dataclass(frozen=True)
class SummaryLength:
    """A summary's length as residents' phones count it."""

    characters: int
    segments: int
    encoding: str
    limit: int = SUMMARY_MAX_CHARS

    @property
    def too_long(self) -> bool:
        return self.characters > self.limit


def has_control_characters(text: str) -> bool:
    """NUL, CR, LF and the like: never part of a name or an address, and NUL is refused
    by PostgreSQL, so such a value is an error to show, not a query to run."""
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def summary_length(text: str) -> SummaryLength:
    sms = encode_for_sms(text)
    return SummaryLength(len(text), sms.segments, sms.encoding)


class Form:
    """Raw values (one per name, or several for checkboxes) and the errors found in them."""

    multi: tuple[str, ...] = ()

    def __init__(self, values: Mapping[str, str], lists: Mapping[str, list[str]]) -> None:
        self.values = dict(values)
        self.lists = {name: list(items) for name, items in lists.items()}
        self.errors: dict[str, str] = {}

    @classmethod
    def from_request(cls, form: MultiDict[str, str], **context: object) -> Self:
        values = {name: form.get(name, "") for name in form if name not in cls.multi}
        lists = {name: form.getlist(name) for name in cls.multi}
        return cls(values, lists, **context)  # type: ignore[arg-type]

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def describe(self, name: str) -> str:
        """The label of the field ``name``, for the list of errors atop the page."""
        return str(FIELD_NAMES.get(name, ""))

    def checked(self, name: str, value: str = "on") -> bool:
        if name in self.multi:
            return value in self.lists.get(name, [])
        return self.values.get(name) == value

    def text(self, name: str, label_max: int, required: str | None = None) -> str:
        """The stripped value; an error when required and empty or longer than allowed."""
        value = self.value(name).strip()
        if required and not value:
            self.errors[name] = required
        elif len(value) > label_max:
            self.errors[name] = _(
                "This is %(length)s characters long; keep it to %(max)s or fewer.",
                length=len(value),
                max=label_max,
            )
        return value

    def email(self, name: str) -> str | None:
        value = self.value(name).strip()
        if value and (not _EMAIL.match(value) or len(value) > 254):
            self.errors[name] = _("Write an email address like name@example.org.")
        return value or None

    def url(self, name: str) -> str | None:
        cleaned = clean_url(self.value(name))
        if cleaned is None:
            self.errors[name] = _("Write a web address like https://example.org.")
        return cleaned or None


def _indexes(names: Iterable[str], kind: str) -> list[int]:
    found = set()
    for name in names:
        match = _ROW.match(name)
        if match and match.group(1) == kind:
            found.add(int(match.group(2)))
    return sorted(found)


class ServiceForm(Form):
    """The one form of a service: every field, the weekly hours grid, closures, texts."""

    multi = ("categories", "access_conditions", "languages")

    def __init__(
        self,
        values: Mapping[str, str],
        lists: Mapping[str, list[str]],
        locales: Sequence[str] = (ORIGINAL_LOCALE,),
        original: Mapping[str, str] | None = None,
        text_status: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(values, lists)
        self.locales = [ORIGINAL_LOCALE] + [c for c in locales if c != ORIGINAL_LOCALE]
        # The French texts as saved, shown beside translations, and each locale's status.
        self.original = dict(original or {})
        self.text_status = dict(text_status or {})
        names = list(self.values)
        self.closure_rows = self._rows(_indexes(names, "closure"), "closure")
        self.phone_rows = self._rows(_indexes(names, "phone"), "phone")
        self.place_rows = self._rows(_indexes(names, "place"), "place")
        self.hour_slots = self._slots(names)

    def _rows(self, indexes: list[int], kind: str) -> list[int]:
        """The rows typed or saved, and one blank row to add another."""
        filled = [i for i in indexes if self._row_has_values(kind, i)]
        return filled + [max(indexes, default=-1) + 1]

    def _row_has_values(self, kind: str, index: int) -> bool:
        prefix = f"{kind}-{index}-"
        return any(
            value.strip() and not name.endswith(("-reason", "-kind"))
            for name, value in self.values.items()
            if name.startswith(prefix)
        )

    def _slots(self, names: list[str]) -> dict[int, list[int]]:
        slots: dict[int, set[int]] = {day: set() for day in range(7)}
        for name in names:
            if match := _SLOT.match(name):
                slots[int(match.group(1))].add(int(match.group(2)))
        result = {}
        for day, indexes in slots.items():
            filled = [i for i in sorted(indexes) if self._slot_has_values(day, i)]
            spare = max(indexes, default=-1) + 1
            result[day] = filled + [spare] + ([spare + 1] if not filled else [])
        return result

    def _slot_has_values(self, day: int, index: int) -> bool:
        return any(self.value(f"hours-{day}-{index}-{end}").strip() for end in ("opens", "closes"))

    @classmethod
    def for_service(cls, data: ServiceData, locales: Sequence[str], statuses: Mapping[str, str]):  # type: ignore[no-untyped-def]
        """The form filled with a service's current state."""
        values: dict[str, str] = {
            "organization_id": data.organization_id,
            "status": ServiceStatus(data.status).value,
            "url": data.url or "",
            "email": data.email or "",
        }
        known_languages = set(locales)
        lists = {
            "categories": list(data.categories),
            "access_conditions": list(data.access_conditions),
            "languages": [code for code in data.languages if code in known_languages],
        }
        values["languages_other"] = ", ".join(
            code for code in data.languages if code not in known_languages
        )
        for locale, texts in data.texts.items():
            for name, value in texts.values().items():
                values[f"text-{locale}-{name}"] = value
        per_day: dict[int, int] = {}
        for weekly in data.hours:
            index = per_day.get(weekly.weekday, 0)
            per_day[weekly.weekday] = index + 1
            values[f"hours-{weekly.weekday}-{index}-opens"] = clock(weekly.opens_at)
            values[f"hours-{weekly.weekday}-{index}-closes"] = clock(weekly.closes_at)
        for i, closure in enumerate(data.closures):
            values[f"closure-{i}-id"] = closure.id or ""
            values[f"closure-{i}-starts_on"] = closure.starts_on.isoformat()
            values[f"closure-{i}-ends_on"] = closure.ends_on.isoformat()
            values[f"closure-{i}-reason"] = ClosureReason(closure.reason).value
            for locale, message in closure.message.items():
                values[f"closure-{i}-message-{locale}"] = message
        for i, phone in enumerate(data.phones):
            values[f"phone-{i}-id"] = phone.id or ""
            values[f"phone-{i}-number"] = phone.number
            values[f"phone-{i}-kind"] = phone.kind
            values[f"phone-{i}-description"] = phone.description
        for i, place in enumerate(data.places):
            values[f"place-{i}-id"] = place.location_id or ""
            for name in ("name", "address", "postcode", "city", "district"):
                values[f"place-{i}-{name}"] = getattr(place, name)
            for name in ("latitude", "longitude"):
                number = getattr(place, name)
                values[f"place-{i}-{name}"] = "" if number is None else f"{number:g}"
        original = data.texts.get(ORIGINAL_LOCALE, TextData()).values()
        return cls(values, lists, locales, original, statuses)

    # ---------------------------------------------------------------------------------------

    def describe(self, name: str) -> str:
        if match := re.match(r"^text-([a-z]+)-(\w+)$", name):
            locale, field = match.groups()
            label = TEXT_LABELS.get(field, field)
            return f"{label} ({LANGUAGE_NAMES.get(locale, locale)})"
        if match := re.match(r"^hours-(\d)-(\d+)-(opens|closes)$", name):
            day, slot, end = match.groups()
            which = _("opens") if end == "opens" else _("closes")
            return f"{weekday_name(int(day))} {int(slot) + 1}, {which}"
        if match := _ROW.match(name):
            kind, index = match.groups()
            labels = {"closure": _("Closure"), "phone": _("Phone number"), "place": _("Place")}
            return f"{labels[kind]} {int(index) + 1}"
        return super().describe(name)

    def summary_length(self, locale: str) -> SummaryLength:
        return summary_length(self.value(f"text-{locale}-summary").strip())

    def field_state(self, locale: str, field: str) -> str:
        """missing / needs_review / done for a translated field, "" when French is empty."""
        source = self.original.get(field, "")
        value = self.value(f"text-{locale}-{field}").strip()
        if not source:
            return "done" if value else ""
        if not value:
            return "missing"
        return "needs_review" if self.text_status.get(locale) == "needs_review" else "done"

    def locale_counts(self, locale: str) -> dict[str, int]:
        counts = {"missing": 0, "needs_review": 0, "done": 0}
        for field in TEXT_FIELDS:
            state = self.field_state(locale, field)
            if state:
                counts[state] += 1
        return counts

    def locale_has_errors(self, locale: str) -> bool:
        return any(name.startswith(f"text-{locale}-") for name in self.errors)

    # ---------------------------------------------------------------------------------------

    def validate(
        self, organization_ids: Iterable[str], category_slugs: Iterable[str]
    ) -> ServiceData | None:
        """The service data the form holds, or None with ``errors`` filled."""
        self.errors = {}
        organization_id = self.value("organization_id")
        if organization_id not in set(organization_ids):
            self.errors["organization_id"] = _("Choose the organisation that runs this service.")
        try:
            status = ServiceStatus(self.value("status") or ServiceStatus.ACTIVE.value)
        except ValueError:
            self.errors["status"] = _("Choose whether the service is open.")
            status = ServiceStatus.ACTIVE
        url = self.url("url")
        email = self.email("email")
        known = set(category_slugs)
        categories = [slug for slug in self.lists.get("categories", []) if slug in known]
        if not categories:
            self.errors["categories"] = _(
                "Choose at least one category, so that residents can find this service."
            )
        access = [c for c in self.lists.get("access_conditions", []) if c in set(AccessCondition)]
        languages = list(dict.fromkeys(self.lists.get("languages", [])))
        for code in re.split(r"[,;\s]+", self.value("languages_other").strip().lower()):
            if not code:
                continue
            if not _LANGUAGE.match(code):
                self.errors["languages_other"] = _(
                    "Write language codes separated by commas, like: wo, ro, tr."
                )
            elif code not in languages:
                languages.append(code)
        data = ServiceData(
            organization_id=organization_id,
            texts=self._texts(),
            categories=categories,
            status=status,
            url=url,
            email=email,
            access_conditions=access,
            languages=languages,
            hours=self._hours(),
            closures=self._closures(),
            phones=self._phones(),
            places=self._places(),
        )
        return None if self.errors else data

    def _texts(self) -> dict[str, TextData]:
        texts = {}
        for locale in self.locales:
            sent = any(f"text-{locale}-{name}" in self.values for name in TEXT_FIELDS)
            if locale != ORIGINAL_LOCALE and not sent:
                continue  # not on the page that was sent: leave this locale as it is
            values = {}
            for name in TEXT_FIELDS:
                key = f"text-{locale}-{name}"
                limit = {"name": NAME_MAX, "summary": SUMMARY_MAX_CHARS}.get(name, LONG_TEXT_MAX)
                required = None
                if locale == ORIGINAL_LOCALE and name == "name":
                    required = _("Give the service a name in French.")
                values[name] = self.text(key, limit, required)
            texts[locale] = TextData(**values, reviewed=self.checked(f"text-{locale}-reviewed"))
        return texts

    def _hours(self) -> list[WeeklyRange]:
        hours = []
        for day, slots in self.hour_slots.items():
            for index in slots:
                prefix = f"hours-{day}-{index}"
                opens_raw = self.value(f"{prefix}-opens").strip()
                closes_raw = self.value(f"{prefix}-closes").strip()
                if not opens_raw and not closes_raw:
                    continue
                opens, closes = parse_time(opens_raw), parse_time(closes_raw)
                for raw, parsed, end in (
                    (opens_raw, opens, "opens"),
                    (closes_raw, closes, "closes"),
                ):
                    if not raw:
                        self.errors[f"{prefix}-{end}"] = _(
                            "Give both times, the opening and the closing one."
                        )
                    elif parsed is None:
                        self.errors[f"{prefix}-{end}"] = _("Write a time like 09:00 or 9h30.")
                if opens is not None and closes is not None:
                    hours.append(WeeklyRange(day, opens, closes))
        return hours

    def _closures(self) -> list[ClosureData]:
        closures = []
        for i in self.closure_rows:
            prefix = f"closure-{i}"
            if self.checked(f"{prefix}-remove") or not self._row_has_values("closure", i):
                continue
            starts_raw = self.value(f"{prefix}-starts_on")
            ends_raw = self.value(f"{prefix}-ends_on").strip() or starts_raw
            starts, ends = parse_date(starts_raw), parse_date(ends_raw)
            if not starts_raw.strip():
                self.errors[f"{prefix}-starts_on"] = _("Give the first day of the closure.")
            elif starts is None:
                self.errors[f"{prefix}-starts_on"] = _("Write a date like 24/12/2026.")
            if ends is None and ends_raw.strip():
                self.errors[f"{prefix}-ends_on"] = _("Write a date like 24/12/2026.")
            if starts and ends and ends < starts:
                self.errors[f"{prefix}-ends_on"] = _(
                    "The last day is before the first day; check the dates."
                )
            try:
                reason = ClosureReason(self.value(f"{prefix}-reason") or "other")
            except ValueError:
                self.errors[f"{prefix}-reason"] = _("Choose a reason.")
                reason = ClosureReason.OTHER
            message = {}
            for locale in self.locales:
                text = self.text(f"{prefix}-message-{locale}", CLOSURE_MESSAGE_MAX)
                if text:
                    message[locale] = text
            if starts and ends and ends >= starts:
                closures.append(
                    ClosureData(self.value(f"{prefix}-id") or None, starts, ends, reason, message)
                )
        return closures

    def _phones(self) -> list[PhoneData]:
        phones = []
        for i in self.phone_rows:
            prefix = f"phone-{i}"
            if self.checked(f"{prefix}-remove") or not self._row_has_values("phone", i):
                continue
            number = self.value(f"{prefix}-number").strip()
            if not number:
                self.errors[f"{prefix}-number"] = _("Give the phone number.")
            elif not _PHONE.match(number) or sum(c.isdigit() for c in number) < 3:
                self.errors[f"{prefix}-number"] = _(
                    "Write a phone number with digits, like 02 61 91 00 00."
                )
            kind = self.value(f"{prefix}-kind") or "voice"
            if len(kind) > 16:
                kind = "voice"
            description = self.text(f"{prefix}-description", 300)
            phones.append(PhoneData(self.value(f"{prefix}-id") or None, number, kind, description))
        return phones

    def _places(self) -> list[PlaceData]:
        places = []
        limits = {"name": 200, "address": 300, "postcode": 16, "city": 120, "district": 120}
        for i in self.place_rows:
            prefix = f"place-{i}"
            if self.checked(f"{prefix}-remove") or not self._row_has_values("place", i):
                continue
            texts = {name: self.text(f"{prefix}-{name}", n) for name, n in limits.items()}
            coordinates: dict[str, float | None] = {}
            for name, bound in (("latitude", 90), ("longitude", 180)):
                raw = self.value(f"{prefix}-{name}").strip()
                number = parse_number(raw) if raw else None
                if raw and (number is None or not -bound <= number <= bound):
                    self.errors[f"{prefix}-{name}"] = _(
                        "Write a number between -%(bound)s and %(bound)s, like 47.90.",
                        bound=bound,
                    )
                    number = None
                coordinates[name] = number
            places.append(
                PlaceData(self.value(f"{prefix}-id") or None, **texts, **coordinates)  # type: ignore[arg-type]
            )
        return places


class OrganizationForm(Form):
    @classmethod
    def for_organization(cls, data: OrganizationData) -> OrganizationForm:
        return cls(
            {
                "name": data.name,
                "description": data.description,
                "website": data.website or "",
                "email": data.email or "",
            },
            {},
        )

    def validate(self) -> OrganizationData | None:
        self.errors = {}
        data = OrganizationData(
            name=self.text("name", NAME_MAX, _("Give the organisation a name.")),
            description=self.text("description", LONG_TEXT_MAX),
            website=self.url("website"),
            email=self.email("email"),
        )
        return None if self.errors else data


@dataclass(frozen=True)
class AccountInput:
    """What the account form holds once checked; ``password`` empty keeps the current one."""

    email: str
    role: UserRole
    organization_ids: list[str]
    all_organizations: bool
    password: str
    active: bool


class AccountForm(Form):
    multi = ("organizations",)

    def validate(self, creating: bool) -> AccountInput | None:
        self.errors = {}
        email = self.value("email").strip().lower()
        if not email:
            self.errors["email"] = _("Give the person's email address.")
        else:
            self.email("email")
        try:
            role = UserRole(self.value("role"))
        except ValueError:
            self.errors["role"] = _("Choose what this person may do.")
            role = UserRole.EDITOR
        password = self.value("password")
        if creating or password:
            problem = passwords.problem(password, email)
            if problem is not None:
                self.errors["password"] = problem
        if self.errors:
            return None
        return AccountInput(
            email=email,
            role=role,
            organization_ids=list(dict.fromkeys(self.lists.get("organizations", []))),
            all_organizations=self.checked("all_organizations"),
            password=password,
            active=self.checked("active"),
        )


class PasswordForm(Form):
    """A worker changing their own password: the current one, and the new one twice."""

    def validate(self, email: str) -> str | None:
        """The new password, or None with ``errors`` filled; the current one is checked by
        the view, against the login limits."""
        self.errors = {}
        if not self.value("current_password"):
            self.errors["current_password"] = _("Type the password you sign in with now.")
        new = self.value("new_password")
        problem = passwords.problem(new, email)
        if problem is not None:
            self.errors["new_password"] = problem
        elif self.value("new_password_again") != new:
            self.errors["new_password_again"] = _(
                "The two new passwords are not the same. Type the new one again, twice."
            )
        return None if self.errors else new
