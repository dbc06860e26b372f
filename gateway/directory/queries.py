"""Reading the directory, for every channel.

Channels never assemble a service's facts themselves: :func:`service_card` resolves the texts
for a locale (saying when it fell back to French), the hours at a moment, the place and phones.

What residents are shown is read from a :class:`DirectorySnapshot`: every listed service as
plain, read-only values, one per process and directory version (:func:`directory_snapshot`).
Each request reads the version (one small query); every write bumps it and logs the services
it changed (:func:`gateway.directory.operations.bump_directory_version`), so the next request
of every process reloads those services alone and sees the edit, and meanwhile a card or a
category costs no query. When the log cannot say what changed, the whole directory is read
in a background thread while the previous snapshot answers (:class:`DirectoryFollower`); only
a process's first read, with nothing to answer from, is made by the request.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from types import MappingProxyType
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from gateway.directory.hours import DatedClosure, Hours, HoursStatus, WeeklyRange
from gateway.i18n import Localized, pick_text
from gateway.models import (
    CATEGORY_SLUGS,
    Category,
    Closure,
    DirectoryChange,
    DirectoryVersion,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceCategory,
    ServiceLocation,
    ServiceStatus,
    ServiceText,
)
from gateway.models.directory import PLACE_FIELDS, SCHEDULE_FIELDS, TEXT_FIELDS
from gateway.sqlite import READ_ONLY

T = TypeVar("T")
log = logging.getLogger(__name__)

# Everything a service is made of (card, snapshot, audit, export), loaded in a few queries.
SERVICE_LOADING = (
    selectinload(Service.texts),
    selectinload(Service.categories),
    selectinload(Service.locations).joinedload(ServiceLocation.location),
    selectinload(Service.phones),
    selectinload(Service.schedules),
    selectinload(Service.closures),
    selectinload(Service.organization),
)


def directory_version(session: Session) -> int:
    return session.scalar(select(DirectoryVersion.version).where(DirectoryVersion.id == 1)) or 0


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position)))


def category_counts(session: Session) -> dict[str, int]:
    """Listed services per category slug (every category appears, even when empty).

    Counted in the snapshot, and brought up to date by each edit: a count in the database
    cost every lite page that shows them more than half a second at 100,000 services.
    """
    return dict(snapshot_counts(directory_snapshot(session)))


def snapshot_counts(directory: DirectorySnapshot) -> Mapping[str, int]:
    """:func:`category_counts` of a snapshot already in hand."""
    return directory.derived(_count_categories, _follow_counts)


def _count_categories(directory: DirectorySnapshot) -> Mapping[str, int]:
    counts = dict.fromkeys(CATEGORY_SLUGS, 0)
    for facts in directory.services.values():
        for slug in facts.categories:
            counts[slug] = counts.get(slug, 0) + 1
    return MappingProxyType(counts)


def _follow_counts(
    counts: Mapping[str, int],
    changed: Mapping[str, ServiceFacts | None],
    before: Mapping[str, ServiceFacts],
) -> Mapping[str, int]:
    following = dict(counts)
    for service_id, facts in changed.items():
        was = before.get(service_id)
        for slug in was.categories if was is not None else ():
            following[slug] = following.get(slug, 0) - 1
        for slug in facts.categories if facts is not None else ():
            following[slug] = following.get(slug, 0) + 1
    return MappingProxyType(following)


def listed_clause():  # type: ignore[no-untyped-def]
    """Services residents may be shown: not archived, not inactive (temporarily closed stays)."""
    return (Service.archived_at.is_(None)) & (Service.status != ServiceStatus.INACTIVE)


def get_service(session: Session, service_id: str) -> Service | None:
    return session.scalars(
        select(Service).where(Service.id == service_id).options(*SERVICE_LOADING)
    ).first()


def listed_services(session: Session, category: str | None = None) -> list[Service]:
    """Listed services with everything a card needs loaded, optionally of one category."""
    query = select(Service).where(listed_clause()).options(*SERVICE_LOADING)
    if category is not None:
        query = query.join(ServiceCategory).join(Category).where(Category.slug == category)
    return list(session.scalars(query.order_by(Service.id)))


@dataclass(frozen=True, slots=True)
class Place:
    """Where a service is delivered, as residents are told (a location's plain values)."""

    name: str
    address: str
    postcode: str
    city: str
    district: str
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, location: Location) -> Place:
        return cls(**field_values(location, PLACE_FIELDS))


def field_values(obj: object, names: Iterable[str]) -> dict[str, Any]:
    """The fields ``names`` (one of the declarations beside
    :data:`~gateway.models.TEXT_FIELDS`) of a row, a form's row or a record, by name."""
    return {name: getattr(obj, name) for name in names}


class Texts(Mapping[str, str]):
    """A locale's text fields of a service (:data:`~gateway.models.TEXT_FIELDS`, "" when
    empty), read-only, held in one tuple: a dict for each service and locale was most of
    the memory of a large directory's snapshot."""

    __slots__ = ("_values",)
    _POSITIONS = {name: position for position, name in enumerate(TEXT_FIELDS)}

    def __init__(self, values: Iterable[str]) -> None:
        self._values = tuple(values)

    def __getitem__(self, name: str) -> str:
        return self._values[self._POSITIONS[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(TEXT_FIELDS)

    def __len__(self) -> int:
        return len(TEXT_FIELDS)


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """A service as plain, read-only values: everything a card is made of.

    ``texts`` maps a locale to every text field (:data:`~gateway.models.TEXT_FIELDS`, "" when
    empty); ``places`` and ``phones`` are in the directory's order.
    """

    id: str
    status: ServiceStatus
    texts: Mapping[str, Mapping[str, str]]
    organization: str
    categories: tuple[str, ...]
    places: tuple[Place, ...]
    phones: tuple[tuple[str, str], ...]  # (number, kind)
    ranges: tuple[WeeklyRange, ...]
    closures: tuple[DatedClosure, ...]
    access_conditions: tuple[str, ...]
    languages: tuple[str, ...]
    verified_at: datetime | None

    @classmethod
    def of(cls, service: Service) -> ServiceFacts:
        """The facts of a service loaded with everything (:func:`get_service`)."""
        return cls(
            id=service.id,
            status=service.status,
            texts=MappingProxyType(
                {
                    text.locale: Texts(getattr(text, name) or "" for name in TEXT_FIELDS)
                    for text in service.texts
                }
            ),
            organization=service.organization.name,
            categories=tuple(category.slug for category in service.categories),
            places=tuple(Place.of(link.location) for link in service.locations),
            phones=tuple((phone.number, phone.kind) for phone in service.phones),
            ranges=tuple(
                WeeklyRange(**field_values(s, SCHEDULE_FIELDS)) for s in service.schedules
            ),
            closures=tuple(
                DatedClosure(c.starts_on, c.ends_on, c.reason.value, dict(c.message))
                for c in service.closures
            ),
            access_conditions=tuple(service.access_conditions),
            languages=tuple(service.languages),
            verified_at=service.verified_at,
        )

    def text(self, name: str, locale: str) -> Localized:
        """The text field ``name`` in ``locale``, else French, else any locale that has it."""
        return pick_text({code: texts[name] for code, texts in self.texts.items()}, locale)


def hours_of(service: Service | ServiceFacts, timezone: str) -> Hours:
    facts = service if isinstance(service, ServiceFacts) else ServiceFacts.of(service)
    return Hours(
        facts.ranges,
        facts.closures,
        timezone=timezone,
        closed=facts.status is not ServiceStatus.ACTIVE,
    )


class DirectorySnapshot:
    """Every listed service at one directory version, as :class:`ServiceFacts` (read-only).

    Shared by all the requests of a process until the version moves; what is worked out from
    it once (the search index) is kept with it (:meth:`derived`). A snapshot that follows an
    older one (:meth:`following`) shares its unchanged facts, and its derived values are the
    older one's brought up to date (see :meth:`derived`'s ``follow``).
    """

    def __init__(self, version: int, services: Iterable[ServiceFacts]) -> None:
        self._start(version, {facts.id: facts for facts in sorted(services, key=_facts_id)})

    def _start(self, version: int, services: dict[str, ServiceFacts]) -> None:
        self.version = version
        self._services = services
        self.services: Mapping[str, ServiceFacts] = MappingProxyType(services)
        self._derived: dict[Callable[[DirectorySnapshot], Any], Any] = {}
        # How each derived value follows an edit, when it can (see derived()).
        self._follows: dict[Callable[[DirectorySnapshot], Any], Follow[Any]] = {}
        self._lock = threading.Lock()
        # The snapshot this one replaced in its process, whose derived values stand in while
        # this one's are worked out in the background; None once they are (or if none may).
        self._previous: DirectorySnapshot | None = None
        self._building: set[Callable[[DirectorySnapshot], Any]] = set()
        self.superseded = False

    def following(
        self, version: int, changed: Mapping[str, ServiceFacts | None]
    ) -> DirectorySnapshot:
        """This snapshot with the ``changed`` services replaced (None: no longer listed),
        and the derived values that can follow an edit followed: the cost of the edit's
        services, not of the directory (the ids are sorted again only when one is new)."""
        services = dict(self._services)
        added = False
        for service_id, facts in changed.items():
            if facts is None:
                services.pop(service_id, None)
            else:
                added = added or service_id not in services
                services[service_id] = facts
        new = DirectorySnapshot.__new__(DirectorySnapshot)
        new._start(version, dict(sorted(services.items())) if added else services)
        with self._lock:
            follows = {build: self._derived[build] for build in self._follows}
        for build, value in follows.items():
            new._derived[build] = self._follows[build](value, changed, self.services)
            new._follows[build] = self._follows[build]
        return new

    def replaces(self, older: DirectorySnapshot) -> None:
        """Serve ``older``'s derived values until this one's are built (in the background);
        none of it when this one has them all already (it followed ``older``)."""
        older.superseded = True
        if not older._known() <= self._derived.keys():
            self._previous = older

    def _known(self) -> set[Callable[[DirectorySnapshot], Any]]:
        """What this snapshot, or one standing in for it, has worked out."""
        known = set(self._derived)
        return known if self._previous is None else known | self._previous._known()

    def derived(
        self, build: Callable[[DirectorySnapshot], T], follow: Follow[T] | None = None
    ) -> T:
        """``build(self)``, worked out once per snapshot.

        ``follow(value, changed, before)``, when given, is ``value`` brought up to date with
        the services ``changed`` (as :meth:`following` takes them; ``before``: the services
        as they were): the snapshots that follow this one then have theirs at once, with
        no build.

        When the snapshot replaced one whose value is known, that value answers while this
        one's is built in a background thread: no request waits for a rebuild. Otherwise it
        is built here, by one request at a time (the first of a process has nothing else).
        """
        try:
            return self._derived[build]  # type: ignore[no-any-return]
        except KeyError:
            pass
        stand_in = self._stand_in(build)
        if stand_in:
            with self._lock:
                start = build not in self._building
                self._building.add(build)
            if start:
                threading.Thread(
                    target=self._build_in_background, args=(build, follow), daemon=True
                ).start()
            return stand_in[0]
        with self._lock:
            if build not in self._derived:
                self._keep(build, build(self), follow)
            return self._derived[build]  # type: ignore[no-any-return]

    def _keep(
        self, build: Callable[[DirectorySnapshot], T], value: T, follow: Follow[T] | None
    ) -> None:
        """Hold ``value`` as ``build``'s (the lock held)."""
        self._derived[build] = value
        if follow is not None:
            self._follows[build] = follow

    def _stand_in(self, build: Callable[[DirectorySnapshot], T]) -> tuple[T] | tuple[()]:
        previous = self._previous
        while previous is not None:
            if build in previous._derived:
                return (previous._derived[build],)
            previous = previous._previous
        return ()

    def _build_in_background(
        self, build: Callable[[DirectorySnapshot], Any], follow: Follow[Any] | None
    ) -> None:
        with _background_builds:
            # Edits that came faster than builds: only the newest snapshot is worth one.
            if not self.superseded:
                value = build(self)
                with self._lock:
                    self._keep(build, value, follow)
                    if not self._building - {build}:
                        self._previous = None  # nothing stands in any more: let it go
            with self._lock:
                self._building.discard(build)


def _facts_id(facts: ServiceFacts) -> str:
    return facts.id


# A derived value brought up to date with the services an edit changed (None: unlisted),
# given the services as they were.
Follow = Callable[[T, Mapping[str, ServiceFacts | None], Mapping[str, ServiceFacts]], T]


# One background build at a time in a process: they compete with requests for the CPU.
_background_builds = threading.Lock()
# Change-log rows kept: a process whose snapshot is older builds the whole directory again.
CHANGE_LOG_VERSIONS = 1000
# Services read at a time in a whole read of the directory.
LOAD_CHUNK = 2000
# Beyond this many changed services (an import), a whole build costs no more than following.
MAX_FOLLOWED_CHANGES = 500
# session.info key: the session's transaction changed the directory and has not ended yet.
UNCOMMITTED_CHANGE = "guichet.directory_changed"


@dataclass
class UncommittedChange:
    """A version bump not yet committed: the (innermost) transaction that made it, the
    version it took and the services logged under it so far."""

    transaction: SessionTransaction
    version: int
    logged: set[str] = field(default_factory=set)


@event.listens_for(Session, "after_transaction_end")
def _change_settled(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(UNCOMMITTED_CHANGE, None)


def load_facts(
    connection: Connection, service_ids: Collection[str] | None = None
) -> dict[str, ServiceFacts]:
    """The listed services' facts by id, of ``service_ids`` alone when given (one that is
    not listed, or gone, is absent).

    Plain rows through Core rather than ORM objects: a build of ten thousand services is a
    handful of queries, with no identity map to fill. The whole directory is read
    :data:`LOAD_CHUNK` services at a time, so that the rows in hand at once (far larger
    than the facts made of them) stay few, and with them the process's memory.
    """
    listed = select(Service.id).where(listed_clause())
    # Services share most of their values: districts, categories, hours, places, the
    # organisation. One object each keeps a snapshot of 100,000 services small.
    shared: dict[Any, Any] = {}
    if service_ids is not None:
        return _facts_of(connection, listed.where(Service.id.in_(list(service_ids))), shared)
    ids = connection.scalars(listed.order_by(Service.id)).all()
    facts: dict[str, ServiceFacts] = {}
    for start in range(0, len(ids), LOAD_CHUNK):
        first, last = ids[start], ids[min(start + LOAD_CHUNK, len(ids)) - 1]
        facts.update(_facts_of(connection, listed.where(Service.id.between(first, last)), shared))
    return facts


def _facts_of(
    connection: Connection, scope: Any, shared: dict[Any, Any]
) -> dict[str, ServiceFacts]:
    """The facts of the services ``scope`` selects; ``shared``: the values met so far."""

    def rows_by_service(
        *columns: Any, join: Any = None, order: Sequence[Any] = ()
    ) -> dict[str, list[Any]]:
        owner = columns[0]
        query = select(*columns).where(owner.in_(scope)).order_by(*order)
        if join is not None:
            query = query.join(*join)
        found: dict[str, list[Any]] = {}
        for row in connection.execute(query):
            found.setdefault(row[0], []).append(row)
        return found

    texts = rows_by_service(
        ServiceText.service_id,
        ServiceText.locale,
        *(getattr(ServiceText, name) for name in TEXT_FIELDS),
        order=(ServiceText.locale,),
    )
    slugs = rows_by_service(
        ServiceCategory.service_id,
        Category.slug,
        join=(Category, Category.id == ServiceCategory.category_id),
        order=(Category.position,),
    )
    places = rows_by_service(
        ServiceLocation.service_id,
        *(getattr(Location, name) for name in PLACE_FIELDS),
        join=(Location, Location.id == ServiceLocation.location_id),
        order=(ServiceLocation.position, ServiceLocation.id),
    )
    phones = rows_by_service(
        Phone.service_id, Phone.number, Phone.kind, order=(Phone.position, Phone.id)
    )
    schedules = rows_by_service(
        Schedule.service_id,
        *(getattr(Schedule, name) for name in SCHEDULE_FIELDS),
        order=(Schedule.weekday, Schedule.opens_at, Schedule.id),
    )
    closures = rows_by_service(
        Closure.service_id,
        Closure.starts_on,
        Closure.ends_on,
        Closure.reason,
        Closure.message,
        order=(Closure.starts_on, Closure.id),
    )
    services = connection.execute(
        select(
            Service.id,
            Service.status,
            Organization.name,
            Service.access_conditions,
            Service.languages,
            Service.verified_at,
        )
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id.in_(scope))
    )

    def one(value: T) -> T:
        # By type too: 0 == 0.0 == False, but a weekday is not a latitude.
        return shared.setdefault((type(value), value), value)  # type: ignore[no-any-return]

    return {
        service_id: ServiceFacts(
            id=service_id,
            status=status,
            texts=MappingProxyType(
                {
                    one(row.locale): Texts(row._mapping[name] or "" for name in TEXT_FIELDS)
                    for row in texts.get(service_id, ())
                }
            ),
            organization=one(organization),
            categories=one(tuple(one(row.slug) for row in slugs.get(service_id, ()))),
            places=one(
                tuple(
                    one(Place(**{name: one(row._mapping[name]) for name in PLACE_FIELDS}))
                    for row in places.get(service_id, ())
                )
            ),
            phones=tuple((row.number, one(row.kind)) for row in phones.get(service_id, ())),
            ranges=one(
                tuple(
                    one(WeeklyRange(**{name: one(row._mapping[name]) for name in SCHEDULE_FIELDS}))
                    for row in schedules.get(service_id, ())
                )
            ),
            closures=tuple(
                DatedClosure(row.starts_on, row.ends_on, row.reason.value, dict(row.message))
                for row in closures.get(service_id, ())
            ),
            access_conditions=one(tuple(access_conditions)),
            languages=one(tuple(one(code) for code in languages)),
            verified_at=verified_at,
        )
        for service_id, status, organization, access_conditions, languages, verified_at in services
    }


def read_snapshot(connection: Connection) -> DirectorySnapshot:
    """The whole listed directory, at the version read first (facts read after it may be
    newer: the next change followed reloads them again)."""
    version = connection.scalar(select(DirectoryVersion.version).where(DirectoryVersion.id == 1))
    return DirectorySnapshot(version or 0, load_facts(connection).values())


class DirectoryFollower:
    """One process's snapshot of one database's directory, kept up with its change log.

    A request that finds the version moved reloads the services changed since (a few
    queries); when the log cannot say (pruned, or an import changed more than
    :data:`MAX_FOLLOWED_CHANGES`), the whole directory is read again in a background thread
    and swapped in whole, while requests go on answering from the snapshot they have.

    ``background`` is False for a session bound to one connection (the tests' rolled-back
    transaction): nothing else can read what it holds, so a whole build happens in place.
    ``read_all`` is :func:`read_snapshot` but for tests that hold a build.
    """

    def __init__(
        self,
        background: bool,
        read_all: Callable[[Connection], DirectorySnapshot] = read_snapshot,
    ) -> None:
        self.background = background
        self.read_all = read_all
        self.snapshot: DirectorySnapshot | None = None
        self.building: threading.Thread | None = None
        self._lock = threading.Lock()

    def current(self, session: Session, version: int, log_start: int) -> DirectorySnapshot:
        """The snapshot at ``version`` if it can be had without a whole build, else the
        latest one while a whole build runs."""
        cached = self.snapshot
        if cached is not None and cached.version == version:
            return cached
        started = perf_counter()
        with self._lock:
            cached = self.snapshot
            if cached is None:
                return self._swap(None, self.read_all(session.connection()), "read", started)
            if cached.version == version or self.building is not None:
                return cached
            changed = None
            if log_start <= cached.version < version:
                changed = session.scalars(
                    select(DirectoryChange.service_id)
                    .where(DirectoryChange.version > cached.version)
                    .where(DirectoryChange.version <= version)
                    .distinct()
                    .limit(MAX_FOLLOWED_CHANGES + 1)
                ).all()
            if changed is not None and len(changed) <= MAX_FOLLOWED_CHANGES:
                facts = load_facts(session.connection(), changed)
                following = cached.following(version, {id: facts.get(id) for id in changed})
                return self._swap(cached, following, "followed", started, len(changed))
            if not self.background:
                return self._swap(cached, self.read_all(session.connection()), "read", started)
            engine = _engine_of(session)
            self.building = threading.Thread(
                target=self._build_in_background, args=(engine, cached), daemon=True
            )
            self.building.start()
            return cached

    def _build_in_background(self, engine: Engine, cached: DirectorySnapshot) -> None:
        started = perf_counter()
        try:
            # Read-only: on SQLite a whole read in a write turn would hold up every writer.
            with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
                snapshot = self.read_all(connection)
            with self._lock:
                self._swap(cached, snapshot, "read in the background", started)
        finally:
            self.building = None

    def _swap(
        self,
        cached: DirectorySnapshot | None,
        snapshot: DirectorySnapshot,
        how: str,
        started: float,
        changed: int | None = None,
    ) -> DirectorySnapshot:
        """Serve ``snapshot`` from now on (the lock held); the one log line of a build
        (``changed``: how many services a followed one reloaded)."""
        if cached is not None and self.background:
            snapshot.replaces(cached)
        self.snapshot = snapshot
        log.info(
            "directory snapshot %s",
            how,
            extra={
                "version": snapshot.version,
                "services": len(snapshot.services),
                "changed": changed,
                "seconds": round(perf_counter() - started, 3),
            },
        )
        return snapshot


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


# Keyed by engine, i.e. by app and database: tests that roll back start again from the same
# version numbers, so a URL alone could hand one test the snapshot of another's rows.
_followers: WeakKeyDictionary[Engine, DirectoryFollower] = WeakKeyDictionary()
_followers_lock = threading.Lock()


def directory_follower(session: Session) -> DirectoryFollower:
    """The process's follower of the session's database."""
    engine = _engine_of(session)
    with _followers_lock:
        follower = _followers.get(engine)
        if follower is None:
            background = isinstance(session.get_bind(), Engine)
            follower = _followers[engine] = DirectoryFollower(background)
        return follower


# Read on every request that shows the directory: built once.
_VERSION = select(DirectoryVersion.version, DirectoryVersion.log_start).where(
    DirectoryVersion.id == 1
)


def directory_snapshot(session: Session) -> DirectorySnapshot:
    """The listed directory as the session's database has it now (one query when unchanged).

    Follows the change log when the version moved since the last read, so an edit is seen
    on the next request; read for the session alone while its transaction holds a change
    of its own.
    """
    version, log_start = session.connection().execute(_VERSION).one()
    if session.info.get(UNCOMMITTED_CHANGE):
        # This transaction's changes may yet be rolled back and their version number then
        # taken by another change: what it reads is its own, never cached for the process.
        return read_snapshot(session.connection())
    return directory_follower(session).current(session, version, log_start)


@dataclass(frozen=True)
class Area:
    """A postcode or district a resident named, with its centre when places there are known."""

    postcode: str | None
    district: str | None
    latitude: float | None
    longitude: float | None

    def contains(self, location: Place) -> bool:
        if self.postcode and location.postcode == self.postcode:
            return True
        return (
            bool(self.district) and location.district.casefold() == (self.district or "").casefold()
        )


def find_area(session: Session, postcode: str | None = None, district: str | None = None) -> Area:
    query = select(func.avg(Location.latitude), func.avg(Location.longitude))
    if postcode:
        query = query.where(Location.postcode == postcode)
    elif district:
        query = query.where(func.lower(Location.district) == district.lower())
    else:
        return Area(None, None, None, None)
    lat, lon = session.execute(query).one()
    return Area(postcode, district, lat, lon)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); good to a few metres at a city's scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class ServiceCard:
    """A service as a resident sees it at one moment, in one locale."""

    id: str
    name: Localized
    summary: Localized
    description: Localized
    eligibility: Localized
    how_to_access: Localized
    organization: str
    categories: tuple[str, ...]
    status: ServiceStatus
    access_conditions: tuple[str, ...]
    languages: tuple[str, ...]
    location: Place | None
    phones: tuple[tuple[str, str], ...]  # (number, kind)
    hours: HoursStatus
    weekly: tuple[WeeklyRange, ...]
    upcoming_closures: tuple[DatedClosure, ...]
    verified_at: datetime | None
    distance_km: float | None

    @property
    def any_fallback(self) -> bool:
        """True when a text shown is French because the asked locale had none."""
        return self.name.fallback or self.summary.fallback


def service_card(
    service: Service | ServiceFacts,
    locale: str,
    at: datetime,
    timezone: str,
    area: Area | None = None,
) -> ServiceCard:
    """The service as a resident sees it at ``at`` in ``locale`` (from a loaded service or
    from the snapshot's facts); with an ``area``, its place there and the distance to it."""
    facts = service if isinstance(service, ServiceFacts) else ServiceFacts.of(service)
    hours = hours_of(facts, timezone)
    location = facts.places[0] if facts.places else None
    if area is not None:
        location = next((place for place in facts.places if area.contains(place)), location)
    distance = None
    if (
        area is not None
        and area.latitude is not None
        and area.longitude is not None
        and location is not None
        and location.latitude is not None
        and location.longitude is not None
    ):
        distance = distance_km(area.latitude, area.longitude, location.latitude, location.longitude)
    today = at.astimezone(hours.tz).date()
    return ServiceCard(
        id=facts.id,
        name=facts.text("name", locale),
        summary=facts.text("summary", locale),
        description=facts.text("description", locale),
        eligibility=facts.text("eligibility", locale),
        how_to_access=facts.text("how_to_access", locale),
        organization=facts.organization,
        categories=facts.categories,
        status=facts.status,
        access_conditions=facts.access_conditions,
        languages=facts.languages,
        location=location,
        phones=facts.phones,
        hours=hours.status(at),
        weekly=hours.ranges,
        upcoming_closures=tuple(c for c in hours.closures if c.ends_on >= today),
        verified_at=facts.verified_at,
        distance_km=distance,
    )
