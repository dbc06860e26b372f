"""HSDS 3.0 interchange against real databases.

Exports validate against Open Referral's own schema, import → export → import loses nothing,
Open Referral's example files import, and bad input is one line naming file, record and field:
a list imported at once stops with nothing written, a streamed file refuses the bad record alone.
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from gateway.audit import history
from gateway.cli import DEMO_SERVICES
from gateway.db import db
from gateway.directory.hsds import (
    InterchangeError,
    export_services,
    import_services,
    read_hsds_file,
    summarize,
)
from gateway.models import (
    AuditEntry,
    Category,
    Closure,
    ClosureReason,
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
    TextStatus,
)

# Open Referral's schemas and examples, copied into tests/data/reference (source and licence there).
HSDS_REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "hsds" / "3.0"
SCHEMA = HSDS_REFERENCE / "schema" / "compiled" / "service_with_definitions.json"
EXAMPLES = HSDS_REFERENCE / "examples"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ROW_MODELS = (
    Organization,
    Service,
    ServiceText,
    ServiceCategory,
    Phone,
    Schedule,
    Closure,
    Location,
    ServiceLocation,
)


def uid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, ":".join(map(str, ("test-hsds", *parts)))))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    """Open Referral's compiled service schema, with format checks (uuid, email, date)."""
    schema = json.loads(SCHEMA.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_valid_hsds(validator: Draft202012Validator, records: list[dict[str, Any]]) -> None:
    problems = [
        f"record {n} ({record.get('id')}) /{'/'.join(map(str, error.absolute_path))}: "
        f"{error.message}"
        for n, record in enumerate(records, 1)
        for error in validator.iter_errors(record)
    ]
    assert problems == []


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in ROW_MODELS
    }


def directory_version(session: Session) -> int:
    return session.scalar(select(DirectoryVersion.version)) or 0


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def without_last_modified(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k != "last_modified"} for record in records]


def wipe_directory(session: Session) -> None:
    """Empty the directory inside the test's transaction, as a fresh city would be."""
    for model in (
        ServiceCategory,
        ServiceLocation,
        Phone,
        Schedule,
        Closure,
        ServiceText,
        Service,
        Location,
        Organization,
    ):
        session.execute(delete(model))
    session.expunge_all()


@pytest.fixture
def city(session: Session, make_service: Callable[..., Service]) -> dict[str, Service]:
    """Services covering everything we model: overnight hours, closures, several locales,
    phones, two services sharing a place, one with two places, every status, one archived."""
    shelter = make_service(
        "Abri de nuit",
        categories=("shelter", "emergency"),
        hours=[(day, "19:00", "08:00") for day in range(7)],
        texts={
            "fr": {
                "description": "Lits pour la nuit. Repas chaud le soir.",
                "eligibility": "Adultes seuls.",
                "how_to_access": "Se présenter à partir de 19 h.",
            },
            "en": {"name": "Night shelter", "summary": "Beds for the night."},
            "ar": {"name": "ملجأ ليلي", "summary": "أسرّة لليلة."},
        },
        url="https://example.org/abri",
        email="abri@example.org",
        access_conditions=["unconditional", "free"],
        languages=["fr", "ar", "en"],
        verified_at=datetime(2026, 3, 1, 23, 30, 15, 250000, tzinfo=UTC),
    )
    shelter.text_by_locale()["en"].status = TextStatus.NEEDS_REVIEW
    shelter.phones = [
        Phone(number="+33 2 38 00 00 01", kind="voice", description="Accueil", position=0),
        Phone(number="+33 6 00 00 00 02", kind="text", position=1),
    ]
    shelter.closures = [
        Closure(
            starts_on=date(2026, 12, 24),
            ends_on=date(2026, 12, 26),
            reason=ClosureReason.HOLIDAY,
            message={"fr": "Fermé à Noël", "en": "Closed for Christmas"},
        ),
        Closure(starts_on=date(2026, 5, 4), ends_on=date(2026, 5, 4), reason=ClosureReason.WORKS),
    ]
    meals = make_service(
        "Repas solidaires",
        hours=[(0, "11:30", "13:30"), (2, "11:30", "13:30"), (0, "18:00", "20:00")],
        organization=shelter.organization,
    )
    meals.locations.append(
        ServiceLocation(location=shelter.locations[0].location, position=1)
    )  # shares the shelter's place
    make_service("Vestiaire", categories=("clothing",), status=ServiceStatus.INACTIVE)
    make_service(
        "Douches",
        categories=("hygiene",),
        status=ServiceStatus.TEMPORARILY_CLOSED,
        latitude=None,
        longitude=None,
    )
    make_service("Ancien service", archived_at=datetime(2025, 1, 1, tzinfo=UTC))
    session.flush()
    return {"shelter": shelter, "meals": meals}


def by_name(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in records}


# --- export --------------------------------------------------------------------------------


def test_export_validates_against_the_hsds_schema(session, city, validator) -> None:
    records = export_services(session)

    assert_valid_hsds(validator, records)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    services = by_name(records)
    assert set(services) == {"Abri de nuit", "Repas solidaires", "Vestiaire", "Douches"}
    assert services["Vestiaire"]["status"] == "inactive"
    assert services["Douches"]["status"] == "temporarily closed"
    assert "latitude" not in services["Douches"]["service_at_locations"][0]["location"]


def test_export_maps_every_modelled_field(session, city) -> None:
    shelter = by_name(export_services(session))["Abri de nuit"]

    assert shelter["description"] == "Lits pour la nuit. Repas chaud le soir."
    assert shelter["eligibility_description"] == "Adultes seuls."
    assert shelter["application_process"] == "Se présenter à partir de 19 h."
    assert (shelter["url"], shelter["email"]) == ("https://example.org/abri", "abri@example.org")
    # 23:30 UTC is already the next day in Paris.
    assert shelter["assured_date"] == "2026-03-02"
    assert shelter["x_guichet"]["verified_at"] == "2026-03-01T23:30:15.250000Z"
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in shelter["schedules"]] == [
        (day, "19:00", "08:00") for day in WEEKDAYS
    ]
    assert {s["freq"] for s in shelter["schedules"]} == {"WEEKLY"}
    assert [(p["number"], p["type"]) for p in shelter["phones"]] == [
        ("+33 2 38 00 00 01", "voice"),
        ("+33 6 00 00 00 02", "text"),
    ]
    assert [a["taxonomy_term"]["code"] for a in shelter["attributes"]] == ["shelter", "emergency"]
    assert {a["taxonomy_term"]["taxonomy"] for a in shelter["attributes"]} == {"guichet"}
    assert shelter["languages"][1] == {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{shelter['id']}:language:ar")),
        "name": "Arabe",
        "code": "ar",
    }
    extension = shelter["x_guichet"]
    assert extension["access"] == ["unconditional", "free"]
    assert list(extension["translations"]) == ["ar", "en", "fr"]
    assert extension["translations"]["en"] == {
        "name": "Night shelter",
        "summary": "Beds for the night.",
        "description": "",
        "eligibility": "",
        "how_to_access": "",
        "status": "needs_review",
    }
    assert "status" not in extension["translations"]["fr"]
    christmas = next(c for c in city["shelter"].closures if c.reason is ClosureReason.HOLIDAY)
    assert [c["starts_on"] for c in extension["closures"]] == ["2026-05-04", "2026-12-24"]
    assert extension["closures"][1] == {
        "id": christmas.id,
        "starts_on": "2026-12-24",
        "ends_on": "2026-12-26",
        "reason": "holiday",
        "message": {"en": "Closed for Christmas", "fr": "Fermé à Noël"},
    }
    address = shelter["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["postal_code"], address["region"]) == (
        "1 rue de la Paix",
        "45100",
        "Centre-ville",
    )
    assert (address["state_province"], address["country"]) == ("", "FR")


def test_services_sharing_a_place_export_the_same_location(session, city) -> None:
    services = by_name(export_services(session))
    shelter_places = [link["location"] for link in services["Abri de nuit"]["service_at_locations"]]
    meal_places = [
        link["location"] for link in services["Repas solidaires"]["service_at_locations"]
    ]

    assert len(meal_places) == 2
    assert meal_places[1] == shelter_places[0]


# --- round trip ----------------------------------------------------------------------------


def test_reimporting_an_export_changes_nothing(session, city) -> None:
    """Not a row touched, not even the version or the trail: ``last_modified`` keeps meaning
    "edited", and the history shows no import that changed nothing."""
    first = export_services(session)
    counts = row_counts(session)
    writes: list[str] = []

    def record_write(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(" ".join(statement.split()[:3]))

    session.expire_all()  # read back from the database, as a later `guichet import` would
    version, entries = directory_version(session), audit_count(session)
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record_write)
    try:
        report = import_services(session, copy.deepcopy(first), source="first.json")
    finally:
        event.remove(connection, "before_cursor_execute", record_write)

    assert (report.created, report.updated, report.unchanged) == (0, 0, len(first))
    assert writes == []
    assert (directory_version(session), audit_count(session)) == (version, entries)
    assert export_services(session) == first
    assert row_counts(session) == counts


def test_import_export_import_is_lossless_in_an_empty_directory(session, city) -> None:
    first = export_services(session)
    wipe_directory(session)
    version = directory_version(session)

    report = import_services(session, copy.deepcopy(first), source="first.json")
    second = export_services(session)
    again = import_services(session, copy.deepcopy(second), source="second.json")

    assert (report.created, report.updated, report.unchanged) == (len(first), 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(first))
    assert without_last_modified(second) == without_last_modified(first)
    assert export_services(session) == second
    assert session.scalar(select(func.count()).select_from(Location)) == 4
    assert directory_version(session) == version + 1  # the first import; the second changed nothing


def test_reimport_replaces_a_services_rows(session, city) -> None:
    record = by_name(export_services(session))["Abri de nuit"]
    schedule_id = record["schedules"][0]["id"]
    record["phones"] = record["phones"][1:]
    record["schedules"] = [
        {"id": schedule_id, "byday": "MO,TU,SA", "opens_at": "20:00:00", "closes_at": "07:30"}
    ]
    record["attributes"] = record["attributes"][:1]
    record["service_at_locations"] = []
    record["x_guichet"]["closures"] = []
    del record["x_guichet"]["translations"]["ar"]
    record["status"] = "defunct"

    import_services(session, [record], source="edited.json")
    session.expire_all()
    shelter = session.get(Service, record["id"])

    assert shelter is not None
    assert shelter.status is ServiceStatus.INACTIVE
    assert [p.number for p in shelter.phones] == ["+33 6 00 00 00 02"]
    assert [(s.id, s.weekday, s.opens_at, s.closes_at) for s in shelter.schedules] == [
        (schedule_id, 0, time(20, 0), time(7, 30)),
        (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{schedule_id}:TU")), 1, time(20), time(7, 30)),
        (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{schedule_id}:SA")), 5, time(20), time(7, 30)),
    ]
    assert [c.slug for c in shelter.categories] == ["shelter"]
    assert shelter.locations == [] and shelter.closures == []
    assert sorted(shelter.text_by_locale()) == ["en", "fr"]
    assert session.scalar(select(func.count()).select_from(Schedule)) == 3 + 3  # + meals' 3
    # The shared place stays: the meals service still uses it.
    assert len(session.get(Service, city["meals"].id).locations) == 2


def test_plain_hsds_builds_the_french_texts(session) -> None:
    record = valid_record(1)
    del record["x_guichet"]
    record["description"] = "Colis alimentaires le mardi! Sans rendez-vous, apportez un sac."
    record["eligibility_description"] = "Habitants de la ville."
    record["application_process"] = "Venir sur place."
    record["assured_date"] = "2026-07-01"

    import_services(session, [record], source="plain.json")
    service = session.get(Service, record["id"])

    assert service is not None
    french = service.text_by_locale()["fr"]
    assert (french.name, french.summary) == ("Épicerie 1", "Colis alimentaires le mardi!")
    assert (french.eligibility, french.how_to_access) == (
        "Habitants de la ville.",
        "Venir sur place.",
    )
    # assured_date is midnight in the city (Paris, summer time).
    assert service.verified_at == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert service.access_conditions == [] and service.closures == []


def test_summary_is_the_first_sentence_cut_at_a_word() -> None:
    long_sentence = "Accueil " + "et écoute " * 30 + "sans jugement."

    summary = summarize(long_sentence)

    assert len(summary) <= 140
    assert summary.endswith("écoute…")
    assert summarize("Court.  Deuxième phrase.") == "Court."
    assert summarize("") == ""


def test_organization_can_be_referenced_by_id(session) -> None:
    first = valid_record(1)
    second = valid_record(2)
    del second["organization"]
    second["organization_id"] = first["organization"]["id"]

    report = import_services(session, [first, second], source="two.json")

    assert (report.created, report.updated) == (2, 0)
    assert session.get(Service, second["id"]).organization_id == first["organization"]["id"]


def test_fields_and_taxonomies_we_do_not_model_give_no_category_or_hours(session) -> None:
    record = valid_record(1)
    record["fees_description"] = "Gratuit"
    record["attributes"] += [
        {"id": uid("other"), "taxonomy_term": {"id": uid("t"), "code": "X1", "taxonomy": "AIRS"}},
        {"id": uid("bare"), "taxonomy_term_id": uid("t2")},
    ]
    record["schedules"].append({"id": uid("note"), "description": "Fermé les jours fériés"})
    record["x_guichet"]["translations"]["de"] = {"name": "Lebensmittel"}
    record["x_guichet"]["closures"][0]["message"]["de"] = "Geschlossen"

    import_services(session, [record], source="extra.json")
    service = session.get(Service, record["id"])

    assert [c.slug for c in service.categories] == ["food"]
    assert len(service.schedules) == 1
    assert sorted(service.text_by_locale()) == ["en", "fr"]
    assert service.closures[0].message == {"fr": "Fermé en août"}


# --- Open Referral's examples --------------------------------------------------------------


def example_records(name: str) -> list[dict[str, Any]]:
    """The services in one of Open Referral's example files, as a partner would send them."""
    path = EXAMPLES / name
    if name == "service_at_location_full.json":
        return [json.loads(path.read_text("utf-8"))["service"]]
    if name == "organization_full.json":
        organization = json.loads(path.read_text("utf-8"))
        services = organization.pop("services")
        return [{**service, "organization": organization} for service in services]
    return read_hsds_file(path)


@pytest.mark.parametrize(
    "name",
    [
        "service_full.json",
        "service_list.json",
        "service_at_location_full.json",
        "organization_full.json",
    ],
)
def test_open_referral_examples_import(session, validator, name) -> None:
    records = example_records(name)

    report = import_services(session, copy.deepcopy(records), source=name)
    again = import_services(session, copy.deepcopy(records), source=name)

    assert (report.created, report.updated, report.unchanged) == (len(records), 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(records))
    assert session.scalar(select(func.count()).select_from(Service)) == len(records)
    assert_valid_hsds(validator, export_services(session))


def test_open_referral_full_example_maps_what_we_model(session) -> None:
    record = read_hsds_file(EXAMPLES / "service_full.json")[0]

    import_services(session, [record], source="service_full.json")
    service = session.get(Service, "ac148810-d857-441c-9679-408f346de14b")

    assert service is not None
    assert service.organization.name == "Example Organization Inc."
    assert [(p.number, p.kind) for p in service.phones] == [('"+44 1234 234567"', "voice")]
    schedule_id = "48102e86-bb50-41c4-8f1e-e269368c41d1"
    assert [(s.id, s.weekday, s.opens_at, s.closes_at) for s in service.schedules] == [
        (schedule_id, 3, time(10), time(18)),
        (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{schedule_id}:FR")), 4, time(10), time(18)),
    ]
    assert service.languages == ["ur"]
    assert service.categories == []  # its attribute is in another taxonomy
    french = service.text_by_locale()["fr"]
    assert french.summary == "Counselling Services provided by trained professionals."
    assert french.eligibility.startswith("This service is intended for all people aged 12")
    place = service.locations[0].location
    assert (place.name, place.address, place.postcode, place.district) == (
        "MyCity Civic Center",
        "1-30 Main Street, MyVillage",
        "ABC 1234",
        "MyRegion",
    )
    assert place.address_id == "74706e55-df26-4b84-80fe-ecc30b5befb4"


def test_open_referral_placeholder_coordinates_are_left_out_with_a_warning(session) -> None:
    """The full example puts its civic centre at latitude 100: the place comes, not the point."""
    records = read_hsds_file(EXAMPLES / "service_full.json")

    report = import_services(session, records, source="service_full.json")

    assert report.warnings == [
        "service_full.json: record 1 (id ac148810-d857-441c-9679-408f346de14b): "
        "service_at_locations[0].location.latitude: out of range -90..90, left out: 100"
    ]
    place = session.get(Service, records[0]["id"]).locations[0].location
    assert (place.name, place.latitude, place.longitude) == ("MyCity Civic Center", None, None)


# --- bad input -----------------------------------------------------------------------------


def valid_record(n: int) -> dict[str, Any]:
    """A complete, valid service; every id depends on ``n`` so records never collide."""
    return {
        "id": uid(n, "service"),
        "name": f"Épicerie {n}",
        "description": "Épicerie solidaire.",
        "status": "active",
        "organization": {"id": uid(n, "org"), "name": f"Association {n}", "description": ""},
        "phones": [{"id": uid(n, "phone"), "number": "+33 2 38 00 00 00", "type": "voice"}],
        "schedules": [
            {
                "id": uid(n, "schedule"),
                "freq": "WEEKLY",
                "byday": "MO",
                "opens_at": "09:00",
                "closes_at": "12:00",
            }
        ],
        "service_at_locations": [
            {
                "id": uid(n, "sal"),
                "location": {
                    "id": uid(n, "location"),
                    "location_type": "physical",
                    "name": "Local",
                    "latitude": 47.9,
                    "longitude": 1.9,
                    "addresses": [
                        {
                            "id": uid(n, "address"),
                            "address_1": "3 rue des Lilas",
                            "city": "Val-de-Lisle",
                            "region": "Centre-ville",
                            "state_province": "",
                            "postal_code": "45100",
                            "country": "FR",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": [
            {
                "id": uid(n, "attribute"),
                "taxonomy_term": {
                    "id": uid("term", "food"),
                    "code": "food",
                    "name": "Alimentation",
                    "description": "",
                    "taxonomy": "guichet",
                },
            }
        ],
        "x_guichet": {
            "access": ["free"],
            "closures": [
                {
                    "id": uid(n, "closure"),
                    "starts_on": "2026-08-01",
                    "ends_on": "2026-08-15",
                    "reason": "holiday",
                    "message": {"fr": "Fermé en août"},
                }
            ],
            "translations": {"en": {"name": "Food shop", "summary": "Cheap food."}},
        },
    }


DELETE = object()


def setting(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a record: ``value`` at a dotted path (list indexes as numbers)."""

    def change(record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = record
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[int(last) if isinstance(target, list) else last] = value

    return change


LOCATION = "service_at_locations.0.location"
BAD_RECORDS = [
    ("id", DELETE, "id", "missing"),
    ("id", " ", "id", "empty"),
    ("name", DELETE, "name", "missing"),
    ("name", "   ", "name", "empty"),
    ("name", "n" * 201, "name", "longer than 200 characters (201)"),
    ("status", "closed", "status", "unknown status 'closed'"),
    ("schedules.0.opens_at", "25:99", "schedules[0].opens_at", "not a time: '25:99'"),
    ("schedules.0.closes_at", "9h", "schedules[0].closes_at", "not a time: '9h'"),
    ("schedules.0.closes_at", DELETE, "schedules[0].closes_at", "missing"),
    ("schedules.0.byday", "MO,XY", "schedules[0].byday", "not a day among MO,TU"),
    ("schedules.0.freq", "MONTHLY", "schedules[0].freq", "only WEEKLY hours"),
    (f"{LOCATION}.latitude", "47.9", "service_at_locations[0].location.latitude", "not a number"),
    ("assured_date", "2026-02-30", "assured_date", "not a date (YYYY-MM-DD): '2026-02-30'"),
    ("x_guichet.verified_at", "yesterday", "x_guichet.verified_at", "not an ISO date"),
    (
        "x_guichet.closures.0.starts_on",
        "01/08/2026",
        "x_guichet.closures[0].starts_on",
        "not a date",
    ),
    (
        "x_guichet.closures.0.ends_on",
        "2026-07-31",
        "x_guichet.closures[0].ends_on",
        "before starts_on",
    ),
    ("x_guichet.closures.0.reason", "party", "x_guichet.closures[0].reason", "unknown closure"),
    (
        "attributes.0.taxonomy_term.code",
        "bakery",
        "attributes[0].taxonomy_term.code",
        "unknown category 'bakery'",
    ),
    ("x_guichet.access", ["free", "maybe"], "x_guichet.access[1]", "unknown access condition"),
    (
        "x_guichet.translations.en.summary",
        "s" * 141,
        "x_guichet.translations.en.summary",
        "longer than 140 characters (141)",
    ),
    ("x_guichet.translations.en.status", "draft", "x_guichet.translations.en.status", "unknown"),
    ("organization.name", DELETE, "organization.name", "missing"),
    ("organization_id", uid("other org"), "organization_id", "is not organization.id"),
    ("phones.0.number", 38, "phones[0].number", "not a string but a number"),
    ("phones", "0238000000", "phones", "not a list but a string"),
    ("phones.0.id", uid(1, "phone"), "phones[0].id", "is already used by record 1"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "problem"),
    BAD_RECORDS,
    ids=[f"{case[0]}={case[1]!r:.20}" for case in BAD_RECORDS],
)
def test_bad_record_names_file_record_and_field_and_writes_nothing(
    session, path, value, field, problem
) -> None:
    bad = valid_record(2)
    setting(path, value)(bad)
    before, version = row_counts(session), directory_version(session)

    with pytest.raises(InterchangeError) as caught, session.begin_nested():
        import_services(session, [valid_record(1), bad], source="content/partner.json")

    message = str(caught.value)
    record_label = f"id {bad['id'].strip()}" if bad.get("id", "").strip() else "no id"
    assert message.startswith(f"content/partner.json: record 2 ({record_label}): {field}: ")
    assert problem in message
    assert "\n" not in message
    assert row_counts(session) == before
    assert directory_version(session) == version


def test_duplicate_service_id_in_a_file_is_refused(session) -> None:
    with pytest.raises(InterchangeError) as caught:
        import_services(session, [valid_record(1), valid_record(1)], source="twice.json")

    assert str(caught.value) == (
        f"twice.json: record 2 (id {uid(1, 'service')}): id: "
        f"'{uid(1, 'service')}' is already used by record 1"
    )


def test_ids_checked_against_the_database_write_nothing(session) -> None:
    import_services(session, [valid_record(1)], source="first.json")
    taken = valid_record(2)
    taken["phones"][0]["id"] = uid(1, "phone")
    unknown_org = valid_record(3)
    del unknown_org["organization"]
    unknown_org["organization_id"] = "nope"
    before = row_counts(session)

    for record, expected in [
        (
            taken,
            f"phones[0].id: '{uid(1, 'phone')}' already belongs to service {uid(1, 'service')}",
        ),
        (unknown_org, "organization_id: unknown organization 'nope'"),
    ]:
        with pytest.raises(InterchangeError) as caught, session.begin_nested():
            import_services(session, [record], source="next.json")
        assert str(caught.value) == f"next.json: record 1 (id {record['id']}): {expected}"
        assert row_counts(session) == before


def test_moved_service_at_location_ids_are_replaced(session) -> None:
    """Feeds that renumber their service_at_location ids re-import without a conflict."""
    record = valid_record(1)
    import_services(session, [copy.deepcopy(record)], source="a.json")
    record["service_at_locations"][0]["id"] = uid(1, "sal", "renumbered")

    import_services(session, [record], source="b.json")

    links = session.scalars(select(ServiceLocation)).all()
    assert [(link.id, link.location_id) for link in links] == [
        (uid(1, "sal", "renumbered"), uid(1, "location"))
    ]


# --- through the operations layer ---------------------------------------------------------


def trail(session: Session, after: int) -> list[AuditEntry]:
    """The entries written since the entry ``after`` (an id), oldest first."""
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))
    )


def last_entry_id(session: Session) -> int:
    session.flush()
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def test_an_import_is_one_entry_per_service_it_creates_or_changes(session) -> None:
    records = [valid_record(1), valid_record(2), valid_record(3)]
    start, version = last_entry_id(session), directory_version(session)

    created = import_services(session, copy.deepcopy(records), source="partners.json")

    assert (created.created, created.updated, created.unchanged) == (3, 0, 0)
    assert directory_version(session) == version + 1  # once for the import, not per service
    entries = trail(session, start)
    assert [(e.action, e.entity_id, e.actor) for e in entries if e.entity_type == "service"] == [
        ("service.create", records[n]["id"], "import") for n in range(3)
    ]
    assert entries[-1].action == "import"
    assert entries[-1].details == {
        "source": "partners.json", "created": 3, "updated": 0, "unchanged": 0,
    }  # fmt: skip

    records[0]["url"] = "https://example.org/epicerie"
    records[0]["phones"][0]["number"] = "+33 2 38 11 11 11"
    records[1]["x_guichet"]["closures"][0]["reason"] = "works"
    start, version = last_entry_id(session), directory_version(session)

    changed = import_services(session, copy.deepcopy(records), source="partners.json")

    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 1)
    assert directory_version(session) == version + 1
    entries = trail(session, start)
    services = [e for e in entries if e.entity_type == "service"]
    assert [(e.action, e.entity_id, e.actor) for e in services] == [
        ("service.update", records[0]["id"], "import"),
        ("service.update", records[1]["id"], "import"),
    ]
    assert sorted(services[0].changes) == ["phones", "url"]
    assert services[0].changes["url"] == {"old": None, "new": "https://example.org/epicerie"}
    assert sorted(services[1].changes) == ["closures"]
    assert [e.details for e in entries if e.action == "import"] == [
        {"source": "partners.json", "created": 0, "updated": 2, "unchanged": 1}
    ]


def test_a_french_text_changed_by_an_import_sends_the_translation_to_review(session) -> None:
    record = valid_record(1)
    import_services(session, [copy.deepcopy(record)], source="first.json")
    service_id = record["id"]
    assert session.get(Service, service_id).text_by_locale()["en"].status is TextStatus.DONE
    record["description"] = "Colis alimentaires le mardi. Sans rendez-vous."
    start = last_entry_id(session)

    import_services(session, [record], source="second.json")

    texts = session.get(Service, service_id).text_by_locale()
    assert texts["fr"].summary == "Colis alimentaires le mardi."
    assert (texts["fr"].status, texts["en"].status) == (TextStatus.DONE, TextStatus.NEEDS_REVIEW)
    assert texts["en"].summary == "Cheap food."  # the translation itself is left as it was
    (entry,) = trail(session, start)[:-1]  # then the import's own entry
    assert entry.changes["texts.en.status"] == {"old": "done", "new": "needs_review"}
    assert {"texts.fr.summary", "texts.fr.description"} <= set(entry.changes)
    # The reviewed translation comes back from the partner: the file's status is taken.
    record["x_guichet"]["translations"]["en"]["summary"] = "Food parcels on Tuesdays."
    import_services(session, [record], source="third.json")
    assert session.get(Service, service_id).text_by_locale()["en"].status is TextStatus.DONE


def test_a_refusal_half_way_through_the_writes_leaves_nothing(session) -> None:
    """The operations' own checks (here: a category this database does not have) refuse in
    the import's one line, and the services written before it are taken back."""
    session.execute(delete(Category).where(Category.slug == "clothing"))
    second = valid_record(2)
    second["attributes"][0]["taxonomy_term"]["code"] = "clothing"
    before, version, entries = row_counts(session), directory_version(session), audit_count(session)

    with pytest.raises(InterchangeError) as caught:
        import_services(session, [valid_record(1), second], source="partner.json")

    assert str(caught.value) == (
        f"partner.json: record 2 (id {second['id']}): categories: unknown categories clothing"
    )
    assert row_counts(session) == before
    assert (directory_version(session), audit_count(session)) == (version, entries)


def test_a_record_may_name_an_organization_a_later_record_describes(session) -> None:
    first, second = valid_record(1), valid_record(2)
    del first["organization"]
    first["organization_id"] = second["organization"]["id"]

    report = import_services(session, [first, second], source="forward.json")

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert session.get(Service, first["id"]).organization.name == "Association 2"
    (entry,) = history(session, "organization", second["organization"]["id"])
    assert (entry.action, entry.actor) == ("organization.create", "import")


# --- reading files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "count"),
    [
        ('[{"id": "a"}, {"id": "b"}]', 2),
        ('{"id": "a"}', 1),
        ('{"total_items": 1, "contents": [{"id": "a"}]}', 1),
        ("\ufeff[]", 0),
    ],
)
def test_read_accepts_list_single_service_and_page(tmp_path, content, count) -> None:
    path = tmp_path / "services.json"
    path.write_text(content, "utf-8")

    assert len(read_hsds_file(path)) == count


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ('[{"id": "a",}]', "not JSON: line 1 column 13: Expecting property name"),
        ("[\n  {}\n  {}\n]", "not JSON: line 3 column 3: Expecting ',' delimiter"),
        ("42", "expected a list of HSDS services, a service or a page with 'contents'"),
        ('{"contents": {"id": "a"}}', "'contents' is not a list but an object"),
        ('[{"id": "a"}, "b"]', "record 2 (no id): not an object but a string"),
    ],
)
def test_read_errors_name_the_file(tmp_path, content, problem) -> None:
    path = tmp_path / "services.json"
    if content is not None:
        path.write_text(content, "utf-8")

    with pytest.raises(InterchangeError) as caught:
        read_hsds_file(path)

    assert str(caught.value).startswith(f"{path}: {problem}")


# --- the command line ----------------------------------------------------------------------


def test_cli_imports_exports_and_refuses_bad_records(tmp_path) -> None:
    database = tmp_path / "guichet.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "x"}
    guichet = str(Path(sys.executable).with_name("guichet"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [guichet, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    def names() -> list[str]:
        with sqlite3.connect(database) as connection:
            rows = connection.execute(
                "SELECT name FROM service_texts WHERE locale = 'fr' ORDER BY name"
            )
            return [name for (name,) in rows]

    good, bad, out = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "out.json"
    good.write_text(json.dumps([valid_record(1), valid_record(2)]), "utf-8")
    first, second = valid_record(1), valid_record(2)
    first["name"] = "Renamed"
    second["schedules"][0]["opens_at"] = "25:99"
    bad.write_text(json.dumps([first, second]), "utf-8")

    assert run("db", "upgrade").returncode == 0
    imported = run("import", "hsds", str(good))
    again = run("import", "hsds", str(good))
    refused = run("import", "hsds", str(bad))
    names_after_refusal = names()
    partial = run("import", "hsds", "--partial", str(bad))
    exported = run("export", "hsds", str(out))

    assert (imported.returncode, imported.stdout) == (
        0,
        f"{good}: 2 created, 0 updated, 0 unchanged\n",
    )
    assert (again.returncode, again.stdout) == (0, f"{good}: 0 created, 0 updated, 2 unchanged\n")
    # A bad record refuses the whole file, in one line naming it: nothing is written.
    rejected = (
        f"rejected: {bad}: record 2 (id {uid(2, 'service')}): schedules[0].opens_at: "
        "not a time: '25:99'"
    )
    assert (refused.returncode, refused.stdout) == (1, "")
    assert [line for line in refused.stderr.splitlines() if not line.startswith("{")] == [
        rejected,
        f"Error: {bad}: 1 records rejected, nothing imported (--partial imports the others)",
    ]
    assert names_after_refusal == ["Épicerie 1", "Épicerie 2"]
    # With --partial the bad record is refused alone; the good one goes in.
    assert partial.returncode == 1
    assert partial.stdout == f"{bad}: 0 created, 1 updated, 0 unchanged, 1 rejected\n"
    assert [line for line in partial.stderr.splitlines() if not line.startswith("{")] == [
        rejected,
        f"Error: {bad}: 1 records rejected, the others imported",
    ]
    assert names() == ["Renamed", "Épicerie 2"]
    assert (exported.returncode, exported.stdout) == (0, f"{out}: 2 services exported\n")
    assert [r["id"] for r in json.loads(out.read_text("utf-8"))] == sorted(
        [uid(1, "service"), uid(2, "service")]
    )


# --- the demo city -------------------------------------------------------------------------


def test_demo_city_exports_valid_hsds_and_round_trips(demo_app, validator) -> None:
    session = db.session
    records = export_services(session)

    assert len(records) == len(read_hsds_file(DEMO_SERVICES))
    assert_valid_hsds(validator, records)
    report = import_services(session, copy.deepcopy(records), source=str(DEMO_SERVICES))
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(records))
    assert export_services(session) == records
