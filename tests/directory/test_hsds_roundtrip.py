"""Lossless HSDS: what a feed says that Guichet has no column for comes back out as it came.

Open Referral's own full examples are imported and exported again: the export is the input
but for the normalisations listed in :func:`normalised` (each with its reason), it validates
against the official schema, and importing it back writes nothing.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from gateway.audit import history
from gateway.directory.hsds import export_services, import_services, read_hsds_file
from gateway.directory.operations import ServiceData, update_service
from gateway.models import AuditEntry, Service

# Open Referral's schemas and examples, copied into tests/data/reference (source and licence there).
HSDS_REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "hsds" / "3.0"
EXAMPLES = HSDS_REFERENCE / "examples"
SCHEMA = HSDS_REFERENCE / "schema" / "compiled" / "service_with_definitions.json"
SERVICE_FULL_ID = "ac148810-d857-441c-9679-408f346de14b"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def service_full() -> dict[str, Any]:
    return read_hsds_file(EXAMPLES / "service_full.json")[0]


def organization_full() -> dict[str, Any]:
    """organization_full.json's service, with its organisation embedded as a feed sends it
    (an import reads services; the organisation's own list of them is not one of its fields)."""
    organization = json.loads((EXAMPLES / "organization_full.json").read_text("utf-8"))
    (service,) = organization.pop("services")
    return {**service, "organization": organization}


def location_alone() -> dict[str, Any]:
    """location.json, delivered by a service that says nothing else, in the shape Guichet
    writes (an import reads services, so a location comes in as one of a service's places)."""
    location = json.loads((EXAMPLES / "location.json").read_text("utf-8"))
    return {
        "id": "5a6b1c2d-0000-4000-8000-000000000001",
        "name": "Permanence",
        "description": "",
        "status": "active",
        "organization": {
            "id": "5a6b1c2d-0000-4000-8000-000000000002",
            "name": "Mairie",
            "description": "",
        },
        "service_at_locations": [
            {"id": "5a6b1c2d-0000-4000-8000-000000000003", "location": location}
        ],
        **{key: [] for key in ("phones", "schedules", "languages", "attributes")},
    }


def normalised(record: dict[str, Any], exported: dict[str, Any]) -> dict[str, Any]:
    """``record`` as Guichet gives it back: the documented normalisations, each with why."""
    expected = copy.deepcopy(record)
    # Guichet's own: the time of its last change, its extension (texts per locale, access,
    # closures, exact verification time) and the organisation's id beside the organisation.
    expected["last_modified"] = exported["last_modified"]
    expected["x_guichet"] = exported["x_guichet"]
    expected["organization_id"] = record["organization"]["id"]
    # Weekly hours are one day per schedule ("TH,FR" is two): the first day keeps the id and
    # what the feed said besides; the others are Guichet's rows, with ids derived from it.
    # Times are written HH:MM (whole minutes: what Guichet keeps).
    schedules = []
    for schedule in expected.get("schedules", []):
        first, *others = schedule["byday"].split(",")
        times = {key: schedule[key].removesuffix(":00") for key in ("opens_at", "closes_at")}
        schedules.append({**schedule, "byday": first, **times})
        schedules += [
            {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{schedule['id']}:{day}")),
             "freq": "WEEKLY", "wkst": "MO", "byday": day, **times}
            for day in others
        ]  # fmt: skip
    if schedules:
        expected["schedules"] = schedules
    for link in expected.get("service_at_locations", []):
        location = link["location"]
        # One street line: address_2 is joined to address_1 (Guichet has one address field).
        for address in location.get("addresses", [])[:1]:
            if address.get("address_2"):
                address["address_1"] = f"{address['address_1']}, {address.pop('address_2')}"
        # Coordinates off the globe (latitude 100) are refused with a warning, and half a
        # position places nothing: both go.
        if not -90 <= location.get("latitude", 0) <= 90:
            del location["latitude"], location["longitude"]
    return expected


def assert_valid(validator: Draft202012Validator, records: list[dict[str, Any]]) -> None:
    problems = [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for record in records
        for error in validator.iter_errors(record)
    ]
    assert problems == []


@pytest.mark.parametrize("example", [service_full, organization_full, location_alone])
def test_open_referral_examples_come_back_as_they_went_in(session, validator, example) -> None:
    record = example()

    import_services(session, [copy.deepcopy(record)], source="example.json")
    (exported,) = export_services(session)

    assert exported == normalised(record, exported)
    assert_valid(validator, [exported])


@pytest.mark.parametrize("example", [service_full, organization_full, location_alone])
def test_an_export_imported_back_writes_nothing(session, example) -> None:
    import_services(session, [example()], source="example.json")
    exported = export_services(session)
    entries = session.scalar(select(func.count()).select_from(AuditEntry))

    report = import_services(session, copy.deepcopy(exported), source="export.json")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    assert export_services(session) == exported


def test_a_changed_extra_field_is_an_update_in_the_history(session) -> None:
    record = service_full()
    import_services(session, [copy.deepcopy(record)], source="feed.json")
    record["fees_description"] = "Free for everyone since 2024"
    record["x_data_inclusion"] = {"thematiques": ["sante--sante-mentale"]}

    report = import_services(session, [copy.deepcopy(record)], source="feed.json")
    (exported,) = export_services(session)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    changes = history(session, "service", SERVICE_FULL_ID)[0].changes
    assert changes["hsds_extra"]["new"]["fees_description"] == "Free for everyone since 2024"
    assert exported["fees_description"] == "Free for everyone since 2024"
    assert exported["x_data_inclusion"] == {"thematiques": ["sante--sante-mentale"]}


def test_an_edit_in_the_back_office_keeps_what_the_feed_said(session) -> None:
    import_services(session, [service_full()], source="feed.json")
    service = session.get(Service, SERVICE_FULL_ID)
    data = ServiceData.of(service)
    data.url = "https://example.org/counselling"
    data.phones = []  # the city removes the phone: what the feed said of it goes with it

    update_service(session, "admin", service, data)
    (exported,) = export_services(session)

    assert exported["url"] == "https://example.org/counselling"
    assert exported["fees"] == "fees_description"
    assert exported["service_areas"] == service_full()["service_areas"]
    assert exported["phones"] == []


def test_rows_a_feed_gives_no_id_keep_what_it_said_of_them(session, validator) -> None:
    """Feeds often leave out the ids of phones, hours and places: what they say of those
    rows beyond Guichet's fields still finds them on export."""
    language = {"id": "5a6b1c2d-0000-4000-8000-000000000013", "code": "fr"}
    postal = {"id": "5a6b1c2d-0000-4000-8000-000000000012", "address_1": "BP 12",
              "city": "Orléans", "state_province": "", "postal_code": "45000", "country": "FR",
              "address_type": "postal"}  # fmt: skip
    record = {
        "id": "5a6b1c2d-0000-4000-8000-000000000010",
        "name": "Accueil de jour",
        "description": "",
        "status": "active",
        "organization": {"id": "5a6b1c2d-0000-4000-8000-000000000011", "name": "Association"},
        "phones": [{"number": "01 23 45 67 89", "extension": 12, "languages": [language]}],
        "schedules": [
            {"freq": "WEEKLY", "byday": "MO", "opens_at": "09:00", "closes_at": "12:00",
             "notes": "Fermé en août"}
        ],
        "service_at_locations": [
            {"description": "Au rez-de-chaussée",
             "location": {"name": "Local", "transportation": "Bus 3",
                          "addresses": [{"address_1": "1 rue Neuve", "city": "Orléans",
                                         "attention": "Accueil"},
                                        postal]}}
        ],
    }  # fmt: skip

    import_services(session, [copy.deepcopy(record)], source="feed.json")
    (exported,) = export_services(session)

    phone, schedule = exported["phones"][0], exported["schedules"][0]
    assert (phone["extension"], phone["languages"]) == (12, [language])
    assert schedule["notes"] == "Fermé en août"
    link = exported["service_at_locations"][0]
    assert link["description"] == "Au rez-de-chaussée"
    assert link["location"]["transportation"] == "Bus 3"
    read, other = link["location"]["addresses"]
    assert (read["address_1"], read["attention"]) == ("1 rue Neuve", "Accueil")
    assert other == postal  # the address Guichet does not read, whole
    assert_valid(validator, [exported])
    again = import_services(session, copy.deepcopy([exported]), source="export.json")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
