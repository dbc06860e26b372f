"""Changing the directory. Every writer (admin form, CLI, import) goes through here.

The caller owns the transaction: operations flush, never commit, so that an import of a
thousand services is one transaction that either lands whole or not at all. A
:class:`DirectoryBatch` does the same operations for hundreds of services at once (imports):
the same rules, one flush, one audit INSERT and one version bump for them all.

Each operation takes the acting user (or a label such as ``"cli"`` or ``"import"``), records
what it changed in the audit trail (:mod:`gateway.audit`), and bumps the directory version so
that every channel sees the change on its next request. A service's state is compared as a
flat *snapshot* of JSON values (``texts.en.summary``, ``hours``, ``closures``…) before and
after the change; the fields that differ are what the trail shows.

A service's fields are those declared in :mod:`gateway.models.directory` (``SERVICE_FIELDS``,
``TEXT_FIELDS``, ``SCHEDULE_FIELDS``…): :class:`ServiceData`, the snapshot and the HSDS
mapping use them by name, and :func:`_apply` is the one way a service's state is written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import case, delete, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from gateway import clock
from gateway.audit import Actor, Changes, diff, entry_values, iso, plain, record
from gateway.directory.hours import WeeklyRange
from gateway.directory.queries import (
    CHANGE_LOG_VERSIONS,
    SERVICE_LOADING,
    UNCOMMITTED_CHANGE,
    UncommittedChange,
    field_values,
)
from gateway.i18n import ORIGINAL_LOCALE
from gateway.models import (
    AuditEntry,
    Category,
    Closure,
    ClosureReason,
    DirectoryChange,
    DirectoryVersion,
    Feedback,
    FeedbackStatus,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceLocation,
    ServiceStatus,
    ServiceText,
    TextStatus,
)
from gateway.models.directory import (
    CLOSURE_FIELDS,
    PHONE_FIELDS,
    PLACE_FIELDS,
    SCHEDULE_FIELDS,
    SERVICE_FIELDS,
    TEXT_FIELDS,
)
from gateway.privacy import scrub_personal

M = TypeVar("M", Closure, Phone, Schedule)

# Closures a quick action adds; "reopen" removes any closure covering today.
ONE_CLICK_REASONS = (ClosureReason.CLOSED_TODAY, ClosureReason.FULL_TODAY)


class OperationError(ValueError):
    """A change that would break the directory's rules; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.problem = message


def bump_directory_version(session: Session, service_ids: Iterable[str]) -> None:
    """Tell every process (snapshot, search index, caches) that the directory changed, and
    which services: each process then reloads those alone (:data:`DirectoryChange`).

    Once per transaction (or savepoint) is enough, so that an import of a thousand services
    moves the version once; a savepoint rolled back takes its bump with it, and a change after
    it bumps again. Each bump prunes the log to its last :data:`CHANGE_LOG_VERSIONS` versions.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    bump = session.info.get(UNCOMMITTED_CHANGE)
    if transaction is None or bump is None or bump.transaction is not transaction:
        version = session.execute(
            update(DirectoryVersion)
            .where(DirectoryVersion.id == 1)
            .values(
                version=DirectoryVersion.version + 1,
                changed_at=func.now(),
                log_start=case(
                    (
                        DirectoryVersion.log_start
                        < DirectoryVersion.version + 1 - CHANGE_LOG_VERSIONS,
                        DirectoryVersion.version + 1 - CHANGE_LOG_VERSIONS,
                    ),
                    else_=DirectoryVersion.log_start,
                ),
            )
            .returning(DirectoryVersion.version)
        ).scalar_one()
        session.execute(
            delete(DirectoryChange).where(DirectoryChange.version <= version - CHANGE_LOG_VERSIONS)
        )
        began = session.get_nested_transaction() or session.get_transaction()
        assert began is not None, "the UPDATE began a transaction"
        bump = session.info[UNCOMMITTED_CHANGE] = UncommittedChange(began, version)
    logged = [sid for sid in dict.fromkeys(service_ids) if sid not in bump.logged]
    if logged:
        session.execute(
            insert(DirectoryChange),
            [{"version": bump.version, "service_id": sid} for sid in logged],
        )
        bump.logged.update(logged)


# --------------------------------------------------------------------------------------------
# A service's editable state, as plain values
# --------------------------------------------------------------------------------------------


@dataclass
class TextData:
    """A service's resident texts in one locale.

    ``reviewed`` says the editor checked that this translation still says what the French
    says, which clears its "needs review" status without editing it. ``status`` is the one a
    source states (an HSDS file's); None lets the edit decide. Either way a translation whose
    French changed under it, and that was not edited with it, needs review.
    """

    name: str = ""
    summary: str = ""
    description: str = ""
    eligibility: str = ""
    how_to_access: str = ""
    reviewed: bool = False
    status: str | None = None  # a TextStatus

    def values(self) -> dict[str, str]:
        return field_values(self, TEXT_FIELDS)

    @property
    def empty(self) -> bool:
        return not any(value.strip() for value in self.values().values())


@dataclass(frozen=True)
class PhoneData:
    id: str | None
    number: str
    kind: str = "voice"
    description: str = ""


class Keep(enum.Enum):
    """A value left as it is: what the form does not edit (an HSDS file states it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ScheduleData(WeeklyRange):
    """A weekly range with the id a source gives it (the form's ranges have none: a range
    without an id takes over this service's range of the same days and times)."""

    id: str | None = None


@dataclass(frozen=True)
class PlaceData:
    """A place the service is delivered at.

    ``location_id`` None is a new place; an id that is not this service's is that place (one
    shared with other services, or new under that id). ``link_id`` is the HSDS
    service_at_location id, ``address_id`` the HSDS address id, ``country`` the ISO code a
    feed gave (None: the city's own country), all kept when not given.
    """

    location_id: str | None
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    district: str = ""
    latitude: float | None = None
    longitude: float | None = None
    link_id: str | None = None
    address_id: str | None | Literal[Keep.KEEP] = KEEP
    country: str | None | Literal[Keep.KEEP] = KEEP
    # The HSDS keys of the location that Guichet has no column for, as a feed gave them.
    hsds_extra: Mapping[str, Any] | Literal[Keep.KEEP] = KEEP


@dataclass(frozen=True)
class ClosureData:
    id: str | None
    starts_on: date
    ends_on: date
    reason: ClosureReason = ClosureReason.OTHER
    message: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ServiceData:
    """Everything the form edits about a service. ``texts`` maps locale to texts; a locale
    absent from it is left as it is, a locale given with only empty texts is removed.

    ``verified_at`` is left as it is unless given (an import states it; the form has the quick
    action). Rows with an id keep it: an import writes the ids its file gives.
    """

    organization_id: str
    texts: dict[str, TextData]
    categories: list[str]
    status: ServiceStatus = ServiceStatus.ACTIVE
    url: str | None = None
    email: str | None = None
    access_conditions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    hours: list[WeeklyRange] = field(default_factory=list)
    closures: list[ClosureData] = field(default_factory=list)
    phones: list[PhoneData] = field(default_factory=list)
    places: list[PlaceData] = field(default_factory=list)
    verified_at: datetime | None | Literal[Keep.KEEP] = KEEP
    # The HSDS keys Guichet has no column for (fees, contacts…), as a feed gave them; the form
    # leaves them as they are.
    hsds_extra: Mapping[str, Any] | Literal[Keep.KEEP] = KEEP

    @classmethod
    def of(cls, service: Service) -> ServiceData:
        """The service as it stands."""
        return cls(
            organization_id=service.organization_id,
            texts={
                text.locale: TextData(**_text_values(text), reviewed=False)
                for text in service.texts
            },
            categories=[category.slug for category in service.categories],
            **{name: _copy(getattr(service, name)) for name in SERVICE_FIELDS},
            hours=[
                ScheduleData(**field_values(s, SCHEDULE_FIELDS), id=s.id) for s in service.schedules
            ],
            closures=[
                ClosureData(c.id, **_copy(field_values(c, CLOSURE_FIELDS)))
                for c in service.closures
            ],
            phones=[PhoneData(p.id, **field_values(p, PHONE_FIELDS)) for p in service.phones],
            places=[
                PlaceData(
                    link.location.id,
                    **field_values(link.location, PLACE_FIELDS),
                    link_id=link.id,
                    address_id=link.location.address_id,
                    country=link.location.country,
                    hsds_extra=_copy(link.location.hsds_extra),
                )
                for link in service.locations
            ],
            verified_at=service.verified_at,
            hsds_extra=_copy(service.hsds_extra),
        )


def _copy(value: Any) -> Any:
    """A list or mapping copied one level deep, so that data never aliases a row's JSON."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    return value


def service_snapshot(service: Service) -> dict[str, Any]:
    """The service's fields as JSON values, keyed as the audit trail names them."""
    snapshot: dict[str, Any] = {
        "organization": service.organization_id,
        **{name: plain(getattr(service, name)) for name in SERVICE_FIELDS},
        "categories": [category.slug for category in service.categories],
        "verified_at": iso(service.verified_at),
        "archived_at": iso(service.archived_at),
        "hours": sorted(
            [plain(getattr(s, name)) for name in SCHEDULE_FIELDS] for s in service.schedules
        ),
        "closures": sorted(
            (plain(field_values(c, CLOSURE_FIELDS)) for c in service.closures),
            key=lambda c: (c["starts_on"], c["ends_on"], c["reason"]),
        ),
        "phones": [plain(field_values(p, PHONE_FIELDS)) for p in service.phones],
        "places": [_place_snapshot(link.location) for link in service.locations],
    }
    if service.hsds_extra:
        snapshot["hsds_extra"] = service.hsds_extra
    for text in service.texts:
        for name, value in _text_values(text).items():
            snapshot[f"texts.{text.locale}.{name}"] = value
        snapshot[f"texts.{text.locale}.status"] = TextStatus(text.status).value
    return snapshot


def _place_snapshot(location: Location) -> dict[str, Any]:
    """A place as the trail compares it; what a feed said beyond our fields only when it said
    anything, so that the trail of places without any reads as before."""
    values = field_values(location, PLACE_FIELDS)
    if location.hsds_extra:
        values["hsds_extra"] = location.hsds_extra
    return values


def _created(snapshot: Mapping[str, Any]) -> Changes:
    """A new entity's fields as changes from nothing, leaving out the empty ones."""
    return {
        name: {"old": None, "new": value}
        for name, value in sorted(snapshot.items())
        if value not in (None, "", [], {})
    }


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def _snapshot(target: Service | Organization) -> tuple[str, dict[str, Any]]:
    """What the audit trail compares, and the kind of thing it is about."""
    if isinstance(target, Service):
        return "service", service_snapshot(target)
    return "organization", organization_snapshot(target)


def _services_of(target: Service | Organization) -> list[str]:
    """The services whose facts change with ``target`` (an organisation's name is theirs)."""
    if isinstance(target, Service):
        return [target.id]
    return [service.id for service in target.services]


def _change(
    session: Session,
    actor: Actor,
    target: Service | Organization,
    action: str,
    mutate: Callable[[], None],
    at: datetime | None = None,
) -> Changes:
    """Run ``mutate`` on ``target``; record and announce what it changed (maybe nothing)."""
    kind, before = _snapshot(target)
    mutate()
    session.flush()
    changes = diff(before, _snapshot(target)[1])
    if changes:
        record(session, actor, action, kind, target.id, changes, at=at)
        bump_directory_version(session, _services_of(target))
        session.flush()
    return changes


def _record_creation(
    session: Session, actor: Actor, target: Service | Organization, at: datetime | None
) -> None:
    """Record ``target`` in the trail as created, whole, and announce the change."""
    session.flush()
    kind, snapshot = _snapshot(target)
    record(session, actor, f"{kind}.create", kind, target.id, _created(snapshot), at=at)
    bump_directory_version(session, _services_of(target))
    session.flush()


def create_service(
    session: Session,
    actor: Actor,
    data: ServiceData,
    at: datetime | None = None,
    service_id: str | None = None,
) -> Service:
    """A new service, counted as verified now (whoever enters it has just checked it) unless
    ``data`` says when it was."""
    at = at or clock.now()
    service = _new_service(session, at, service_id)
    # Not flushed before it is whole: looking its organisation up would otherwise write a
    # service that has none yet.
    with session.no_autoflush:
        _apply(session, service, data, _Lookups(session))
    _record_creation(session, actor, service, at)
    return service


def _new_service(session: Session, at: datetime, service_id: str | None) -> Service:
    service = Service(access_conditions=[], languages=[], verified_at=at)
    if service_id is not None:
        service.id = service_id
    service.texts = []
    service.categories = []
    service.schedules = []
    service.closures = []
    service.phones = []
    service.locations = []
    session.add(service)
    return service


def update_service(
    session: Session, actor: Actor, service: Service, data: ServiceData, at: datetime | None = None
) -> Changes:
    """Make the service what ``data`` says; return the changes recorded (empty if none).

    When a French text changes, translations of that field that were not edited in the same
    change are marked as needing review. A place shared with other services changes for them
    too, and each of them gets its own entry in the trail.
    """
    sharing = [(other, service_snapshot(other)) for other in _sharing_places(session, service)]
    changes = _change(
        session,
        actor,
        service,
        "service.update",
        lambda: _apply(session, service, data, _Lookups(session)),
        at,
    )
    for other, before in sharing:
        if other_changes := diff(before, service_snapshot(other)):
            record(session, actor, "service.update", "service", other.id, other_changes, at=at)
            bump_directory_version(session, [other.id])
    return changes


def _sharing_places(session: Session, service: Service) -> list[Service]:
    """The other services at one of ``service``'s places."""
    places = [link.location_id for link in service.locations]
    if not places:
        return []
    return list(
        session.scalars(
            select(Service).where(
                Service.id.in_(
                    select(ServiceLocation.service_id).where(
                        ServiceLocation.location_id.in_(places)
                    )
                ),
                Service.id != service.id,
            )
        )
    )


def verify_service(
    session: Session, actor: Actor, service: Service, at: datetime | None = None
) -> Changes:
    """Quick action "verified today": someone checked the service's facts just now."""
    at = at or clock.now()

    def mutate() -> None:
        service.verified_at = at

    return _change(session, actor, service, "service.verify", mutate, at)


def close_for_today(
    session: Session,
    actor: Actor,
    service: Service,
    today: date,
    reason: ClosureReason = ClosureReason.CLOSED_TODAY,
    message: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Changes:
    """Quick actions "closed today" and "full today": a one-day closure for ``today``.

    A one-click closure already on today takes the new reason instead of doubling up.
    """
    if reason not in ONE_CLICK_REASONS:
        raise OperationError("reason", f"not a one-click closure: {reason}")

    def mutate() -> None:
        for closure in service.closures:
            if closure.starts_on == closure.ends_on == today and closure.reason in (
                ONE_CLICK_REASONS
            ):
                closure.reason = reason
                if message is not None:
                    closure.message = dict(message)
                return
        service.closures.append(
            Closure(starts_on=today, ends_on=today, reason=reason, message=dict(message or {}))
        )

    action = "service.full_today" if reason is ClosureReason.FULL_TODAY else "service.close_today"
    return _change(session, actor, service, action, mutate, at)


def reopen_service(
    session: Session, actor: Actor, service: Service, today: date, at: datetime | None = None
) -> Changes:
    """Quick action "reopen": open today after all.

    A temporarily closed service becomes active; closures covering today give today back
    (a closure of today alone goes, a longer one is cut around today).
    """

    def mutate() -> None:
        if service.status is ServiceStatus.TEMPORARILY_CLOSED:
            service.status = ServiceStatus.ACTIVE
        kept: list[Closure] = []
        for closure in service.closures:
            if not closure.covers(today):
                kept.append(closure)
                continue
            original_end = closure.ends_on
            if closure.starts_on < today:
                closure.ends_on = today - timedelta(days=1)
                kept.append(closure)
                if original_end > today:
                    kept.append(
                        Closure(
                            starts_on=today + timedelta(days=1),
                            ends_on=original_end,
                            reason=closure.reason,
                            message=dict(closure.message),
                        )
                    )
            elif original_end > today:
                closure.starts_on = today + timedelta(days=1)
                kept.append(closure)
        service.closures = kept

    return _change(session, actor, service, "service.reopen", mutate, at)


def archive_service(
    session: Session, actor: Actor, service: Service, at: datetime | None = None
) -> Changes:
    """Take the service off every channel; it stays in the database and can be restored."""
    at = at or clock.now()

    def mutate() -> None:
        if service.archived_at is None:
            service.archived_at = at

    return _change(session, actor, service, "service.archive", mutate, at)


def restore_service(
    session: Session, actor: Actor, service: Service, at: datetime | None = None
) -> Changes:
    def mutate() -> None:
        service.archived_at = None

    return _change(session, actor, service, "service.restore", mutate, at)


class _Lookups:
    """Where :func:`_apply` finds what a service refers to: in the session, a query each
    (:class:`DirectoryBatch` answers from what it loaded for the whole batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def organization(self, organization_id: str) -> Organization | None:
        return self.session.get(Organization, organization_id)

    def location(self, location_id: str) -> Location | None:
        return self.session.get(Location, location_id)

    def added_location(self, location: Location) -> None:
        """``location`` is new: later services may name it before it is flushed."""

    def changing_location(self, location: Location) -> None:
        """``location``'s values are about to change, for every service at it."""

    def categories(self, slugs: Iterable[str]) -> list[Category]:
        """The categories of ``slugs`` in their menu order; an unknown slug is refused."""
        wanted = list(dict.fromkeys(slugs))
        found = {c.slug: c for c in self._categories(wanted)}
        unknown = [slug for slug in wanted if slug not in found]
        if unknown:
            raise OperationError("categories", f"unknown categories {', '.join(unknown)}")
        return sorted(found.values(), key=lambda c: c.position)

    def _categories(self, slugs: list[str]) -> Iterable[Category]:
        return self.session.scalars(select(Category).where(Category.slug.in_(slugs)))


def _apply(session: Session, service: Service, data: ServiceData, lookups: _Lookups) -> None:
    """Make ``service`` what ``data`` says, writing only what differs: the one way a service's
    state is written, by the form, the quick actions' callers and the imports alike."""
    if service.organization_id != data.organization_id:
        organization = lookups.organization(data.organization_id)
        if organization is None:
            raise OperationError("organization", f"unknown organisation {data.organization_id}")
        service.organization = organization
    assign_changed(
        service,
        status=ServiceStatus(data.status),
        url=data.url or None,
        email=data.email or None,
        access_conditions=list(data.access_conditions),
        languages=list(data.languages),
    )
    if data.verified_at is not KEEP:
        assign_changed(service, verified_at=data.verified_at)
    if data.hsds_extra is not KEEP:
        assign_changed(service, hsds_extra=_copy(data.hsds_extra))
    categories = lookups.categories(data.categories)
    if service.categories != categories:
        service.categories = categories
    _apply_texts(service, data.texts)
    _apply_hours(service, data.hours)
    service.closures = _sync(
        service.closures,
        [
            (c.id, {**_copy(field_values(c, CLOSURE_FIELDS)), "reason": ClosureReason(c.reason)})
            for c in data.closures
        ],
        Closure,
    )
    service.phones = _sync(
        service.phones,
        [
            (p.id, {**field_values(p, PHONE_FIELDS), "position": position})
            for position, p in enumerate(data.phones)
        ],
        Phone,
    )
    _apply_places(service, data.places, lookups)


def assign_changed(obj: object, **values: Any) -> None:
    """Set only what differs, so that an unchanged form or a re-import of the same data leaves
    ``updated_at`` alone."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


def _sync(
    current: Iterable[M], rows: Iterable[tuple[str | None, Mapping[str, Any]]], model: type[M]
) -> list[M]:
    """The rows, as ``(id, values)``, as objects, reusing the service's own by id so that
    unchanged rows stay put; a row without an id is a new object, one with an id the service
    does not have yet a new object of that id."""
    by_id = {obj.id: obj for obj in current}
    result = []
    for row_id, values in rows:
        obj = by_id.pop(row_id, None) if row_id else None
        if obj is None:
            obj = model(id=row_id) if row_id else model()
        assign_changed(obj, **values)
        result.append(obj)
    return result


def _apply_texts(service: Service, texts: Mapping[str, TextData]) -> None:
    """The texts per locale, with the translation-review rule: a translation whose French
    changed under it, and that was not edited in the same change, needs review."""
    current = service.text_by_locale()
    original = texts.get(ORIGINAL_LOCALE)
    if original is not None and not original.name.strip():
        raise OperationError(f"texts.{ORIGINAL_LOCALE}.name", "a service needs a French name")
    if original is None and ORIGINAL_LOCALE not in current:
        raise OperationError(f"texts.{ORIGINAL_LOCALE}.name", "a service needs a French name")
    old_original = _text_values(current.get(ORIGINAL_LOCALE))
    new_original = original.values() if original is not None else old_original
    original_changed = {name for name in TEXT_FIELDS if old_original[name] != new_original[name]}

    rows: list[ServiceText] = []
    for locale in sorted(current.keys() | texts.keys(), key=lambda c: (c != ORIGINAL_LOCALE, c)):
        row = current.get(locale)
        wanted = texts.get(locale)
        if wanted is None:
            if row is not None:
                rows.append(row)
            continue
        if wanted.empty and locale != ORIGINAL_LOCALE:
            continue  # every text of this locale was emptied: the locale goes
        old = _text_values(row)
        new = wanted.values()
        edited = {name for name in TEXT_FIELDS if old[name] != new[name]}
        if row is None:
            row = ServiceText(locale=locale, status=TextStatus.DONE)
        assign_changed(row, **new)
        if locale == ORIGINAL_LOCALE:
            assign_changed(row, status=TextStatus.DONE)
        elif any(n in original_changed and n not in edited and new[n] for n in TEXT_FIELDS):
            assign_changed(row, status=TextStatus.NEEDS_REVIEW)
        elif wanted.status is not None:
            assign_changed(row, status=TextStatus(wanted.status))
        elif edited or wanted.reviewed:
            assign_changed(row, status=TextStatus.DONE)
        rows.append(row)
    if rows != list(service.texts):
        service.texts = rows


def _text_values(row: ServiceText | None) -> dict[str, str]:
    return {name: (getattr(row, name) or "") if row is not None else "" for name in TEXT_FIELDS}


def _apply_hours(service: Service, hours: Iterable[WeeklyRange]) -> None:
    """Weekly ranges, each once, in order; a range without an id takes over the service's
    range of the same days and times, so that an unchanged form rewrites nothing."""
    by_value = {tuple(field_values(s, SCHEDULE_FIELDS).values()): s.id for s in service.schedules}
    wanted: dict[tuple[Any, ...], str | None] = {}
    for weekly in hours:
        key = tuple(field_values(weekly, SCHEDULE_FIELDS).values())
        given = weekly.id if isinstance(weekly, ScheduleData) else None
        wanted.setdefault(key, given or by_value.get(key))
    rows = [(wanted[key], dict(zip(SCHEDULE_FIELDS, key, strict=True))) for key in sorted(wanted)]
    schedules = _sync(service.schedules, rows, Schedule)
    if schedules != list(service.schedules):
        service.schedules = schedules


def _apply_places(service: Service, places: Iterable[PlaceData], lookups: _Lookups) -> None:
    """The service's places in order. A place is matched to the service's own by location; an
    unknown location id is a place of another service (then shared) or a new one of that id."""
    links = {link.location_id: link for link in service.locations}
    result: list[ServiceLocation] = []
    for place in places:
        link = links.pop(place.location_id, None) if place.location_id else None
        if link is None:
            location = lookups.location(place.location_id) if place.location_id else None
            if location is None:
                location = Location(id=place.location_id) if place.location_id else Location()
                lookups.added_location(location)
            link = ServiceLocation(location=location)
        values = field_values(place, PLACE_FIELDS)
        if place.address_id is not KEEP:
            values["address_id"] = place.address_id
        if place.country is not KEEP:
            values["country"] = place.country
        if place.hsds_extra is not KEEP:
            values["hsds_extra"] = _copy(place.hsds_extra)
        if any(getattr(link.location, name) != value for name, value in values.items()):
            lookups.changing_location(link.location)
            assign_changed(link.location, **values)
        assign_changed(link, position=len(result))
        if place.link_id:
            # A feed that renumbers its service_at_location ids: the link takes the new id.
            assign_changed(link, id=place.link_id)
        result.append(link)
    if result != list(service.locations):
        service.locations = result


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


@dataclass
class OrganizationData:
    name: str
    description: str = ""
    website: str | None = None
    email: str | None = None
    # The HSDS keys Guichet has no column for (funding, programs…), as a feed gave them.
    hsds_extra: Mapping[str, Any] | Literal[Keep.KEEP] = KEEP

    @classmethod
    def of(cls, organization: Organization) -> OrganizationData:
        return cls(
            organization.name, organization.description or "", organization.website,
            organization.email, _copy(organization.hsds_extra),
        )  # fmt: skip


def organization_snapshot(organization: Organization) -> dict[str, Any]:
    return {
        "name": organization.name,
        "description": organization.description or "",
        "website": organization.website,
        "email": organization.email,
        "archived_at": iso(organization.archived_at),
        **({"hsds_extra": organization.hsds_extra} if organization.hsds_extra else {}),
    }


def _assign_organization(organization: Organization, data: OrganizationData) -> None:
    if not data.name.strip():
        raise OperationError("name", "an organisation needs a name")
    assign_changed(
        organization,
        name=data.name,
        description=data.description,
        website=data.website or None,
        email=data.email or None,
    )
    if data.hsds_extra is not KEEP:
        assign_changed(organization, hsds_extra=_copy(data.hsds_extra))


def create_organization(
    session: Session,
    actor: Actor,
    data: OrganizationData,
    at: datetime | None = None,
    organization_id: str | None = None,
) -> Organization:
    organization = Organization() if organization_id is None else Organization(id=organization_id)
    _assign_organization(organization, data)
    session.add(organization)
    _record_creation(session, actor, organization, at)
    return organization


def update_organization(
    session: Session,
    actor: Actor,
    organization: Organization,
    data: OrganizationData,
    at: datetime | None = None,
) -> Changes:
    return _change(
        session, actor, organization, "organization.update",
        lambda: _assign_organization(organization, data), at,
    )  # fmt: skip


def archive_organization(
    session: Session, actor: Actor, organization: Organization, at: datetime | None = None
) -> Changes:
    """Archive the organisation and, at the same moment, its services still listed."""
    at = at or clock.now()
    if organization.archived_at is not None:
        return {}
    for service in organization.services:
        if service.archived_at is None:
            archive_service(session, actor, service, at)

    def mutate() -> None:
        organization.archived_at = at

    return _change(session, actor, organization, "organization.archive", mutate, at)


def restore_organization(
    session: Session, actor: Actor, organization: Organization, at: datetime | None = None
) -> Changes:
    """Restore the organisation and the services archived with it (not those archived
    on their own before)."""
    archived_at = organization.archived_at
    if archived_at is None:
        return {}
    for service in organization.services:
        if service.archived_at == archived_at:
            restore_service(session, actor, service, at)

    def mutate() -> None:
        organization.archived_at = None

    return _change(session, actor, organization, "organization.restore", mutate, at)


# --------------------------------------------------------------------------------------------
# Many at once
# --------------------------------------------------------------------------------------------


@dataclass
class _Touched:
    """A service or organisation a batch changes, and its snapshot before (None: new)."""

    target: Service | Organization
    action: str
    before: dict[str, Any] | None


class DirectoryBatch(_Lookups):
    """The operations for hundreds of services at once, as an import needs them.

    One by one, each service costs two flushes, a query per category list and per place, an
    audit INSERT and a version bump: milliseconds that add up to an hour at 100k services.
    A batch runs the same :func:`_apply` (so the same rules: the translation-review rule, the
    replaced rows, the shared places) on objects held in memory and finds what they refer to
    in what :meth:`load` read in a few queries. :meth:`finish` then flushes once (the unit of
    work sends each table's rows as one executemany), writes the audit entries with one
    INSERT, each the change of one service or organisation from its state before the batch
    first touched it, and bumps the directory version once with the changed services' ids.
    Writing rows through Core instead of the unit of work would mean a second :func:`_apply`
    that drifts from the first. Like the operations, it flushes and never commits.
    """

    def __init__(self, session: Session, actor: Actor, at: datetime) -> None:
        super().__init__(session)
        self.actor = actor
        self.at = at
        self.services: dict[str, Service] = {}
        self._organizations: dict[str, Organization] = {}
        self._locations: dict[str, Location] = {}
        self._category_by_slug = {c.slug: c for c in session.scalars(select(Category))}
        self._touched: dict[tuple[str, str], _Touched] = {}

    def load(
        self,
        service_ids: Iterable[str],
        organization_ids: Iterable[str],
        location_ids: Iterable[str],
    ) -> None:
        """Read what the batch will touch: the services of ``service_ids`` that exist (into
        :attr:`services`), the organisations and the places named."""
        for chunk in chunked(sorted(set(service_ids))):
            for service in self.session.scalars(
                select(Service).where(Service.id.in_(chunk)).options(*SERVICE_LOADING)
            ):
                self.services[service.id] = service
                for link in service.locations:
                    self._locations[link.location_id] = link.location
        places = set(location_ids)
        for chunk in chunked(sorted(places - self._locations.keys())):
            for location in self.session.scalars(select(Location).where(Location.id.in_(chunk))):
                self._locations[location.id] = location
        for chunk in chunked(sorted(set(organization_ids))):
            for organization in self.session.scalars(
                select(Organization).where(Organization.id.in_(chunk))
            ):
                self._organizations[organization.id] = organization

    def organization(self, organization_id: str) -> Organization | None:
        return self._organizations.get(organization_id)

    def location(self, location_id: str) -> Location | None:
        return self._locations.get(location_id)

    def added_location(self, location: Location) -> None:
        self._locations[location.id] = location

    def changing_location(self, location: Location) -> None:
        """The services at ``location`` change with it: keep their state before (a query,
        only for a place whose values change)."""
        if not inspect(location).persistent:
            return  # new in this batch: no service is at it in the database
        with self.session.no_autoflush:
            sharing = self.session.scalars(
                select(Service)
                .where(
                    Service.id.in_(
                        select(ServiceLocation.service_id).where(
                            ServiceLocation.location_id == location.id
                        )
                    )
                )
                .options(*SERVICE_LOADING)
            )
            for service in sharing:
                self._touch(service, "service.update")

    def _categories(self, slugs: list[str]) -> Iterable[Category]:
        return [self._category_by_slug[slug] for slug in slugs if slug in self._category_by_slug]

    def create_organization(self, data: OrganizationData, organization_id: str) -> Organization:
        organization = Organization(id=organization_id)
        _assign_organization(organization, data)
        self.session.add(organization)
        self._organizations[organization_id] = organization
        self._touch(organization, "organization.create", new=True)
        return organization

    def update_organization(self, organization: Organization, data: OrganizationData) -> None:
        self._touch(organization, "organization.update")
        _assign_organization(organization, data)

    def create_service(self, data: ServiceData, service_id: str) -> Service:
        service = _new_service(self.session, self.at, service_id)
        self._touch(service, "service.create", new=True)
        _apply(self.session, service, data, self)
        self.services[service_id] = service
        return service

    def update_service(self, service: Service, data: ServiceData) -> None:
        self._touch(service, "service.update")
        _apply(self.session, service, data, self)

    def _touch(self, target: Service | Organization, action: str, *, new: bool = False) -> None:
        """Keep ``target``'s state before the batch's first change to it."""
        key = (type(target).__name__, target.id)
        if key not in self._touched:
            self._touched[key] = _Touched(target, action, None if new else _snapshot(target)[1])

    def finish(self) -> set[str]:
        """Write the batch; return the ids of the services it created or changed."""
        self.session.flush()
        entries = []
        changed: set[str] = set()
        for touched in self._touched.values():
            kind, after = _snapshot(touched.target)
            changes = _created(after) if touched.before is None else diff(touched.before, after)
            if not changes:
                continue
            entries.append(
                entry_values(
                    self.actor, touched.action, kind, touched.target.id, changes, at=self.at
                )
            )
            if touched.before is not None or kind == "service":
                # A new organisation's services are new in this batch, hence already here.
                changed.update(_services_of(touched.target))
        if entries:
            self.session.execute(insert(AuditEntry), entries)
        if changed:
            bump_directory_version(self.session, sorted(changed))
        self._touched.clear()
        return changed


def chunked(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``values`` in slices for ``IN (…)``, well under SQLite's bound-parameter limit."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --------------------------------------------------------------------------------------------
# Residents' reports and imports
# --------------------------------------------------------------------------------------------


REPORT_MAX_CHARS = 1000


def report_problem(
    session: Session,
    service_id: str,
    text: str,
    *,
    channel: str,
    locale: str,
    contact_id: int | None = None,
) -> Feedback:
    """A resident's report about a service, from any channel, for the social workers' queue.

    White space is folded, phone numbers and e-mail addresses blanked (before the cut, which
    could halve one past recognition) and the text cut to ``REPORT_MAX_CHARS``, the same on
    every channel.
    """
    feedback = Feedback(
        service_id=service_id,
        contact_id=contact_id,
        channel=channel,
        locale=locale,
        text=scrub_personal(" ".join(text.split()))[:REPORT_MAX_CHARS],
    )
    session.add(feedback)
    session.flush()
    return feedback


def review_feedback(
    session: Session,
    actor: Actor,
    feedback: Feedback,
    status: FeedbackStatus,
    at: datetime | None = None,
) -> Changes:
    """Close a resident's report: acted upon (reviewed) or set aside (dismissed)."""
    if status is FeedbackStatus.NEW:
        raise OperationError("status", "a report is reviewed or dismissed, not made new")
    at = at or clock.now()
    old = FeedbackStatus(feedback.status).value
    if old == status.value:
        return {}
    feedback.status = status
    feedback.reviewed_at = at
    changes = {f"feedback.{feedback.id}": {"old": old, "new": status.value}}
    record(
        session, actor, "feedback.review", "service", feedback.service_id, changes,
        details={"feedback_id": feedback.id}, at=at,
    )  # fmt: skip
    session.flush()
    return changes


def record_import(
    session: Session,
    actor: Actor,
    source: str,
    created: int,
    updated: int,
    unchanged: int = 0,
    **counts: int,
) -> None:
    """An import (or one batch of a streamed one) as one entry in the trail, with its counts
    (``counts``: more of them, such as the records rejected); each service it created or
    changed has its own entry besides."""
    record(
        session, actor, "import", "import", None,
        details={
            "source": source, "created": created, "updated": updated, "unchanged": unchanged,
            **counts,
        },
    )  # fmt: skip
    session.flush()
