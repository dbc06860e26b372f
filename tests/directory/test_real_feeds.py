"""What real feeds need to get in: long ids, their own language and country, services
without an organisation, phones without a number, and a file checked whole before it is
written (or, with ``--partial``, every valid record in and every problem listed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db import db
from gateway.directory.hsds import InterchangeError, export_services, import_services
from gateway.i18n import pick_field
from gateway.models import Location, Organization, Phone, Service
from tests.directory.test_hsds import row_counts, uid, valid_record, wipe_directory

# As long as a feed's ids may be: data·inclusion's are a source and that source's own id.
LONG_ID = "mednum-" + "x" * 248


def exported(session: Session, service_id: str) -> dict[str, Any]:
    return next(r for r in export_services(session) if r["id"] == service_id)


def test_ids_of_255_characters_go_in_and_come_back(session) -> None:
    record = valid_record(1)
    record["id"] = LONG_ID
    record["organization"]["id"] = "org-" + "o" * 251
    record["phones"][0]["id"] = "phone-" + "p" * 249
    record["service_at_locations"][0]["location"]["id"] = "place-" + "l" * 249

    import_services(session, [record], source="feed.json")

    out = exported(session, LONG_ID)
    assert out["organization"]["id"] == "org-" + "o" * 251
    assert out["phones"][0]["id"] == record["phones"][0]["id"]
    assert out["service_at_locations"][0]["location"]["id"] == "place-" + "l" * 249


def test_an_id_longer_than_255_characters_is_refused_by_name(session) -> None:
    record = valid_record(1)
    record["id"] = LONG_ID + "y"

    with pytest.raises(InterchangeError) as caught, session.begin_nested():
        import_services(session, [record], source="feed.json")

    assert str(caught.value).endswith(": id: longer than 255 characters (256)")


def test_a_feed_in_english_is_stored_as_english(session) -> None:
    record = valid_record(1)
    record |= {"name": "Food bank", "description": "Free groceries. Every Monday."}
    del record["x_guichet"]  # a foreign feed: HSDS fields alone

    import_services(session, [record], source="miami.json", locale="en")

    service = session.get(Service, record["id"])
    texts = service.text_by_locale()
    assert texts["en"].description == "Free groceries. Every Monday."
    assert texts["en"].summary == "Free groceries."
    # An English reader gets it all in English, without the "only available in" note…
    assert not pick_field(texts, "description", "en").fallback
    # …and the French original holds the name alone, so French readers are told.
    assert (texts["fr"].name, texts["fr"].description) == ("Food bank", "")
    assert pick_field(texts, "description", "fr").locale == "en"
    out = exported(session, record["id"])
    assert (out["name"], out["description"]) == ("Food bank", "Free groceries. Every Monday.")


def test_the_country_of_a_place_is_the_feeds(session) -> None:
    abroad, home, unsaid = valid_record(1), valid_record(2), valid_record(3)
    abroad["service_at_locations"][0]["location"]["addresses"][0]["country"] = "us"
    del unsaid["service_at_locations"][0]["location"]["addresses"][0]["country"]

    import_services(session, [abroad, home, unsaid], source="feed.json")

    def country(record: dict[str, Any]) -> str:
        place = exported(session, record["id"])["service_at_locations"][0]["location"]
        return str(place["addresses"][0]["country"])

    assert [country(r) for r in (abroad, home, unsaid)] == ["US", "FR", "FR"]
    # The city's own country is the default, not a value stored on each place.
    assert session.get(Location, uid(2, "location")).country is None


def test_a_country_that_is_not_a_code_is_refused(session) -> None:
    record = valid_record(1)
    record["service_at_locations"][0]["location"]["addresses"][0]["country"] = "France"

    with pytest.raises(InterchangeError) as caught, session.begin_nested():
        import_services(session, [record], source="feed.json")

    assert "addresses[0].country: not an ISO 3166-1 alpha-2 country code: 'France'" in str(
        caught.value
    )


def test_services_without_an_organisation_go_under_the_feeds_placeholder(session) -> None:
    wipe_directory(session)
    first, second = valid_record(1), valid_record(2)
    for record in (first, second):
        del record["organization"]

    report = import_services(session, [first, second], source="data/miami.json")

    assert report.created == 2
    services = [session.get(Service, r["id"]) for r in (first, second)]
    assert services[0].organization_id == services[1].organization_id
    placeholder = services[0].organization
    assert "miami.json" in placeholder.name
    # The city may name it better: a re-import keeps that name, and changes nothing.
    placeholder.name = "Partenaires de Miami"
    session.flush()
    again = import_services(session, [first, second], source="data/miami.json")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert session.get(Organization, placeholder.id).name == "Partenaires de Miami"


def test_a_phone_without_a_number_is_left_out_with_a_warning(session) -> None:
    record = valid_record(1)
    record["phones"].append({"id": uid(1, "empty phone"), "number": " ", "type": "voice"})

    report = import_services(session, [record], source="feed.json")

    assert report.created == 1
    assert [p.id for p in session.scalars(select(Phone).where(Phone.service_id == record["id"]))]
    assert session.get(Phone, uid(1, "empty phone")) is None
    assert report.warnings == [
        f"feed.json: record 1 (id {record['id']}): phones[1].number: empty, phone left out"
    ]


def write(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    return path


def bad_file(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    good, bad_time, unknown_org = valid_record(1), valid_record(2), valid_record(3)
    bad_time["schedules"][0]["opens_at"] = "25:99"
    del unknown_org["organization"]
    unknown_org["organization_id"] = "nobody"
    records = [good, bad_time, unknown_org]
    return write(tmp_path / "partners.json", records), records


@pytest.mark.backends("postgresql")
def test_a_file_with_bad_records_is_refused_whole_every_problem_listed(app, tmp_path) -> None:
    path, records = bad_file(tmp_path)
    before = row_counts(db.session)

    result = app.test_cli_runner().invoke(args=["import", "hsds", str(path)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        f"rejected: {path}: record 2 (id {records[1]['id']}): schedules[0].opens_at: " in (lines[0])
    )
    assert lines[1] == (
        f"rejected: {path}: record 3 (id {records[2]['id']}): organization_id: "
        "unknown organization 'nobody'"
    )
    assert "2 records rejected, nothing imported" in lines[-1]
    db.session.rollback()
    assert row_counts(db.session) == before


@pytest.mark.backends("postgresql")
def test_partial_imports_every_valid_record_and_lists_the_others(app, tmp_path) -> None:
    path, records = bad_file(tmp_path)

    result = app.test_cli_runner().invoke(args=["import", "hsds", "--partial", str(path)])

    assert result.exit_code == 1
    assert f"{path}: 1 created, 0 updated, 0 unchanged, 2 rejected" in result.output
    assert sum(line.startswith("rejected: ") for line in result.output.splitlines()) == 2
    db.session.rollback()
    assert db.session.get(Service, records[0]["id"]) is not None
    assert db.session.get(Service, records[1]["id"]) is None


@pytest.mark.backends("postgresql")
def test_the_command_takes_the_feeds_language(app, tmp_path) -> None:
    record = valid_record(1) | {"name": "Food bank", "description": "Free groceries."}
    del record["x_guichet"]
    path = write(tmp_path / "miami.json", [record])

    result = app.test_cli_runner().invoke(args=["import", "hsds", "--locale", "en", str(path)])

    assert result.exit_code == 0, result.output
    db.session.rollback()
    texts = db.session.get(Service, record["id"]).text_by_locale()
    assert texts["en"].description == "Free groceries."


def airs(code: str, taxonomy: str = "AIRS") -> dict[str, Any]:
    return {
        "id": uid("airs", code),
        "taxonomy_term": {
            "id": uid("term", code),
            "code": code,
            "name": code,
            "taxonomy": taxonomy,
        },
    }


def test_a_211_feeds_airs_codes_give_its_services_categories(session) -> None:
    record = valid_record(1)
    record["attributes"] = [
        airs("BD-1800.2000"),  # food pantries
        airs("BM-6500.1500", "211 LA County"),  # clothing, by its longest prefix
        airs("BM-3000"),  # household goods: no line covers it
        airs("RP-1500.1400-800"),  # a crisis line: two categories
        airs("BD-5000", "Some Other Taxonomy"),  # no table names this one
    ]

    import_services(session, [record], source="miami.json", locale="en")

    slugs = [c.slug for c in session.get(Service, record["id"]).categories]
    assert sorted(slugs) == sorted(["food", "clothing", "listening", "emergency"])


def test_a_broken_taxonomy_table_names_its_file_and_line(tmp_path) -> None:
    from gateway.directory.categories import TaxonomyTableError, read_taxonomy_table

    table = tmp_path / "mine.txt"
    table.write_text("taxonomy: Mine\nA1: food\nA2: bakery\n", "utf-8")

    with pytest.raises(TaxonomyTableError) as caught:
        read_taxonomy_table(table)

    assert str(caught.value) == f"{table}:3: unknown category 'bakery'"
