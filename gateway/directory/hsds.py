"""Open Referral HSDS 3.0 interchange: read a file, import services, export them.

Partners keep their directories in tools that speak HSDS, so this is how a city's directory
comes in and goes out. What HSDS has no field for (texts in every locale, access conditions,
dated closures, the exact verification time) travels in the ``x_guichet`` extension, so that
import → export → import loses nothing we model; the fields we do not model are kept as the
feed gave them, each object's in its ``hsds_extra`` column (:func:`hsds_extra`), and exported
back in place (:func:`with_hsds_extra`).

Problems are an :class:`InterchangeError` whose one line names the file, the record and the
field. An import upserts by id through :mod:`gateway.directory.operations`, like any other
writer: each record becomes a :class:`~gateway.directory.operations.ServiceData` that replaces
the service's texts, phones, hours, closures, categories and places; every service it creates
or changes gets its own entry in the audit trail, a French text that changes marks the
translations left as they were as needing review, and a service the file leaves as it was is
not touched. Two ways: :func:`import_services` takes a list, validates all of it before it
writes anything, stops on the first problem and never commits (the caller owns the
transaction); :func:`import_stream` takes records as :class:`HsdsFile` reads them, refuses bad
ones alone and commits batch by batch, for files of any size in bounded memory, and
:func:`check_stream` lists every problem of such a file first, for an all-or-nothing import.
Feeds from elsewhere are met where they are: their texts' language (``locale``), ids up to 255
characters, a place's country, services with no organisation (a placeholder per source),
phones with no number (left out), foreign taxonomies (``content/taxonomies/``).
See ``docs/hsds.md`` for the mapping and the extension.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from itertools import islice
from pathlib import Path
from time import perf_counter
from typing import Any, BinaryIO, NoReturn
from zoneinfo import ZoneInfo

import ijson
from babel import Locale, UnknownLocaleError
from flask import has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import gateway.clock
from gateway.audit import Actor, as_utc, clock, plain
from gateway.config import SUPPORTED_LOCALES, settings
from gateway.directory.categories import category_name, foreign_categories
from gateway.directory.hours import WEEKDAY_CODES, WeeklyRange
from gateway.directory.operations import (
    ClosureData,
    DirectoryBatch,
    OperationError,
    OrganizationData,
    PhoneData,
    PlaceData,
    ScheduleData,
    ServiceData,
    TextData,
    chunked,
    record_import,
)
from gateway.directory.queries import MAX_FOLLOWED_CHANGES, SERVICE_LOADING, field_values
from gateway.i18n import ORIGINAL_LOCALE, pick_field
from gateway.models import (
    CATEGORY_SLUGS,
    SUMMARY_MAX_CHARS,
    TEXT_FIELDS,
    AccessCondition,
    Closure,
    ClosureReason,
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
from gateway.models.directory import CLOSURE_FIELDS, PHONE_FIELDS

logger = logging.getLogger(__name__)

EXTENSION = "x_guichet"
TAXONOMY = "guichet"
COUNTRY = "FR"  # the city's own places', when the settings cannot say (no app)
_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")
PLACEHOLDER_ORGANIZATION = _l("Organisation not given by %(source)s")
DEFAULT_TIMEZONE = "Europe/Paris"

STATUS_TO_HSDS = {
    ServiceStatus.ACTIVE: "active",
    ServiceStatus.TEMPORARILY_CLOSED: "temporarily closed",
    ServiceStatus.INACTIVE: "inactive",
}
STATUS_FROM_HSDS = {hsds: status for status, hsds in STATUS_TO_HSDS.items()} | {
    "defunct": ServiceStatus.INACTIVE
}


@dataclass(frozen=True)
class _Shape:
    """Which keys of one kind of HSDS object Guichet maps to its own columns, and how its
    lists of objects Guichet maps too are matched on export (list key -> (their kind, the key
    an item is matched by, whether an item Guichet did not take is given back whole))."""

    mapped: frozenset[str]
    lists: Mapping[str, tuple[str, str, bool]] = field(default_factory=dict)
    # Values the export writes itself because HSDS asks for them: a feed giving the same says
    # nothing worth keeping (an export imported back stores nothing).
    written: Mapping[str, Any] = field(default_factory=dict)


# Every key of these objects that is not mapped here is kept as the feed gave it (the
# object's ``hsds_extra``) and exported back in place: fees, contacts, a phone's extension…
# A language is matched by its code, the one thing of it Guichet keeps; an address or a
# foreign taxonomy's attribute Guichet did not take comes back whole.
_SHAPES: dict[str, _Shape] = {
    "service": _Shape(
        frozenset(
            {
                "id",
                "organization_id",
                "organization",
                "name",
                "description",
                "status",
                "url",
                "email",
                "eligibility_description",
                "application_process",
                "assured_date",
                "last_modified",
                "phones",
                "schedules",
                "service_at_locations",
                "languages",
                "attributes",
                EXTENSION,
            }
        ),
        {
            "phones": ("phone", "id", False),
            "schedules": ("schedule", "id", False),
            "languages": ("language", "code", False),
            "service_at_locations": ("service_at_location", "id", False),
            "attributes": ("attribute", "id", True),
        },
    ),
    "organization": _Shape(frozenset({"id", "name", "description", "website", "email"})),
    "location": _Shape(
        frozenset({"id", "name", "latitude", "longitude", "addresses"}),
        {"addresses": ("address", "id", True)},
        {"location_type": "physical"},
    ),
    "address": _Shape(
        frozenset({"id", "address_1", "address_2", "postal_code", "city", "region", "country"}),
        written={"state_province": "", "address_type": "physical"},
    ),
    "phone": _Shape(frozenset({"id", "number", "type", "description"})),
    "schedule": _Shape(
        frozenset({"id", "freq", "byday", "opens_at", "closes_at"}),
        written={"wkst": WEEKDAY_CODES[0]},
    ),
    "language": _Shape(frozenset({"code"})),
    "service_at_location": _Shape(frozenset({"id", "location"})),
    # Guichet's own terms are its categories; another taxonomy's attribute is kept whole.
    "attribute": _Shape(frozenset({"id", "taxonomy_term_id", "taxonomy_term"})),
}


def hsds_extra(
    obj: Mapping[str, Any],
    kind: str,
    taken: Set[str] = frozenset(),
    ids: Mapping[str, Callable[[int, Mapping[str, Any]], str]] | None = None,
) -> dict[str, Any]:
    """The keys of the HSDS object ``obj`` (a ``kind`` of :data:`_SHAPES`) that Guichet does
    not map, as the feed gave them: what its ``hsds_extra`` column keeps for the export.

    Items of the lists Guichet maps keep their own such keys, with the key they are matched
    by: their id, or for an item without one (feeds often leave phones' out) the id the
    import gives it, ``ids[list key](position, item)``. An item of a list whose items come
    back whole, and that Guichet did not take (its id not in ``taken``: a second address, a
    foreign taxonomy's attribute), is kept whole.
    """
    shape = _SHAPES[kind]
    extra = {
        key: value
        for key, value in obj.items()
        if key not in shape.mapped and (key not in shape.written or shape.written[key] != value)
    }
    for key, (child, match, whole) in shape.lists.items():
        items = obj.get(key)
        if not isinstance(items, list):
            continue
        kept = []
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            value = item.get(match)
            if isinstance(value, str):
                value = value.strip()  # as the import reads ids
            elif value is None and ids is not None and key in ids:
                value = ids[key](position, item)
            if value is None:
                continue
            if whole and value not in taken:
                kept.append(item)
            elif rest := hsds_extra(item, child):
                kept.append({match: value, **rest})
        if kept:
            extra[key] = kept
    return extra


def with_hsds_extra(ours: dict[str, Any], extra: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """``ours`` (an exported object) with what its feed said beyond it put back in place;
    a key Guichet maps stays Guichet's (the one it writes as HSDS asks, where the feed had
    its own, such as a schedule's ``wkst``, is the feed's).

    An item of a mapped list takes the keys kept for the item of the same key; one kept
    whole (:func:`hsds_extra`) is added after Guichet's own; kept keys of an item Guichet no
    longer has (a phone deleted since) go with it.
    """
    shape = _SHAPES[kind]
    merged = dict(ours)
    for key, value in extra.items():
        if key in shape.lists:
            continue
        if key not in shape.mapped:
            merged[key] = value
    for key, (child, match, whole) in shape.lists.items():
        kept = extra.get(key)
        if not isinstance(kept, list):
            continue
        items = list(merged.get(key) or [])
        by_key = {item.get(match): n for n, item in enumerate(items)}
        for item in kept:
            n = by_key.get(item.get(match))
            if n is not None:
                items[n] = with_hsds_extra(items[n], item, child)
            elif whole:
                items.append(item)
        if items:
            merged[key] = items
    return merged


_TIME = re.compile(r"\d\d:\d\d(:\d\d)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")

# kind ("phone", "schedule"…) -> id -> (the record's reader, the field path that gave it)
_Claims = dict[str, dict[str, tuple["_Reader", str]]]
_ROW_MODELS: dict[str, Any] = {
    "phone": Phone,
    "schedule": Schedule,
    "closure": Closure,
    "service_at_location": ServiceLocation,
}


class InterchangeError(ValueError):
    """Input that cannot be imported; ``str()`` is one line naming file, record and field.

    The line is what the CLI prints, so a social worker can open the file at the right place.
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        record: int | None = None,
        record_id: object = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.record = record
        self.record_id = record_id
        self.field = field
        self.problem = problem
        parts = [source]
        if record is not None:
            label = f"id {_short(str(record_id))}" if record_id not in (None, "") else "no id"
            parts.append(f"record {record} ({label})")
        if field:
            parts.append(field)
        parts.append(problem)
        super().__init__(" ".join(": ".join(parts).split("\n")))


@dataclass
class ImportReport:
    """What an import did: services created, changed and left as they were, and what it had
    to leave out."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Values dropped rather than refused (e.g. coordinates off the globe), one line each.
    warnings: list[str] = field(default_factory=list)
    # Records refused whole by a streamed import (the rest went in), one line each.
    rejected: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.warnings += other.warnings
        self.rejected += other.rejected


class ImportStopped(Exception):
    """A streamed import that could not go on (the file breaks off, say): ``error`` says
    where, ``report`` what the batches committed before it hold."""

    def __init__(self, error: InterchangeError, report: ImportReport) -> None:
        super().__init__(str(error))
        self.error = error
        self.report = report


# A broken file is parsed again whole by the json module, which names the line and column
# that ijson's parser does not, if it is no bigger than this.
_REPARSE_MAX_BYTES = 64 * 1024 * 1024


class HsdsFile:
    """The service records of an HSDS JSON file, read one at a time as they are iterated.

    Accepts what HSDS tools produce: a list of services, a single service, or a page of the
    HSDS API (``{"contents": [...]}``). A file of 100k services is hundreds of megabytes, and
    ``json.load`` would hold it all, then its objects (several times its size): ijson's C
    parser (yajl) builds one record at a time instead, so memory stays that of one record.
    Iterating raises :class:`InterchangeError` on a missing or unreadable file, on JSON
    errors and on any other shape; a record that is not an object is yielded as it is (the
    import refuses it). :attr:`position` is how far the reading got, in bytes of
    :attr:`size`, for a progress bar.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        try:
            self.size = path.stat().st_size
        except OSError:
            self.size = 0  # iterating says why
        self._file: BinaryIO | None = None
        self.records = 0

    @property
    def position(self) -> int:
        file = self._file
        return file.tell() if file is not None and not file.closed else self.size

    def __iter__(self) -> Iterator[Any]:
        try:
            file = self.path.open("rb")
        except FileNotFoundError:
            raise InterchangeError(self.source, "no such file") from None
        except IsADirectoryError:
            raise InterchangeError(self.source, "is a directory, not a file") from None
        except OSError as exc:
            raise InterchangeError(self.source, f"cannot read: {exc.strerror}") from None
        with file:
            self._file = file
            try:
                for record in self._records(file):
                    self.records += 1
                    yield record
            except ijson.JSONError as exc:
                raise self._not_json(exc) from None
            except OSError as exc:
                raise InterchangeError(self.source, f"cannot read: {exc.strerror}") from None

    def _records(self, file: BinaryIO) -> Iterator[Any]:
        start = _skip_bom(file)
        first = file.read(4096).lstrip()[:1]
        file.seek(start)
        if first == b"[":
            yield from ijson.items(file, "item", use_float=True)
            return
        if first != b"{":
            value = next(ijson.items(file, "", use_float=True), None)
            raise InterchangeError(
                self.source,
                f"expected a list of HSDS services, a service or a page with 'contents'; "
                f"got {_kind(value)}",
            )
        contents = _contents_event(file)
        file.seek(start)
        if contents is None:
            yield from ijson.items(file, "", use_float=True)
        elif contents == "start_array":
            yield from ijson.items(file, "contents.item", use_float=True)
        else:
            kinds = {"start_map": "an object", "string": "a string", "boolean": "a boolean"}
            kind = kinds.get(contents, "null" if contents == "null" else "a number")
            raise InterchangeError(self.source, f"'contents' is not a list but {kind}")

    def _not_json(self, exc: ijson.JSONError) -> InterchangeError:
        """The error with its line and column when the json module can find them."""
        if self.size <= _REPARSE_MAX_BYTES:
            try:
                json.loads(self.path.read_bytes().decode("utf-8-sig"))
            except UnicodeDecodeError as error:
                return InterchangeError(self.source, f"not UTF-8 text (byte {error.start})")
            except json.JSONDecodeError as error:
                return InterchangeError(
                    self.source,
                    f"not JSON: line {error.lineno} column {error.colno}: {error.msg}",
                )
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "broken off"
        return InterchangeError(self.source, f"not JSON after record {self.records}: {first_line}")


def _skip_bom(file: BinaryIO) -> int:
    """Step over a UTF-8 byte order mark (some editors write one); where the JSON starts."""
    if file.read(3) != b"\xef\xbb\xbf":
        file.seek(0)
    return file.tell()


def _contents_event(file: BinaryIO) -> str | None:
    """What the top object's ``contents`` holds (its first parse event), None if it has none:
    a page of services or one service. Reads up to the key, or the whole object."""
    for prefix, event, _ in ijson.parse(file, use_float=True):
        if prefix == "contents" and event != "map_key":
            return str(event)
    return None


def read_hsds_file(path: Path) -> list[dict[str, Any]]:
    """Every service record of an HSDS JSON file, at once (:class:`HsdsFile` reads them one
    at a time); a record that is not an object is an :class:`InterchangeError`."""
    records = list(HsdsFile(path))
    for index, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise InterchangeError(str(path), f"not an object but {_kind(record)}", record=index)
    return records


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

# Services written per transaction by a streamed import: no more than a process following the
# directory's change log reloads by id (MAX_FOLLOWED_CHANGES), so that a process keeping up
# follows each committed batch by reloading its services alone. Every batch logs its ids
# rather than one "rebuild everything" marker for the import: a process that falls several
# batches behind already gets a whole rebuild (in the background) from the follower's own
# limit, and the ids cost one executemany per batch.
BATCH_SIZE = MAX_FOLLOWED_CHANGES


def import_services(
    session: Session,
    records: list[dict[str, Any]],
    source: str,
    timezone: str | None = None,
    actor: Actor = "import",
    *,
    locale: str = ORIGINAL_LOCALE,
) -> ImportReport:
    """Create or update the services in ``records`` as ``actor``, all or nothing; flush, never
    commit.

    ``source`` names the input in error messages and in the trail. ``timezone`` (default: the
    app's ``TIMEZONE``) places a bare ``assured_date`` at midnight in the city. ``locale`` is
    the language of the records' HSDS texts (``name``, ``description``…), French unless told.
    Every record is validated, and ids checked against the database, before the first write: on
    :class:`InterchangeError` the session holds no change from this call. Organisations come
    first, so a record may name one that a later record describes. When anything changed, the
    import is one more entry in the trail, with its counts; the directory version moves once.
    For files too big for one transaction, see :func:`import_stream`.
    """
    started = perf_counter()
    tz = ZoneInfo(timezone or _city_timezone())
    seen: _Claims = {}
    parsed = [
        _parse_service(_Reader(source, index, record), tz, seen, locale)
        for index, record in enumerate(records, 1)
    ]
    with session.begin_nested():  # a refusal half-way leaves nothing behind
        batch = DirectoryBatch(session, actor, gateway.clock.now())
        for _, error in _check_against_database(batch, parsed, seen):
            raise error
        report, _ = _write(batch, parsed)
        if report.created or report.updated:
            record_import(session, actor, source, report.created, report.updated, report.unchanged)
    report.seconds = perf_counter() - started
    _log_report(source, report)
    return report


def import_stream(
    session: Session,
    records: Iterable[Any],
    source: str,
    *,
    batch_size: int = BATCH_SIZE,
    timezone: str | None = None,
    actor: Actor = "import",
    progress: Callable[[ImportReport], None] | None = None,
    locale: str = ORIGINAL_LOCALE,
) -> ImportReport:
    """Import ``records`` as they come, ``batch_size`` services per transaction: **commits**.

    For files of any size in bounded memory: each batch is read, checked and written
    through a :class:`~gateway.directory.operations.DirectoryBatch` (the same rules and trail
    as :func:`import_services`), committed, and let go of (the session is emptied), then
    ``progress`` hears of it. Each batch moves the directory version once and logs its
    services' ids, which running processes follow (see :data:`BATCH_SIZE`). A bad record is
    refused alone, with the line :func:`import_services` would stop on, and the rest goes in
    (:func:`check_stream` first finds them all, for an import that writes nothing if any).
    ``locale`` is the language of the HSDS texts, as for :func:`import_services`.
    A record naming an organisation that no record before it describes waits until the end
    of the file (a later record may describe it). Besides these waiting records, what is kept
    across batches is each service id seen (to refuse one listed twice): about 150 bytes a
    service, 15 MB at 100k.

    If the reading stops half-way (the file breaks off), :class:`ImportStopped` carries the
    error and the report of what is committed: the batches before it. Imports are upserts of
    what the file states, so running the same file again, whole or fixed, changes only what
    was not written yet.
    """
    started = perf_counter()
    tz = ZoneInfo(timezone or _city_timezone())
    total = ImportReport()
    earlier = _Earlier()
    waiting: list[tuple[int, Any]] = []
    numbered = enumerate(records, 1)
    try:
        while chunk := list(islice(numbered, batch_size)):
            batch = _import_batch(session, chunk, source, tz, actor, earlier, waiting, locale)
            total.add(batch)
            if progress is not None:
                progress(batch)
    except InterchangeError as exc:
        session.rollback()
        total.seconds = perf_counter() - started
        raise ImportStopped(exc, total) from None
    for start in range(0, len(waiting), batch_size):
        chunk = waiting[start : start + batch_size]
        batch = _import_batch(session, chunk, source, tz, actor, earlier, None, locale)
        total.add(batch)
        if progress is not None:
            progress(batch)
    total.seconds = perf_counter() - started
    _log_report(source, total)
    return total


def check_stream(
    session: Session,
    records: Iterable[Any],
    source: str,
    *,
    timezone: str | None = None,
    locale: str = ORIGINAL_LOCALE,
) -> list[str]:
    """Every problem :func:`import_stream` would refuse a record for, one line each, in the
    file's order, without writing anything: the first pass of an all-or-nothing import.

    Reads the records once, as they come, and keeps of each only the ids it claims (the
    reader lets its record go), so a file of any size is checked in bounded memory. Besides
    each record's own checks, it finds ids listed twice across the whole file and
    organisations that neither the file nor the database describes. A file that breaks off
    raises :class:`InterchangeError`. What only the writes can tell (a row id that another
    service already holds) is still refused alone by the import that follows.
    """
    tz = ZoneInfo(timezone or _city_timezone())
    seen: _Claims = {}
    problems: list[InterchangeError] = []
    defined: set[str] = set()
    references: dict[str, list[_Reader]] = {}
    for index, record in enumerate(records, 1):
        reader = _Reader(source, index, record)
        try:
            item = _parse_service(reader, tz, seen, locale)
        except InterchangeError as exc:
            _release(seen, reader)
            problems.append(exc)
            continue
        finally:
            reader.record = None  # keep the ids it claimed, not the record
        if item.organization is None:
            references.setdefault(item.organization_id, []).append(reader)
        else:
            defined.add(item.organization_id)
    unknown = sorted(references.keys() - defined)
    for chunk in chunked(unknown):
        known = set(session.scalars(select(Organization.id).where(Organization.id.in_(chunk))))
        for organization_id in set(chunk) - known:
            problems += [
                reader.error(
                    "organization_id", f"unknown organization {_short(repr(organization_id))}"
                )
                for reader in references[organization_id]
            ]
    return [str(error) for error in sorted(problems, key=lambda e: e.record or 0)]


def _import_batch(
    session: Session,
    chunk: list[tuple[int, Any]],
    source: str,
    tz: ZoneInfo,
    actor: Actor,
    earlier: _Earlier,
    waiting: list[tuple[int, Any]] | None,
    locale: str,
) -> ImportReport:
    """One batch of :func:`import_stream`, committed; ``waiting`` (None at the end) takes the
    records whose organisation may come later."""
    rejected: list[InterchangeError] = []
    seen: _Claims = {}
    parsed: list[_Parsed] = []
    for index, record in chunk:
        reader = _Reader(source, index, record)
        try:
            item = _parse_service(reader, tz, seen, locale)
            if item.id in earlier.records:
                reader.fail("id", f"{_short(repr(item.id))} is already used by record "
                            f"{earlier.records[item.id]}")  # fmt: skip
        except InterchangeError as exc:
            _release(seen, reader)
            rejected.append(exc)
            continue
        earlier.records[item.id] = index
        parsed.append(item)
    raw = dict(chunk)
    while True:
        try:
            with session.begin_nested():
                batch = DirectoryBatch(session, actor, gateway.clock.now())
                for item, error in _check_against_database(batch, parsed, seen):
                    parsed.remove(item)
                    if waiting is not None and error.field == "organization_id":
                        del earlier.records[item.id]
                        waiting.append((item.reader.index, raw[item.reader.index]))
                    else:
                        rejected.append(error)
                report, changed = _write(batch, parsed, earlier.changed)
                if report.created or report.updated:
                    refused = {"rejected": len(rejected)} if rejected else {}
                    record_import(
                        session, actor, source, report.created, report.updated,
                        report.unchanged, **refused,
                    )  # fmt: skip
            break
        except InterchangeError as exc:  # an operation refused one record: again without it
            kept = [item for item in parsed if item.reader.index != exc.record]
            if len(kept) == len(parsed):
                raise
            parsed = kept
            rejected.append(exc)
    session.commit()
    session.expunge_all()
    earlier.changed.update(changed - earlier.records.keys())
    report.rejected = [str(error) for error in sorted(rejected, key=lambda e: e.record or 0)]
    return report


@dataclass
class _Earlier:
    """What a streamed import keeps of its earlier batches: the services' record numbers,
    and the services they changed that the file has not listed yet (a place they share with
    a service listed later changed: that record's service is "updated" too)."""

    records: dict[str, int] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)


def _release(seen: _Claims, reader: _Reader) -> None:
    """Give back the ids a refused record claimed, so that a later one may use them."""
    for owners in seen.values():
        for ident in [ident for ident, (owner, _) in owners.items() if owner is reader]:
            del owners[ident]


def _log_report(source: str, report: ImportReport) -> None:
    logger.info(
        "import %s: %d created, %d updated, %d unchanged, %d rejected, %d warnings",
        source, report.created, report.updated, report.unchanged, len(report.rejected),
        len(report.warnings),
        extra={
            "services_created": report.created, "services_updated": report.updated,
            "services_unchanged": report.unchanged, "records_rejected": len(report.rejected),
            "warnings": len(report.warnings), "seconds": round(report.seconds, 3),
        },
    )  # fmt: skip


@dataclass
class _Parsed:
    """One validated record, as the operations take it: no ORM object yet."""

    reader: _Reader
    id: str
    organization_id: str
    organization: OrganizationData | None  # None when the record only names it
    data: ServiceData
    # The feed names no organisation: the service goes under the source's placeholder, which
    # an import creates once and never renames back (the city may give it a better name).
    placeholder: bool = False


class _Reader:
    """Typed reads from one record; every failure names the file, the record and the field."""

    def __init__(self, source: str, index: int, record: Any) -> None:
        self.source = source
        self.index = index
        self.record = record
        raw_id = record.get("id") if isinstance(record, dict) else None
        self.id = raw_id.strip() if isinstance(raw_id, str) else raw_id
        self.warnings: list[str] = []

    def error(self, path: str, problem: str) -> InterchangeError:
        return InterchangeError(
            self.source, problem, record=self.index, record_id=self.id, field=path
        )

    def fail(self, path: str, problem: str) -> NoReturn:
        raise self.error(path, problem)

    def warn(self, path: str, problem: str) -> None:
        self.warnings.append(str(self.error(path, problem)))

    def obj(self, value: Any, path: str, *, required: bool = False) -> dict[str, Any]:
        if value is None:
            if required:
                self.fail(path, "missing")
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"not an object but {_kind(value)}")
        return value

    def items(self, obj: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        """``(path, item)`` of the list ``obj[key]``; absent or null is an empty list."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, f"not a list but {_kind(value)}")
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def text(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        *,
        column: Any = None,
        required: bool = False,
        strip: bool = False,
    ) -> str | None:
        """A string, stripped if asked; ``column`` (a model attribute) bounds its length."""
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(path, "missing")
            return None
        if not isinstance(value, str):
            self.fail(path, f"not a string but {_kind(value)}")
        if strip:
            value = value.strip()
        if required and not value.strip():
            self.fail(path, "empty")
        self.fits(value, column, path)
        return value

    def fits(self, value: str, column: Any, path: str) -> None:
        """Fail when ``value`` is longer than ``column`` holds (PostgreSQL would refuse it)."""
        limit = _length(column) if column is not None else None
        if limit is not None and len(value) > limit:
            self.fail(path, f"longer than {limit} characters ({len(value)})")

    def ident(self, obj: Mapping[str, Any], path: str, *, default: str | None = None) -> str:
        """An id: a non-empty string that fits our columns; ``default`` when absent."""
        if obj.get("id") is None and default is not None:
            return default
        value = self.text(obj, "id", path, column=Service.id, required=True, strip=True)
        assert value is not None
        return value

    def number(self, obj: Mapping[str, Any], key: str, path: str, bound: float) -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"not a number: {_short(repr(value))}")
        if not -bound <= value <= bound:
            # Placeholder coordinates (Open Referral's own examples use latitude 100) must not
            # block a whole import: the place is kept, without a position on the map.
            self.warn(path, f"out of range -{bound:g}..{bound:g}, left out: {value!r}")
            return None
        return float(value)

    def day(self, obj: Mapping[str, Any], key: str, path: str) -> date | None:
        value = self.text(obj, key, path)
        if value is None:
            return None
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.fail(path, f"not a date (YYYY-MM-DD): {_short(repr(value))}")

    def moment(self, obj: Mapping[str, Any], key: str, path: str) -> datetime | None:
        value = self.text(obj, key, path)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(path, f"not an ISO date and time: {_short(repr(value))}")
        return as_utc(moment)

    def clock(self, obj: Mapping[str, Any], key: str, path: str) -> time:
        value = self.text(obj, key, path, required=True)
        assert value is not None
        try:
            if not _TIME.fullmatch(value):
                raise ValueError
            return time.fromisoformat(value)
        except ValueError:
            self.fail(path, f"not a time: {_short(repr(value))}")

    def claim(self, seen: _Claims, kind: str, ident: str, path: str) -> None:
        """Reserve ``ident`` for this record: ids of one kind are unique across the file."""
        owners = seen.setdefault(kind, {})
        if ident in owners:
            other = owners[ident][0]
            where = "this record" if other is self else f"record {other.index}"
            self.fail(path, f"{_short(repr(ident))} is already used by {where}")
        owners[ident] = (self, path)


def _parse_service(r: _Reader, tz: ZoneInfo, seen: _Claims, locale: str) -> _Parsed:
    record = r.obj(r.record, "record", required=True)
    service_id = r.ident(record, "id")
    r.claim(seen, "service", service_id, "id")
    extension = r.obj(record.get(EXTENSION), EXTENSION)

    status_text = r.text(record, "status", "status")
    status = ServiceStatus.ACTIVE
    if status_text is not None:
        try:
            status = STATUS_FROM_HSDS[status_text.strip().lower()]
        except KeyError:
            r.fail(
                "status",
                f"unknown status {_short(repr(status_text))}; "
                f"expected one of {', '.join(sorted(STATUS_FROM_HSDS))}",
            )

    verified_at = r.moment(extension, "verified_at", f"{EXTENSION}.verified_at")
    if verified_at is None:
        assured = r.day(record, "assured_date", "assured_date")
        if assured is not None:
            verified_at = datetime.combine(assured, time(0, 0), tz).astimezone(UTC)

    access: list[str] = []
    for path, item in r.items(extension, "access", f"{EXTENSION}.access"):
        if not isinstance(item, str) or item not in set(AccessCondition):
            r.fail(
                path,
                f"unknown access condition {_short(repr(item))}; "
                f"expected one of {', '.join(AccessCondition)}",
            )
        if item not in access:
            access.append(item)

    organization_id, organization, placeholder = _parse_organization(r, record)
    # Read in the file's order of checks: the first problem met is the one reported.
    url = r.text(record, "url", "url", column=Service.url)
    email = r.text(record, "email", "email", column=Service.email)
    languages = _parse_languages(r, record)
    texts = _parse_texts(r, record, extension, locale)
    categories = _parse_categories(r, record)
    phones = _parse_phones(r, record, service_id, seen)
    hours = _parse_schedules(r, record, service_id, seen)
    closures = _parse_closures(r, extension, service_id, seen)
    places = _parse_places(r, record, service_id, seen)
    return _Parsed(
        reader=r,
        id=service_id,
        organization_id=organization_id,
        organization=organization,
        placeholder=placeholder,
        data=ServiceData(
            organization_id=organization_id,
            texts=texts,
            categories=categories,
            status=status,
            url=url,
            email=email,
            access_conditions=access,
            languages=languages,
            hours=hours,
            closures=closures,
            phones=phones,
            places=places,
            verified_at=verified_at,
            hsds_extra=_service_extra(record, service_id),
        ),
    )


def _service_extra(record: Mapping[str, Any], service_id: str) -> dict[str, Any]:
    """The record's :func:`hsds_extra`, less the id and name of a language that are those the
    export gives it (a name in French, an id of ours): an export imported back keeps nothing."""

    def place_link(position: int, link: Mapping[str, Any]) -> str:
        location = link.get("location")
        location_id = location.get("id") if isinstance(location, dict) else None
        if not isinstance(location_id, str):
            location_id = _derived(service_id, "location", position)
        return _derived(service_id, "service_at_location", location_id.strip())

    extra = hsds_extra(
        record,
        "service",
        _own_attributes(record),
        # The ids the import gives rows a feed gave none (_parse_phones, _parse_schedules,
        # _parse_places), so that what it said of them finds them on export.
        {
            "phones": lambda position, _: _derived(service_id, "phone", position),
            "schedules": lambda position, _: _derived(service_id, "schedule", position),
            "service_at_locations": place_link,
        },
    )
    languages = []
    for kept in extra.get("languages", []):
        ours = _export_language(service_id, kept["code"])
        rest = {key: value for key, value in kept.items() if ours.get(key) != value}
        if rest:
            languages.append({"code": kept["code"], **rest})
    if languages:
        extra["languages"] = languages
    else:
        extra.pop("languages", None)
    return extra


def _own_attributes(record: Mapping[str, Any]) -> set[str]:
    """The ids of the record's attributes in Guichet's taxonomy: its categories, which the
    export writes itself (another taxonomy's are kept whole)."""
    attributes = record.get("attributes")
    return {
        attribute["id"]
        for attribute in attributes if isinstance(attribute, dict)
        and isinstance(attribute.get("taxonomy_term"), dict)
        and attribute["taxonomy_term"].get("taxonomy") == TAXONOMY
        and isinstance(attribute.get("id"), str)
    } if isinstance(attributes, list) else set()  # fmt: skip


def _parse_organization(
    r: _Reader, record: Mapping[str, Any]
) -> tuple[str, OrganizationData | None, bool]:
    """The organization's id, its values when the record embeds it (else a reference), and
    whether it is the source's placeholder (the record names no organisation: 211 Miami's
    feed leaves out one service's in ten, and those services are still worth listing)."""
    if record.get("organization") is None:
        if record.get("organization_id") is None:
            return (*_placeholder_organization(r.source), True)
        reference = r.ident({"id": record["organization_id"]}, "organization_id")
        return reference, None, False
    obj = r.obj(record["organization"], "organization")
    organization_id = r.ident(obj, "organization.id")
    given_id = record.get("organization_id")
    if given_id is not None and given_id != organization_id:
        r.fail("organization_id", f"{_short(repr(given_id))} is not organization.id")
    name = r.text(obj, "name", "organization.name", required=True, column=Organization.name)
    assert name is not None
    return (
        organization_id,
        OrganizationData(
            name=name,
            description=r.text(obj, "description", "organization.description") or "",
            website=r.text(obj, "website", "organization.website", column=Organization.website),
            email=r.text(obj, "email", "organization.email", column=Organization.email),
            hsds_extra=hsds_extra(obj, "organization"),
        ),
        False,
    )


@functools.cache
def _placeholder_organization(source: str) -> tuple[str, OrganizationData]:
    """The organisation a source's services without one go under: one per source (its file
    name, so that the same feed downloaded elsewhere lands on the same one), named for it."""
    name = Path(source).name or source
    ident = _derived(name, "placeholder_organization")
    if has_app_context():
        with force_locale(ORIGINAL_LOCALE):
            title = str(PLACEHOLDER_ORGANIZATION % {"source": name})
    else:
        title = f"Organisation not given by {name}"
    return ident, OrganizationData(name=_short(title, _length(Organization.name) or 200))


def _parse_texts(
    r: _Reader, record: Mapping[str, Any], extension: Mapping[str, Any], locale: str
) -> dict[str, TextData]:
    """Texts per locale: ``x_guichet.translations`` as given, else the HSDS fields in the
    feed's ``locale``.

    Every service has a French row (the original, which translations are reviewed against):
    a feed in another language gives it the service's name alone, so that a French reader
    gets the details in the feed's language with the note saying so, and a reader of the
    feed's language gets them without one.
    """
    name = r.text(record, "name", "name", required=True, column=ServiceText.name)
    assert name is not None
    translations = r.obj(extension.get("translations"), f"{EXTENSION}.translations")
    texts: dict[str, TextData] = {}
    for code, value in translations.items():
        if code not in SUPPORTED_LOCALES:
            continue
        base = f"{EXTENSION}.translations.{code}"
        obj = r.obj(value, base)
        row: dict[str, str] = {}
        for text_field in TEXT_FIELDS:
            row[text_field] = (
                r.text(
                    obj,
                    text_field,
                    f"{base}.{text_field}",
                    column=getattr(ServiceText, text_field),
                )
                or ""
            )
        # A status the file states is taken; none lets the import decide (a new or edited
        # translation is done, one whose French changed under it needs review).
        status = r.text(obj, "status", f"{base}.status") or None
        if status is not None and status not in set(TextStatus):
            r.fail(
                f"{base}.status",
                f"unknown text status {_short(repr(status))}; "
                f"expected one of {', '.join(TextStatus)}",
            )
        if code == ORIGINAL_LOCALE and not row["name"].strip():
            row["name"] = name  # the original must be named; HSDS's required name is it
        texts[code] = TextData(**row, reviewed=False, status=status)
    if locale not in texts:
        description = r.text(record, "description", "description") or ""
        texts[locale] = TextData(
            name=name,
            summary=summarize(description),
            description=description,
            eligibility=r.text(record, "eligibility_description", "eligibility_description") or "",
            how_to_access=r.text(record, "application_process", "application_process") or "",
        )
    if ORIGINAL_LOCALE not in texts:
        texts[ORIGINAL_LOCALE] = TextData(name=name)
    return dict(sorted(texts.items()))


def summarize(description: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """The first sentence of ``description``, cut at a word boundary to fit ``limit``.

    HSDS has no summary; SMS replies and voice prompts need one short enough to read out.
    """
    text = " ".join(description.split())
    end = _SENTENCE_END.search(text)
    sentence = text[: end.end()] if end else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def _parse_languages(r: _Reader, record: Mapping[str, Any]) -> list[str]:
    codes: list[str] = []
    for path, item in r.items(record, "languages", "languages"):
        code = r.text(r.obj(item, path), "code", f"{path}.code", strip=True)
        if code and code not in codes:
            codes.append(code)
    return codes


def _parse_categories(r: _Reader, record: Mapping[str, Any]) -> list[str]:
    slugs: list[str] = []
    for path, item in r.items(record, "attributes", "attributes"):
        attribute = r.obj(item, path)
        if attribute.get("taxonomy_term") is None:
            continue  # a bare taxonomy_term_id points to a term we cannot see: not ours
        term = r.obj(attribute["taxonomy_term"], f"{path}.taxonomy_term")
        if term.get("taxonomy") != TAXONOMY:
            for slug in _foreign_term(r, term, f"{path}.taxonomy_term"):
                if slug not in slugs:
                    slugs.append(slug)
            continue
        code = r.text(term, "code", f"{path}.taxonomy_term.code", required=True, strip=True)
        if code not in CATEGORY_SLUGS:
            r.fail(f"{path}.taxonomy_term.code", f"unknown category {_short(repr(code))}")
        if code not in slugs:
            slugs.append(code)
    return slugs


def _foreign_term(r: _Reader, term: Mapping[str, Any], path: str) -> tuple[str, ...]:
    """The categories a term of another taxonomy reads as, by the content directory's tables
    (211's AIRS codes…); none when no table names its taxonomy or covers its code."""
    detail = r.obj(term.get("taxonomy_detail"), f"{path}.taxonomy_detail")
    taxonomy = r.text(term, "taxonomy", f"{path}.taxonomy") or r.text(
        detail, "name", f"{path}.taxonomy_detail.name"
    )
    code = r.text(term, "code", f"{path}.code")
    if not taxonomy or not code:
        return ()
    return foreign_categories(taxonomy, code) or ()


# Our phone fields (PHONE_FIELDS), by their HSDS names.
_PHONE_TO_HSDS = {"number": "number", "kind": "type", "description": "description"}
assert tuple(_PHONE_TO_HSDS) == PHONE_FIELDS


def _parse_phones(
    r: _Reader, record: Mapping[str, Any], service_id: str, seen: _Claims
) -> list[PhoneData]:
    phones = []
    for position, (path, item) in enumerate(r.items(record, "phones", "phones")):
        obj = r.obj(item, path)
        number = obj.get("number")
        if number is None or (isinstance(number, str) and not number.strip()):
            # HSDS lets a feed list a phone with no number (211 Miami has 22): nothing to
            # call, so the phone is left out rather than the service refused.
            r.warn(f"{path}.number", "empty, phone left out")
            continue
        phone_id = r.ident(obj, f"{path}.id", default=_derived(service_id, "phone", position))
        r.claim(seen, "phone", phone_id, f"{path}.id")
        values = {
            name: r.text(
                obj,
                key,
                f"{path}.{key}",
                required=name == "number",
                strip=name != "description",
                column=getattr(Phone, name),
            )
            for name, key in _PHONE_TO_HSDS.items()
        }
        phones.append(
            PhoneData(
                phone_id,
                number=values["number"] or "",
                kind=values["kind"] or "voice",
                description=values["description"] or "",
            )
        )
    return phones


def _parse_schedules(
    r: _Reader, record: Mapping[str, Any], service_id: str, seen: _Claims
) -> list[WeeklyRange]:
    """Weekly ranges; ``byday: "MO,TU"`` becomes one row per day.

    A schedule with none of byday/opens_at/closes_at (a description only) says nothing we can
    model and is skipped; one with some of them but not all is an error.
    """
    rows: list[WeeklyRange] = []
    for n, (path, item) in enumerate(r.items(record, "schedules", "schedules")):
        obj = r.obj(item, path)
        if all(obj.get(key) is None for key in ("byday", "opens_at", "closes_at")):
            continue
        schedule_id = r.ident(obj, f"{path}.id", default=_derived(service_id, "schedule", n))
        freq = r.text(obj, "freq", f"{path}.freq", strip=True)
        if freq is not None and freq.upper() != "WEEKLY":
            r.fail(f"{path}.freq", f"only WEEKLY hours can be imported, not {_short(repr(freq))}")
        byday = r.text(obj, "byday", f"{path}.byday", required=True)
        assert byday is not None
        days: list[str] = []
        for day in (part.strip().upper() for part in byday.split(",")):
            if day not in WEEKDAY_CODES:
                r.fail(
                    f"{path}.byday",
                    f"not a day among {','.join(WEEKDAY_CODES)}: {_short(repr(byday))}",
                )
            if day not in days:
                days.append(day)
        opens_at = r.clock(obj, "opens_at", f"{path}.opens_at")
        closes_at = r.clock(obj, "closes_at", f"{path}.closes_at")
        for k, day in enumerate(days):
            # The first day keeps the id, so a one-day schedule round-trips as itself.
            row_id = schedule_id if k == 0 else _derived(schedule_id, day)
            r.claim(seen, "schedule", row_id, f"{path}.id")
            rows.append(ScheduleData(WEEKDAY_CODES.index(day), opens_at, closes_at, id=row_id))
    return rows


def _parse_closures(
    r: _Reader, extension: Mapping[str, Any], service_id: str, seen: _Claims
) -> list[ClosureData]:
    closures = []
    for n, (path, item) in enumerate(r.items(extension, "closures", f"{EXTENSION}.closures")):
        obj = r.obj(item, path)
        closure_id = r.ident(obj, f"{path}.id", default=_derived(service_id, "closure", n))
        r.claim(seen, "closure", closure_id, f"{path}.id")
        starts_on = r.day(obj, "starts_on", f"{path}.starts_on")
        if starts_on is None:
            r.fail(f"{path}.starts_on", "missing")
        ends_on = r.day(obj, "ends_on", f"{path}.ends_on") or starts_on
        if ends_on < starts_on:
            r.fail(f"{path}.ends_on", f"{ends_on.isoformat()} is before starts_on")
        reason = r.text(obj, "reason", f"{path}.reason", strip=True) or ClosureReason.OTHER.value
        if reason not in set(ClosureReason):
            r.fail(
                f"{path}.reason",
                f"unknown closure reason {_short(repr(reason))}; "
                f"expected one of {', '.join(ClosureReason)}",
            )
        message = r.obj(obj.get("message"), f"{path}.message")
        for locale in message:
            r.text(message, locale, f"{path}.message.{locale}")
        closures.append(
            ClosureData(
                closure_id,
                starts_on,
                ends_on,
                ClosureReason(reason),
                {
                    locale: text
                    for locale, text in sorted(message.items())
                    if locale in SUPPORTED_LOCALES and text
                },
            )
        )
    return closures


def _parse_places(
    r: _Reader, record: Mapping[str, Any], service_id: str, seen: _Claims
) -> list[PlaceData]:
    places = []
    location_ids: set[str] = set()
    items = r.items(record, "service_at_locations", "service_at_locations")
    for position, (path, item) in enumerate(items):
        obj = r.obj(item, path)
        location = r.obj(obj.get("location"), f"{path}.location", required=True)
        base = f"{path}.location"
        location_id = r.ident(
            location, f"{base}.id", default=_derived(service_id, "location", position)
        )
        if location_id in location_ids:
            r.fail(f"{base}.id", f"location {_short(repr(location_id))} is listed twice")
        location_ids.add(location_id)
        link_id = r.ident(
            obj, f"{path}.id", default=_derived(service_id, "service_at_location", location_id)
        )
        r.claim(seen, "service_at_location", link_id, f"{path}.id")
        address = _pick_address(r, location, base)
        address_path = f"{base}.addresses[{address[0]}]" if address else base
        fields = address[1] if address else {}
        street = r.text(fields, "address_1", f"{address_path}.address_1") or ""
        extra = r.text(fields, "address_2", f"{address_path}.address_2") or ""
        if extra.strip():
            street = f"{street}, {extra}" if street else extra
        r.fits(street, Location.address, f"{address_path}.address_1")
        address_id = r.ident(fields, f"{address_path}.id", default="")
        if address_id == _derived(location_id, "address"):
            address_id = ""  # the id our export made up: nothing worth storing
        country = r.text(fields, "country", f"{address_path}.country", strip=True) or None
        if country is not None and not _COUNTRY_CODE.fullmatch(country):
            r.fail(
                f"{address_path}.country",
                f"not an ISO 3166-1 alpha-2 country code: {_short(repr(country))}",
            )
        own_address = address_id or _derived(location_id, "address")
        place = PlaceData(
            location_id,
            link_id=link_id,
            address_id=address_id or None,
            # The city's own country is not stored: its places are in it unless told otherwise.
            country=country.upper() if country and country.upper() != _city_country() else None,
            name=r.text(location, "name", f"{base}.name", column=Location.name) or "",
            address=street,
            postcode=r.text(
                fields,
                "postal_code",
                f"{address_path}.postal_code",
                strip=True,
                column=Location.postcode,
            )
            or "",
            city=r.text(fields, "city", f"{address_path}.city", column=Location.city) or "",
            district=r.text(
                fields,
                "region",
                f"{address_path}.region",
                column=Location.district,
            )
            or "",
            **_coordinates(r, location, base),
            hsds_extra=hsds_extra(
                location,
                "location",
                {own_address},
                # Only the address read has an id of ours; another without one is kept whole.
                {"addresses": _address_ids(fields, own_address)},
            ),
        )
        places.append(place)
    return places


def _address_ids(read: Mapping[str, Any], ident: str) -> Callable[[int, Mapping[str, Any]], str]:
    """The ids :func:`hsds_extra` matches a location's addresses by: the one Guichet reads
    has the id the export gives it; any other without an id matches nothing (kept whole)."""
    return lambda _, address: ident if address is read else ""


def _coordinates(r: _Reader, location: Mapping[str, Any], base: str) -> dict[str, float | None]:
    """Latitude and longitude, both or neither: half a position places nothing."""
    latitude = r.number(location, "latitude", f"{base}.latitude", 90)
    longitude = r.number(location, "longitude", f"{base}.longitude", 180)
    if latitude is None or longitude is None:
        return {"latitude": None, "longitude": None}
    return {"latitude": latitude, "longitude": longitude}


def _pick_address(
    r: _Reader, location: Mapping[str, Any], base: str
) -> tuple[int, dict[str, Any]] | None:
    """The location's physical address (else its first): the one a resident walks to."""
    addresses = [
        (i, r.obj(item, path))
        for i, (path, item) in enumerate(r.items(location, "addresses", f"{base}.addresses"))
    ]
    for i, address in addresses:
        if address.get("address_type") == "physical":
            return i, address
    return addresses[0] if addresses else None


def _check_against_database(
    batch: DirectoryBatch, parsed: list[_Parsed], seen: _Claims
) -> list[tuple[_Parsed, InterchangeError]]:
    """Load what the writes will touch into ``batch``; the records that the database refuses
    (an unknown organisation, ids that other services' rows hold), in the order found."""
    batch.load(
        [p.id for p in parsed],
        {p.organization_id for p in parsed},
        {str(place.location_id) for p in parsed for place in p.data.places},
    )
    refused: dict[int, tuple[_Parsed, InterchangeError]] = {}
    defined = {p.organization_id for p in parsed if p.organization is not None}
    for item in parsed:
        if item.organization is None and item.organization_id not in defined:
            if batch.organization(item.organization_id) is None:
                refused[item.reader.index] = (item, item.reader.error(
                    "organization_id", f"unknown organization {_short(repr(item.organization_id))}"
                ))  # fmt: skip
    by_index = {item.reader.index: item for item in parsed}
    for kind, model in _ROW_MODELS.items():
        claimed = seen.get(kind, {})
        for chunk in chunked(sorted(claimed)):
            for row_id, owner in batch.session.execute(
                select(model.id, model.service_id).where(model.id.in_(chunk))
            ):
                reader, path = claimed[row_id]
                if owner != reader.id and reader.index in by_index:
                    error = reader.error(
                        path, f"{_short(repr(row_id))} already belongs to service {owner}"
                    )
                    refused.setdefault(reader.index, (by_index[reader.index], error))
    return list(refused.values())


def _write(
    batch: DirectoryBatch, parsed: list[_Parsed], changed_before: Set[str] = frozenset()
) -> tuple[ImportReport, set[str]]:
    """Organisations first, then services, through ``batch``: what it did to the records'
    services (``changed_before``: those the same import changed already, "updated" too),
    and the ids of every service it changed."""
    for item in parsed:
        if item.organization is None:
            continue  # a mere reference
        organization = batch.organization(item.organization_id)
        try:
            if organization is None:
                batch.create_organization(item.organization, item.organization_id)
            elif not item.placeholder:
                batch.update_organization(organization, item.organization)
        except OperationError as exc:
            item.reader.fail(f"organization.{exc.field}", exc.problem)
    created: set[str] = set()
    for item in parsed:
        service = batch.services.get(item.id)
        try:
            if service is None:
                batch.create_service(item.data, item.id)
                created.add(item.id)
            else:
                # The file's texts replace the service's: a locale it does not give goes.
                gone = {locale: TextData() for locale in service.text_by_locale()}
                batch.update_service(service, replace(item.data, texts=gone | item.data.texts))
        except OperationError as exc:
            item.reader.fail(exc.field, exc.problem)
    changed = batch.finish()
    report = ImportReport(warnings=[w for item in parsed for w in item.reader.warnings])
    for item in parsed:
        if item.id in created:
            report.created += 1
        elif item.id in changed or item.id in changed_before:
            report.updated += 1
        else:
            report.unchanged += 1
    return report, changed


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def export_services(
    session: Session, timezone: str | None = None, ids: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Every service not archived (inactive ones too, as HSDS "inactive"), ordered by id;
    with ``ids``, only those of them (a page of the HSDS API).

    Same shape as :func:`import_services` reads, so the output imports back unchanged.
    ``timezone`` (default: the app's ``TIMEZONE``) gives ``assured_date`` its local day.
    """
    tz = ZoneInfo(timezone or _city_timezone())
    query = select(Service).where(Service.archived_at.is_(None))
    if ids is not None:
        query = query.where(Service.id.in_(ids))
    services = session.scalars(query.options(*SERVICE_LOADING).order_by(Service.id))
    with force_locale(ORIGINAL_LOCALE):
        terms = {slug: taxonomy_term(slug) for slug in CATEGORY_SLUGS}
    return [_export_service(service, tz, terms) for service in services]


def _export_service(
    service: Service, tz: ZoneInfo, terms: Mapping[str, dict[str, str]]
) -> dict[str, Any]:
    # Sorted here, not trusted to the loader: collections an import just replaced are still in
    # the file's order, and an export must not depend on what the session happens to hold.
    texts = dict(sorted(service.text_by_locale().items()))
    # Each HSDS text in French, else in the language it is in (a feed imported --locale en
    # has a French name only): HSDS has one language per record, x_guichet has them all.
    record: dict[str, Any] = {
        "id": service.id,
        "organization_id": service.organization_id,
        "name": pick_field(texts, "name", ORIGINAL_LOCALE).text,
        "description": pick_field(texts, "description", ORIGINAL_LOCALE).text,
        "status": STATUS_TO_HSDS[service.status],
    }
    if service.url:
        record["url"] = service.url
    if service.email:
        record["email"] = service.email
    if eligibility := pick_field(texts, "eligibility", ORIGINAL_LOCALE).text:
        record["eligibility_description"] = eligibility
    if how_to_access := pick_field(texts, "how_to_access", ORIGINAL_LOCALE).text:
        record["application_process"] = how_to_access
    if service.verified_at is not None:
        record["assured_date"] = service.verified_at.astimezone(tz).date().isoformat()
    if service.updated_at is not None:
        record["last_modified"] = _iso(service.updated_at)
    record["organization"] = export_organization(service.organization)
    record["phones"] = [
        _export_phone(phone) for phone in sorted(service.phones, key=lambda p: (p.position, p.id))
    ]
    record["schedules"] = [
        _export_schedule(schedule)
        for schedule in sorted(
            service.schedules, key=lambda s: (s.weekday, s.opens_at, s.closes_at, s.id)
        )
    ]
    record["service_at_locations"] = [
        _export_place(link)
        for link in sorted(service.locations, key=lambda link: (link.position, link.id))
    ]
    record["languages"] = [_export_language(service.id, code) for code in service.languages]
    record["attributes"] = [
        {
            "id": _derived(service.id, "attribute", category.slug),
            "taxonomy_term_id": terms[category.slug]["id"],
            "taxonomy_term": dict(terms[category.slug]),
        }
        for category in sorted(service.categories, key=lambda c: c.position)
    ]
    extension: dict[str, Any] = {
        "translations": {locale: _export_text(text) for locale, text in texts.items()},
        "access": list(service.access_conditions),
        "closures": [
            _export_closure(closure)
            for closure in sorted(service.closures, key=lambda c: (c.starts_on, c.ends_on, c.id))
        ],
    }
    if service.verified_at is not None:
        extension["verified_at"] = _iso(service.verified_at)
    record[EXTENSION] = extension
    return with_hsds_extra(record, service.hsds_extra, "service")


def export_organization(organization: Organization) -> dict[str, Any]:
    """An organisation as HSDS writes it, inside a service or on its own (the API)."""
    values: dict[str, Any] = {
        "id": organization.id,
        "name": organization.name,
        "description": organization.description or "",
    }
    if organization.website:
        values["website"] = organization.website
    if organization.email:
        values["email"] = organization.email
    return with_hsds_extra(values, organization.hsds_extra, "organization")


def _export_phone(phone: Phone) -> dict[str, Any]:
    values = {"id": phone.id}
    for name, key in _PHONE_TO_HSDS.items():
        if getattr(phone, name) or name != "description":
            values[key] = getattr(phone, name)
    return values


def _export_schedule(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "freq": "WEEKLY",
        "wkst": WEEKDAY_CODES[0],
        "byday": WEEKDAY_CODES[schedule.weekday],
        "opens_at": clock(schedule.opens_at),
        "closes_at": clock(schedule.closes_at),
    }


def _export_place(link: ServiceLocation) -> dict[str, Any]:
    location = link.location
    values: dict[str, Any] = {"id": location.id, "location_type": "physical", "name": location.name}
    if location.latitude is not None:
        values["latitude"] = location.latitude
    if location.longitude is not None:
        values["longitude"] = location.longitude
    if location.address_id or any(
        (location.address, location.postcode, location.city, location.district)
    ):
        values["addresses"] = [
            {
                "id": location.address_id or _derived(location.id, "address"),
                "address_1": location.address,
                "city": location.city,
                "region": location.district,
                "state_province": "",
                "postal_code": location.postcode,
                "country": location.country or _city_country(),
                "address_type": "physical",
            }
        ]
    return {"id": link.id, "location": with_hsds_extra(values, location.hsds_extra, "location")}


def _export_language(service_id: str, code: str) -> dict[str, str]:
    values = {"id": _derived(service_id, "language", code)}
    try:
        display = Locale.parse(code.replace("-", "_")).get_display_name(ORIGINAL_LOCALE)
    except (ValueError, UnknownLocaleError):
        display = None
    if display:
        values["name"] = display[:1].upper() + display[1:]
    values["code"] = code
    return values


def _export_text(text: ServiceText) -> dict[str, str]:
    values = {name: getattr(text, name) or "" for name in TEXT_FIELDS}
    if text.status is not TextStatus.DONE:
        values["status"] = text.status.value
    return values


def _export_closure(closure: Closure) -> dict[str, Any]:
    """The closure as the extension carries it: our fields, under our names, as JSON."""
    return {"id": closure.id, **plain(field_values(closure, CLOSURE_FIELDS))}


def taxonomy_term(slug: str) -> dict[str, str]:
    """A Guichet category as an HSDS taxonomy term, its name in the current locale."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TAXONOMY}:taxonomy_term:{slug}")),
        "code": slug,
        "name": category_name(slug),
        "description": "",
        "taxonomy": TAXONOMY,
    }


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _city_country() -> str:
    """The city's country code: that of its phone numbers (``PHONE_REGION``)."""
    if has_app_context():
        return settings().phone_region.upper()
    return COUNTRY


def _city_timezone() -> str:
    if has_app_context():
        return settings().timezone
    return DEFAULT_TIMEZONE


def _derived(owner: str, kind: str, key: object = "") -> str:
    """A stable id for a row HSDS gives no id of ours, so re-exports keep the same ids."""
    suffix = f":{key}" if key != "" else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{owner}:{kind}{suffix}"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@functools.cache
def _length(column: Any) -> int | None:
    """The length a column holds (looked up once: a model attribute's type is a long walk
    through SQLAlchemy's proxies, and every text of every record asks)."""
    return getattr(column.type, "length", None)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
