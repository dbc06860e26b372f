"""data·inclusion (France's shared directory of social-inclusion services) in and out.

data·inclusion publishes two JSON lists, structures and services, in its v1 schema
(https://github.com/gip-inclusion/data-inclusion-schema, copied under
``gateway/content/data-inclusion/schemas``). Import converts each service, with its
structure, into the HSDS 3.0 shape that :mod:`gateway.directory.hsds` reads and feeds it
through :func:`~gateway.directory.hsds.import_services`: one write path, the same operations,
trail and translation-review rules as any other import. Every data·inclusion field, typed
or not, also rides along in the ``x_data_inclusion`` extension so that an export can give
the city's edits back in data·inclusion's own shape.

Validation uses the published JSON schemas with ``jsonschema`` (already a dependency)
rather than the ``data-inclusion-schema`` pydantic package: the schemas are the published
contract, and a jsonschema error carries the path that the one-line refusal needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import gateway.clock
from gateway import audit
from gateway.config import CONTENT_DIR
from gateway.directory.hours import WEEKDAY_CODES
from gateway.directory.hsds import (
    TAXONOMY,
    ImportReport,
    InterchangeError,
    export_services,
    import_services,
)
from gateway.directory.operations import OperationError
from gateway.directory.osm_hours import weekly_hours
from gateway.models import CATEGORY_SLUGS, AuditEntry, IncomingChange, IncomingStatus, User

DATA_INCLUSION_DIR = CONTENT_DIR / "data-inclusion"
MAPPING_FILE = DATA_INCLUSION_DIR / "thematiques.tsv"
EXTENSION = "x_data_inclusion"
UNMAPPED = "-"
STRUCTURES_FILE = "structures.json"
SERVICES_FILE = "services.json"


@cache
def thematique_categories() -> dict[str, str | None]:
    """Each v1 thematique's Guichet category, or None where the city chose none.

    A table in the content directory, not code: which thematique a city lists under which
    category is an editorial choice that content editors review.
    """
    table: dict[str, str | None] = {}
    for line in MAPPING_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        thematique, category = line.split("\t")
        if category != UNMAPPED and category not in CATEGORY_SLUGS:
            raise ValueError(f"{MAPPING_FILE}: {thematique}: unknown category {category!r}")
        table[thematique] = None if category == UNMAPPED else category
    return table


@cache
def validator(kind: str) -> Draft202012Validator:
    """The v1 schema of ``kind`` ("structure" or "service"), checking formats too."""
    schema = json.loads((DATA_INCLUSION_DIR / "schemas" / f"{kind}.json").read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _read_list(path: Path) -> list[Any]:
    try:
        records = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise InterchangeError(str(path), f"not a readable JSON file: {exc}") from None
    if not isinstance(records, list):
        raise InterchangeError(str(path), "expected a JSON list of records")
    return records


def _check(path: Path, kind: str, records: list[Any]) -> None:
    """Stop on the first record that breaks the v1 schema, naming file, record and field."""
    for index, record in enumerate(records, 1):
        error = best_match(validator(kind).iter_errors(record))
        if error is not None:
            # best_match goes into anyOf ("a value or null") to the branch that explains it.
            while error.context:
                error = max(error.context, key=lambda e: len(e.absolute_path))
            field = ".".join(str(part) for part in error.absolute_path) or "record"
            raise InterchangeError(
                str(path), error.message[:200], record=index, record_id=_id(record), field=field
            )


def _id(record: Any) -> object:
    return record.get("id") if isinstance(record, dict) else None


def read_directory(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Structures and services of a data·inclusion directory, checked against v1."""
    structures_path, services_path = path / STRUCTURES_FILE, path / SERVICES_FILE
    structures = _read_list(structures_path)
    services = _read_list(services_path)
    _check(structures_path, "structure", structures)
    _check(services_path, "service", services)
    known = {structure["id"] for structure in structures}
    for index, service in enumerate(services, 1):
        if service["structure_id"] not in known:
            raise InterchangeError(
                str(services_path), f"{service['structure_id']!r} is not in {STRUCTURES_FILE}",
                record=index, record_id=service["id"], field="structure_id",
            )  # fmt: skip
    return structures, services


def to_hsds(
    service: Mapping[str, Any], structure: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """One data·inclusion service as an HSDS 3.0 service embedding its organization.

    Ids keep data·inclusion's ``source--id`` form, so a re-import updates in place. Fields
    Guichet has no column for stay in ``x_data_inclusion`` (the service and structure
    verbatim), including ``horaires_accueil``: OSM opening_hours is richer than the weekly
    model (public holidays, week numbers, dated ranges), so it is kept as written and turned
    into weekly hours as far as they go. The second value says what the hours could not carry.
    """
    # A service without its own hours is open when its structure is (data·inclusion's rule).
    hours_text = service.get("horaires_accueil") or structure.get("horaires_accueil")
    ranges, lost = weekly_hours(hours_text) if hours_text else ([], None)
    note = f"horaires_accueil {hours_text!r}: {lost}, kept as written only" if lost else None
    categories = thematique_categories()
    slugs: list[str] = []
    for thematique in service.get("thematiques") or []:
        slug = categories[thematique]
        if slug is not None and slug not in slugs:
            slugs.append(slug)
    eligibility = "\n\n".join(
        text
        for text in (service.get("publics_precisions"), service.get("conditions_acces"))
        if text
    )
    record: dict[str, Any] = {
        "id": service["id"],
        "name": service["nom"],
        "description": service["description"],
        "assured_date": service["date_maj"],
        "organization": {
            "id": structure["id"],
            "name": structure["nom"],
            "description": structure.get("description") or "",
            "website": structure.get("site_web"),
            "email": structure.get("courriel"),
        },
        "url": service.get("lien_source"),
        "email": service.get("courriel"),
        "eligibility_description": eligibility or None,
        "application_process": service.get("mobilisation_precisions"),
        "phones": [{"number": service["telephone"]}] if service.get("telephone") else [],
        "schedules": [
            {
                "freq": "WEEKLY",
                "byday": WEEKDAY_CODES[weekly.weekday],
                "opens_at": weekly.opens_at.isoformat("minutes"),
                "closes_at": weekly.closes_at.isoformat("minutes"),
            }
            for weekly in ranges
        ],
        "attributes": [{"taxonomy_term": {"taxonomy": TAXONOMY, "code": slug}} for slug in slugs],
        EXTENSION: {"service": dict(service), "structure": dict(structure)},
    }
    if service.get("adresse") or service.get("latitude") is not None:
        record["service_at_locations"] = [{"location": _location(service)}]
    return {key: value for key, value in record.items() if value is not None}, note


def _location(service: Mapping[str, Any]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "addresses": [
            {
                "address_1": service.get("adresse") or "",
                "address_2": service.get("complement_adresse") or "",
                "postal_code": service.get("code_postal") or "",
                "city": service.get("commune") or "",
            }
        ]
    }
    if service.get("latitude") is not None and service.get("longitude") is not None:
        location["latitude"] = service["latitude"]
        location["longitude"] = service["longitude"]
    return location


@dataclass
class DataInclusionReport(ImportReport):
    """An import's counts, and the services it held back: edited here since data·inclusion
    last wrote them, so the incoming change was not applied (one line each)."""

    held: list[str] = field(default_factory=list)


def import_directory(session: Session, path: Path) -> DataInclusionReport:
    """Import ``path``'s structures.json and services.json, all or nothing; flush only.

    A bad file stops with one :class:`InterchangeError` line before anything is written.
    A service someone edited in the back office since the last import is never overwritten:
    if the file would change it, the change is left out and the service listed as held.
    """
    structures, services = read_directory(path)
    by_id = {structure["id"]: structure for structure in structures}
    source = str(path / SERVICES_FILE)
    records = []
    notes = []
    for index, service in enumerate(services, 1):
        record, note = to_hsds(service, by_id[service["structure_id"]])
        records.append(record)
        if note:
            notes.append(f"{source}: record {index} ({service['id']}): {note}")
    edited = _edited_locally(session, [record["id"] for record in records])
    report = DataInclusionReport(warnings=notes)
    report.add(import_services(session, [r for r in records if r["id"] not in edited], source))
    for record in records:
        if record["id"] not in edited:
            continue
        savepoint = session.begin_nested()
        attempt = import_services(session, [record], source)
        if attempt.created or attempt.updated:
            savepoint.rollback()
            _queue(session, record, source)
            report.held.append(
                f"{source}: {record['id']}: edited locally since the last import; "
                "the incoming change waits for review"
            )
        else:
            savepoint.commit()
            report.add(attempt)
    return report


def _queue(session: Session, record: dict[str, Any], source: str) -> None:
    """Put ``record`` in the review queue, in place of what was pending for its service;
    a record already decided on (rejected: the same file sent again) is not asked twice."""
    earlier = session.scalars(
        select(IncomingChange).where(IncomingChange.service_id == record["id"])
    ).all()
    if any(change.record == record for change in earlier):
        return
    for change in earlier:
        if change.status == IncomingStatus.PENDING:
            session.delete(change)
    session.add(
        IncomingChange(
            service_id=record["id"],
            source=source,
            record=record,
            received_at=gateway.clock.now(),
            status=IncomingStatus.PENDING,
        )
    )
    session.flush()


def pending_changes(session: Session) -> list[IncomingChange]:
    """The incoming changes waiting for a decision, oldest first."""
    return list(
        session.scalars(
            select(IncomingChange)
            .where(IncomingChange.status == IncomingStatus.PENDING)
            .order_by(IncomingChange.received_at, IncomingChange.id)
        )
    )


def decide(session: Session, user: User, change: IncomingChange, accept: bool) -> None:
    """Apply the incoming record (accept) or keep the local version (reject); flush only.

    An accepted record is written by the "import" actor, through the same import, so that
    the service follows data·inclusion again; who decided is its own entry in the trail.
    """
    if change.status != IncomingStatus.PENDING:
        raise OperationError("status", "this incoming change is already decided")
    if accept:
        import_services(session, [change.record], source=change.source)
    change.status = IncomingStatus.ACCEPTED if accept else IncomingStatus.REJECTED
    change.decided_at = gateway.clock.now()
    audit.record(
        session, user, f"incoming.{change.status}", "service", change.service_id,
        details={"source": change.source, "incoming_change": change.id},
    )  # fmt: skip
    session.flush()


def _edited_locally(session: Session, service_ids: list[str]) -> set[str]:
    """The services among ``service_ids`` whose latest change in the trail is a person's.

    Imports write as the "import" actor (no user id); forms write as the signed-in user. So
    a latest ``service.*`` entry with a user is an edit made here after whatever
    data·inclusion sent. Decisions on the queue ("incoming.*") are not changes: after an
    accepted one the latest change is the import's, and the service follows again.
    """
    latest = (
        select(AuditEntry.entity_id, func.max(AuditEntry.id).label("last"))
        .where(
            AuditEntry.entity_type == "service",
            AuditEntry.entity_id.in_(service_ids),
            AuditEntry.action.like("service.%"),
        )
        .group_by(AuditEntry.entity_id)
        .subquery()
    )
    return set(
        session.scalars(
            select(AuditEntry.entity_id)
            .join(latest, AuditEntry.id == latest.c.last)
            .where(AuditEntry.actor_id.is_not(None))
        )
    )


def export_directory(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Structures and services in data·inclusion v1, the city's current values on top of
    what data·inclusion sent (``x_data_inclusion``), so the city can give its edits back."""
    structures: dict[str, dict[str, Any]] = {}
    services: list[dict[str, Any]] = []
    for record in export_services(session):
        carried = record.get(EXTENSION) or {}
        structure, service = _from_hsds(record, carried)
        structures.setdefault(structure["id"], structure)
        services.append(service)
    return list(structures.values()), services


def _from_hsds(
    record: Mapping[str, Any], carried: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    organization = record["organization"]
    structure = dict(carried.get("structure") or {"source": "guichet", "date_maj": _day(record)})
    structure.update(id=organization["id"], nom=organization["name"])
    if organization.get("website"):
        structure["site_web"] = organization["website"]
    service = dict(carried.get("service") or {"source": structure["source"]})
    service.update(
        id=record["id"],
        structure_id=organization["id"],
        nom=record["name"],
        description=record.get("description") or record["name"],
        date_maj=_day(record),
    )
    if record.get("email"):
        service["courriel"] = record["email"]
    phones = record.get("phones") or []
    if phones:
        service["telephone"] = phones[0]["number"]
    return structure, service


def _day(record: Mapping[str, Any]) -> str:
    """The day of the last change: a local edit is news to data·inclusion."""
    moment = record.get("last_modified") or record.get("assured_date") or ""
    return str(moment)[:10]


def write_directory(session: Session, path: Path) -> tuple[int, int]:
    """Write structures.json and services.json into ``path``; the counts written."""
    structures, services = export_directory(session)
    path.mkdir(parents=True, exist_ok=True)
    for name, records in ((STRUCTURES_FILE, structures), (SERVICES_FILE, services)):
        (path / name).write_text(
            json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return len(structures), len(services)


def schema_errors(kind: str, records: list[dict[str, Any]]) -> Iterator[str]:
    """What breaks the v1 schema in ``records``, for checks of an export."""
    for index, record in enumerate(records, 1):
        for error in validator(kind).iter_errors(record):
            yield f"{kind} {index}: {error.json_path}: {error.message}"
