"""The back office's forms (WTForms, through Flask-WTF): what was typed in, plain data or
plain-worded errors out.

A field shows again exactly what was typed, so that a page shown with errors loses nothing;
``validate`` turns a form into the data its operation takes
(:class:`~gateway.directory.operations.ServiceData`…) or leaves each error on its field, shown
next to it and in the summary atop the page (:meth:`AdminForm.problems`). Times and dates are
read the way people write them ("9h30", "24/12/2026").

The service form is built from the one declaration of a service's fields
(:mod:`gateway.models.directory`): each declared field has its input here, under its own
name, with the length its column allows. A field declared without an input fails at import.

The forms do not check the CSRF token themselves: the blueprint's guard checks it on every
POST before any view runs, the one-button forms (quick actions, archive…) included, which have
no form class.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from sqlalchemy import String
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from gateway.admin import passwords
from gateway.audit import clock
from gateway.directory.describe import weekday_name
from gateway.directory.hours import WeeklyRange
from gateway.directory.operations import (
    ClosureData,
    OperationError,
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
    Location,
    Organization,
    Phone,
    ServiceStatus,
    ServiceText,
    UserRole,
)
from gateway.models.directory import (
    CLOSURE_FIELDS,
    PHONE_FIELDS,
    PLACE_FIELDS,
    SCHEDULE_FIELDS,
    SERVICE_FIELDS,
)

LONG_TEXT_MAX = 5000  # a Text column has no limit of its own; a page of text is plenty
CLOSURE_MESSAGE_MAX = 300

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

ROW_LABELS = {"closure": _l("Closure"), "phone": _l("Phone number"), "place": _l("Place")}

ROLE_LABELS = {
    UserRole.EDITOR: _l("Editor: keeps services up to date"),
    UserRole.ADMIN: _l("Administrator: everything, accounts included"),
}

_TIME = re.compile(r"^(\d{1,2})(?:\s*[:hH.]\s*(?:(\d{2})(?::(\d{2}))?)?)?$")
_COMPACT_TIME = re.compile(r"^(\d{1,2})(\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LOCAL_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{2,31}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def parse_time(raw: str) -> time | None:
    """A clock time as people write it: "9", "9h", "9h30", "09:30", "0930", "24:00", and
    "09:30:15" as :func:`~gateway.audit.clock` shows a time with seconds (an import's)."""
    text = raw.strip()
    match = _TIME.match(text) or _COMPACT_TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    second = int(match.group(3) or 0) if match.re is _TIME else 0
    if hour == 24 and minute == second == 0:
        return time(0, 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


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


# --------------------------------------------------------------------------------------------
# Fields and checks shared by the forms
# --------------------------------------------------------------------------------------------


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else ("" if value is None else value)


def _column_length(model: type, name: str) -> int:
    """The longest value ``model.name``'s column holds (a Text column: :data:`LONG_TEXT_MAX`)."""
    column_type = model.__table__.c[name].type  # type: ignore[attr-defined]
    if isinstance(column_type, String) and column_type.length:
        return int(column_type.length)
    return LONG_TEXT_MAX


def _length(limit: int) -> Length:
    return Length(
        max=limit,
        message=_l("This is %(length)s characters long; keep it to %(max)s or fewer."),
    )


def _text(limit: int, long: bool = False, required: LazyString | None = None) -> Any:
    """A text input (a text area when ``long``), stripped, at most ``limit`` characters."""
    validators: list[Any] = [DataRequired(required)] if required else []
    field = TextAreaField if long else StringField
    return field(validators=[*validators, _length(limit)], filters=[_strip])


class ReadField(StringField):
    """A text input read into a value (a time, a date, a number, a web address) by ``read``,
    None when left empty. What was typed is shown again as typed; what ``read`` cannot make
    sense of is the field's error, ``unreadable``.

    Kept rather than WTForms' ``DateField``/``TimeField``: those read one strftime format,
    and social workers write "9h30", "0930" or "24/12/2026".
    """

    def __init__(
        self,
        read: Callable[[str], Any],
        unreadable: LazyString,
        show: Callable[[Any], str] = str,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.read, self.show, self.unreadable = read, show, unreadable

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = self.read(text) if text else None
        if text and self.data is None:
            raise ValueError(str(self.unreadable))

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else self.show(self.data)


def _time_field() -> Any:
    return ReadField(parse_time, _l("Write a time like 09:00 or 9h30."), clock)


def _date_field() -> Any:
    return ReadField(parse_date, _l("Write a date like 24/12/2026."), date.isoformat)


def _url_field() -> Any:
    return ReadField(clean_url, _l("Write a web address like https://example.org."))


def _coordinate_field(bound: int) -> Any:
    def read(text: str) -> float | None:
        number = parse_number(text)
        return number if number is not None and -bound <= number <= bound else None

    message = _l("Write a number between -%(bound)s and %(bound)s, like 47.90.", bound=bound)
    return ReadField(read, message, lambda number: f"{number:g}")


def _email_check(form: Form, field: Field) -> None:
    if field.data and (not _EMAIL.match(field.data) or len(field.data) > 254):
        raise ValidationError(_("Write an email address like name@example.org."))


def _email_field() -> Any:
    return StringField(validators=[_email_check], filters=[_strip])


def _leaves(fields: Iterable[Field]) -> Iterator[Field]:
    """Every input of ``fields``, into the forms and lists they hold, in page order."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field.entries)
        else:
            yield field


def _typed(form: Form, skip: tuple[str, ...] = ()) -> bool:
    """Whether anything is typed (or saved) in ``form``'s inputs but those named in ``skip``."""
    return any(field._value().strip() for field in _leaves(form) if field.short_name not in skip)


class AdminForm(FlaskForm):
    """A back-office form: its problems listed for the summary atop the page."""

    class Meta:
        csrf = False  # the blueprint's guard checks every POST (see the module's docstring)

    def describe(self, field: Field) -> str:
        """The label of ``field`` in the list of problems atop the page."""
        return str(FIELD_NAMES.get(field.short_name, ""))

    def problems(self) -> list[tuple[str, str, str]]:
        """(input id, label, message) of each field's first error, in page order; then the
        problems of no one field, with an empty id."""
        found = [
            (field.id, self.describe(field), str(field.errors[0]))
            for field in _leaves(self)
            if field.errors
        ]
        return found + [("", "", str(message)) for message in self.form_errors]

    def refuse(self, name: str, message: str) -> None:
        """Show ``message`` as the problem of the input ``name`` (of the form if none is)."""
        field = next((f for f in _leaves(self) if f.name == name), None)
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


# --------------------------------------------------------------------------------------------
# The service form, built from the declared fields
# --------------------------------------------------------------------------------------------


class _Row(Form):
    """One of a service's rows (a closure, a phone number, a place): ``id`` the row's, saved
    with it, ``remove`` ticked to take it away. A row left empty, or to remove, is not
    checked and not saved."""

    settings: tuple[str, ...] = ()  # inputs that always hold a value, a select's

    def filled(self) -> bool:
        return _typed(self, ("remove", *self.settings))

    def kept(self) -> bool:
        return self.filled() and not self["remove"].data

    def validate(self, extra_validators: Any = None) -> bool:
        return super().validate(extra_validators) if self.kept() else True


def _messages_form(locales: Sequence[str]) -> type[Form]:
    """A closure's message to residents, in each locale."""
    fields = {locale: _text(CLOSURE_MESSAGE_MAX, long=True) for locale in locales}
    return type("ClosureMessages", (Form,), fields)


class _ClosureRow(_Row):
    settings = ("reason",)

    def validate(self, extra_validators: Any = None) -> bool:
        if not self.kept():
            return True
        super().validate(extra_validators)
        starts, ends = self["starts_on"], self["ends_on"]
        if starts.data is None and not starts.errors:
            starts.errors.append(_("Give the first day of the closure."))
        elif starts.data is not None and ends.data is not None and ends.data < starts.data:
            ends.errors.append(_("The last day is before the first day; check the dates."))
        if self["reason"].data and self["reason"].data not in set(ClosureReason):
            self["reason"].errors.append(_("Choose a reason."))
        return not self.errors

    def closure(self) -> ClosureData:
        starts = self["starts_on"].data
        message = {locale: text for locale, text in self["message"].data.items() if text}
        return ClosureData(
            self["id"].data or None,
            starts,
            self["ends_on"].data or starts,
            ClosureReason(self["reason"].data or ClosureReason.OTHER),
            message,
        )


def _phone_number_check(form: Form, field: Field) -> None:
    number = field.data
    if not number:
        raise ValidationError(_("Give the phone number."))
    if not _PHONE.match(number) or sum(c.isdigit() for c in number) < 3:
        raise ValidationError(_("Write a phone number with digits, like 02 61 91 00 00."))


class _PhoneRow(_Row):
    settings = ("kind",)

    def phone(self) -> PhoneData:
        values = {name: self[name].data for name in PHONE_FIELDS}
        if not values["kind"] or len(values["kind"]) > _column_length(Phone, "kind"):
            values["kind"] = "voice"
        return PhoneData(self["id"].data or None, **values)


class _PlaceRow(_Row):
    def place(self) -> PlaceData:
        values = {name: self[name].data for name in PLACE_FIELDS}
        return PlaceData(self["id"].data or None, **values)


class _Slot(Form):
    """One opening range of a day: both ends, or neither."""

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        ends = (self["opens"], self["closes"])
        if any(end.data is not None or end.errors for end in ends):
            for end in ends:
                if end.data is None and not end.errors:
                    end.errors.append(_("Give both times, the opening and the closing one."))
        return not self.errors

    def weekly(self, day: int) -> WeeklyRange | None:
        opens, closes = self["opens"].data, self["closes"].data
        return None if opens is None or closes is None else WeeklyRange(day, opens, closes)


def _choice(allowed: Callable[[ServiceForm], Iterable[str]], message: LazyString) -> Callable:
    def check(form: ServiceForm, field: Field) -> None:
        if field.data not in set(allowed(form)):
            raise ValidationError(str(message))

    return check


def _status_input() -> Any:
    message = _l("Choose whether the service is open.")
    return SelectField(
        validate_choice=False,
        filters=[lambda value: value or ServiceStatus.ACTIVE.value],  # left out: open
        validators=[_choice(lambda _form: set(ServiceStatus), message)],
    )


def _several() -> Any:
    """Checkboxes; the values not offered are dropped where the data is made."""
    return SelectMultipleField(validate_choice=False)


def _one() -> Any:
    """A select; the pages give its options, and the form checks the value itself."""
    return SelectField(validate_choice=False)


def _text_input(locale: str, name: str) -> Any:
    required = None
    if (locale, name) == (ORIGINAL_LOCALE, "name"):
        required = _l("Give the service a name in French.")
    return _text(_column_length(ServiceText, name), long=name != "name", required=required)


def _place_text(name: str) -> Callable[[], Any]:
    return lambda: _text(_column_length(Location, name))


# How each declared field is edited: its input, under the declared name. A service's own
# values (SERVICE_FIELDS):
_SERVICE_INPUTS: dict[str, Callable[[], Any]] = {
    "status": _status_input,
    "url": _url_field,
    "email": _email_field,
    "access_conditions": _several,
    "languages": _several,
}
# The ends of a weekly range (SCHEDULE_FIELDS; the weekday is the grid's column), with the
# names the page gives them:
_SCHEDULE_INPUTS: dict[str, tuple[str, Callable[[], Any]] | None] = {
    "weekday": None,
    "opens_at": ("opens", _time_field),
    "closes_at": ("closes", _time_field),
}
# A closure (the message, one per locale, is made with the locales), a phone, a place:
_CLOSURE_INPUTS: dict[str, Callable[[], Any]] = {
    "starts_on": _date_field,
    "ends_on": _date_field,
    "reason": _one,
}
_PHONE_INPUTS: dict[str, Callable[[], Any]] = {
    "number": lambda: StringField(validators=[_phone_number_check], filters=[_strip]),
    "kind": _one,
    "description": lambda: _text(_column_length(Phone, "description")),
}
_PLACE_INPUTS: dict[str, Callable[[], Any]] = {
    **{name: _place_text(name) for name in ("name", "address", "postcode", "city", "district")},
    "latitude": lambda: _coordinate_field(90),
    "longitude": lambda: _coordinate_field(180),
}


def _row_form(
    base: type[_Row], declared: Sequence[str], inputs: Mapping[str, Callable[[], Any]]
) -> type[Form]:
    """A row's form: its saved id, an input for each declared field, and "remove"."""
    fields = {"id": HiddenField(filters=[_strip])}
    fields |= {name: inputs[name]() for name in declared}
    fields["remove"] = BooleanField()
    return type(base.__name__.lstrip("_"), (base,), fields)


class ServiceForm(AdminForm):
    """The one form of a service: every field, the weekly hours grid, closures, texts.

    Built for the configured locales by :func:`service_form_class`; the inputs are named as
    the pages and tests know them: ``text-fr-name``, ``hours-0-1-opens``,
    ``closure-0-starts_on``, ``phone-0-number``, ``place-0-address``.
    """

    locales: list[str]
    original: dict[str, str]
    text_status: dict[str, str]
    organization_ids: set[str]
    category_slugs: set[str]

    @classmethod
    def for_service(
        cls, data: ServiceData, locales: Sequence[str], statuses: Mapping[str, str]
    ) -> ServiceForm:
        """The form filled with a service's current state."""
        known = set(locales)
        per_day: dict[int, list[dict[str, time]]] = {day: [] for day in range(7)}
        for weekly in data.hours:
            per_day[weekly.weekday].append({"opens": weekly.opens_at, "closes": weekly.closes_at})
        values = {
            "organization_id": data.organization_id,
            **{name: getattr(data, name) for name in SERVICE_FIELDS},
            "languages": [code for code in data.languages if code in known],
            "languages_other": ", ".join(code for code in data.languages if code not in known),
            "categories": list(data.categories),
            "text": {locale: texts.values() for locale, texts in data.texts.items()},
            "hours": {str(day): slots for day, slots in per_day.items()},
            "closure": [
                {"id": c.id, **{name: getattr(c, name) for name in CLOSURE_FIELDS},
                 "message": dict(c.message)}
                for c in data.closures
            ],
            "phone": [
                {"id": p.id, **{name: getattr(p, name) for name in PHONE_FIELDS}}
                for p in data.phones
            ],
            "place": [
                {"id": p.location_id, **{name: getattr(p, name) for name in PLACE_FIELDS}}
                for p in data.places
            ],
        }  # fmt: skip
        original = data.texts.get(ORIGINAL_LOCALE, TextData()).values()
        return service_form_class(tuple(locales))(
            None, original=original, statuses=statuses, data=values
        )

    @classmethod
    def from_request(
        cls, locales: Sequence[str], original: Mapping[str, str], statuses: Mapping[str, str]
    ) -> ServiceForm:
        """The form as the request sent it."""
        return service_form_class(tuple(locales))(original=original, statuses=statuses)

    def __init__(
        self,
        formdata: Any = _Auto,
        *,
        original: Mapping[str, str],
        statuses: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.original = dict(original)  # the French as saved, shown beside translations
        self.text_status = dict(statuses)  # each locale's status, "needs_review" or "done"
        self._show_rows()

    def _show_rows(self) -> None:
        """Rows left empty go; each list gets one blank row to add another, and each day of
        the week a blank range (two when it has none)."""
        for rows in (self["closure"], self["phone"], self["place"]):
            rows.entries = [row for row in rows.entries if row.form.filled()]
            rows.append_entry()
        for day in self["hours"]:
            day.entries = [slot for slot in day.entries if _typed(slot.form)]
            day.append_entry()
            if len(day.entries) == 1:
                day.append_entry()

    # ---------------------------------------------------------------------------------------

    def describe(self, field: Field) -> str:
        parts = field.name.split("-")
        if parts[0] == "text":
            locale, name = parts[1], parts[2]
            label = TEXT_LABELS.get(name, name)
            return f"{label} ({LANGUAGE_NAMES.get(locale, locale)})"
        if parts[0] == "hours":
            day, slot, end = parts[1:]
            which = _("opens") if end == "opens" else _("closes")
            return f"{weekday_name(int(day))} {int(slot) + 1}, {which}"
        if parts[0] in ROW_LABELS:
            return f"{ROW_LABELS[parts[0]]} {int(parts[1]) + 1}"
        return super().describe(field)

    def summary_length(self, locale: str) -> SummaryLength:
        return summary_length(self["text"][locale]["summary"].data or "")

    def field_state(self, locale: str, field: str) -> str:
        """missing / needs_review / done for a translated field, "" when French is empty."""
        source = self.original.get(field, "")
        value = (self["text"][locale][field].data or "").strip()
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
        return bool(self["text"][locale].errors)

    # ---------------------------------------------------------------------------------------

    def service_data(
        self, organization_ids: Iterable[str], category_slugs: Iterable[str]
    ) -> ServiceData | None:
        """The service data the form holds, or None with the errors on their fields."""
        self.organization_ids, self.category_slugs = set(organization_ids), set(category_slugs)
        if not self.validate():
            return None
        return ServiceData(
            organization_id=self["organization_id"].data,
            texts=self._texts(),
            categories=self._categories(),
            status=ServiceStatus(self["status"].data),
            url=self["url"].data,
            email=self["email"].data or None,
            access_conditions=[
                c for c in self["access_conditions"].data or [] if c in set(AccessCondition)
            ],
            languages=self._languages(),
            hours=[
                weekly
                for day in self["hours"]
                for slot in day.entries
                if (weekly := slot.form.weekly(int(day.short_name))) is not None
            ],
            closures=[row.form.closure() for row in self["closure"].entries if row.form.kept()],
            phones=[row.form.phone() for row in self["phone"].entries if row.form.kept()],
            places=[row.form.place() for row in self["place"].entries if row.form.kept()],
        )

    def validate_categories(self, field: Field) -> None:
        if not self._categories():
            raise ValidationError(
                _("Choose at least one category, so that residents can find this service.")
            )

    def validate_languages_other(self, field: Field) -> None:
        codes = re.split(r"[,;\s]+", (field.data or "").lower())
        if any(code and not _LANGUAGE.match(code) for code in codes):
            raise ValidationError(_("Write language codes separated by commas, like: wo, ro, tr."))

    def refuse_operation(self, error: OperationError) -> None:
        """Show an operation's refusal next to the input it is about."""
        names = {"organization": "organization_id",
                 f"texts.{ORIGINAL_LOCALE}.name": f"text-{ORIGINAL_LOCALE}-name"}  # fmt: skip
        self.refuse(names.get(error.field, error.field), str(error))

    def _categories(self) -> list[str]:
        return [slug for slug in self["categories"].data or [] if slug in self.category_slugs]

    def _languages(self) -> list[str]:
        languages = list(dict.fromkeys(self["languages"].data or []))
        for code in re.split(r"[,;\s]+", (self["languages_other"].data or "").lower()):
            if code and code not in languages:
                languages.append(code)
        return languages

    def _texts(self) -> dict[str, TextData]:
        texts = {}
        for locale in self.locales:
            subform = self["text"][locale]
            sent = any(subform[name].raw_data for name in TEXT_FIELDS)
            if locale != ORIGINAL_LOCALE and not sent:
                continue  # not on the page that was sent: leave this locale as it is
            values = {name: subform[name].data or "" for name in TEXT_FIELDS}
            texts[locale] = TextData(**values, reviewed=bool(subform["reviewed"].data))
        return texts


@cache
def service_form_class(locales: tuple[str, ...]) -> type[ServiceForm]:
    """The service form for ``locales`` (French first, whatever their order)."""
    ordered = [ORIGINAL_LOCALE] + [code for code in locales if code != ORIGINAL_LOCALE]

    def texts(locale: str) -> type[Form]:
        fields = {name: _text_input(locale, name) for name in TEXT_FIELDS}
        return type("Texts", (Form,), {**fields, "reviewed": BooleanField()})

    slot_inputs = [entry for name in SCHEDULE_FIELDS if (entry := _SCHEDULE_INPUTS[name])]
    slot = type("Slot", (_Slot,), {html: make() for html, make in slot_inputs})
    fields: dict[str, Any] = {
        "organization_id": SelectField(
            validate_choice=False,
            validators=[
                _choice(
                    lambda form: form.organization_ids,
                    _l("Choose the organisation that runs this service."),
                )
            ],
        ),  # fmt: skip
    }
    for name in SERVICE_FIELDS:
        fields[name] = _SERVICE_INPUTS[name]()
        if name == "email":  # the page lists categories after the addresses
            fields["categories"] = SelectMultipleField(validate_choice=False)
    fields["languages_other"] = StringField(filters=[_strip])
    locale_forms = {locale: FormField(texts(locale)) for locale in ordered}
    fields["text"] = FormField(type("AllTexts", (Form,), locale_forms))
    fields["hours"] = FormField(
        type("Week", (Form,), {str(day): FieldList(FormField(slot)) for day in range(7)})
    )
    messages = _messages_form(ordered)
    closure_inputs = {**_CLOSURE_INPUTS, "message": lambda: FormField(messages)}
    fields["closure"] = FieldList(FormField(_row_form(_ClosureRow, CLOSURE_FIELDS, closure_inputs)))
    fields["phone"] = FieldList(FormField(_row_form(_PhoneRow, PHONE_FIELDS, _PHONE_INPUTS)))
    fields["place"] = FieldList(FormField(_row_form(_PlaceRow, PLACE_FIELDS, _PLACE_INPUTS)))
    return type("ServiceForm", (ServiceForm,), {**fields, "locales": ordered})


# --------------------------------------------------------------------------------------------
# Organisations, accounts, passwords, signing in
# --------------------------------------------------------------------------------------------


class OrganizationForm(AdminForm):
    name = _text(_column_length(Organization, "name"), required=_l("Give the organisation a name."))
    description = _text(LONG_TEXT_MAX, long=True)
    website = _url_field()
    email = _email_field()

    def organization(self) -> OrganizationData | None:
        """The organisation the form holds, or None with the errors on their fields."""
        if not self.validate():
            return None
        return OrganizationData(
            name=self.name.data,
            description=self.description.data,
            website=self.website.data,
            email=self.email.data or None,
        )


@dataclass(frozen=True)
class AccountInput:
    """What the account form holds once checked; ``password`` empty keeps the current one."""

    email: str
    role: UserRole
    organization_ids: list[str]
    all_organizations: bool
    password: str
    active: bool


class AccountForm(AdminForm):
    email = StringField(
        validators=[DataRequired(_l("Give the person's email address.")), _email_check],
        filters=[_strip, str.lower],
    )
    role = _one()
    all_organizations = BooleanField()
    organizations = SelectMultipleField(validate_choice=False)
    password = PasswordField()
    active = BooleanField()

    def account(self, creating: bool) -> AccountInput | None:
        """What the form holds, or None with the errors on their fields; a password is
        checked when one is given, and one must be to create an account."""
        self.creating = creating
        if not self.validate():
            return None
        return AccountInput(
            email=self.email.data,
            role=UserRole(self.role.data),
            organization_ids=list(dict.fromkeys(self.organizations.data or [])),
            all_organizations=self.all_organizations.data,
            password=self.password.data or "",
            active=self.active.data,
        )

    def validate_role(self, field: Field) -> None:
        if field.data not in set(UserRole):
            raise ValidationError(_("Choose what this person may do."))

    def validate_password(self, field: Field) -> None:
        if self.creating or field.data:
            problem = passwords.problem(field.data or "", self.email.data or "")
            if problem is not None:
                raise ValidationError(problem)


class PasswordForm(AdminForm):
    """A worker changing their own password: the current one, and the new one twice. The
    current one is checked by the view, against the login limits."""

    current_password = PasswordField(
        validators=[DataRequired(_l("Type the password you sign in with now."))]
    )
    new_password = PasswordField()
    new_password_again = PasswordField()

    def new(self, email: str) -> str | None:
        """The new password, or None with the errors on their fields."""
        self.email = email
        return self.new_password.data if self.validate() else None

    def validate_new_password(self, field: Field) -> None:
        problem = passwords.problem(field.data or "", self.email)
        if problem is not None:
            raise ValidationError(problem)

    def validate_new_password_again(self, field: Field) -> None:
        if not self.new_password.errors and field.data != self.new_password.data:
            raise ValidationError(
                _("The two new passwords are not the same. Type the new one again, twice.")
            )


class LoginForm(AdminForm):
    """Signing in: an email and a password; where to go next is the view's."""

    email = StringField(default="")  # as typed: a control character is an error, not trimmed
    password = PasswordField()
