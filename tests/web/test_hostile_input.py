"""The lite site answers hostile addresses and forms with a 404 or a 400 page, never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.db import db
from gateway.models import Feedback
from tests.conftest import translated
from tests.web.pages import body_of
from tests.web.test_pages import CCAS, _token

pytestmark = pytest.mark.backends("postgresql")


@pytest.mark.parametrize(
    "path",
    [
        "/service/%00",
        f"/service/{CCAS}%00",
        "/service/" + "a" * 65,
        "/service/%00/thanks",
        "/print/category/%00",
    ],
)
def test_an_impossible_service_address_is_a_404_page(web: FlaskClient, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 404
    assert translated("There is no page at this address.") in body_of(response)


def test_a_report_to_an_impossible_service_is_a_404_page(web: FlaskClient) -> None:
    token = _token(web, CCAS)
    response = web.post("/service/%00/report", data={"csrf_token": token, "text": "Fermé"})
    assert response.status_code == 404


@pytest.mark.parametrize("text", ["Fermé\x00 ce matin", "\x00", "Fermé\x1b[2J"])
def test_a_report_with_control_characters_is_refused_with_the_form(
    web: FlaskClient, text: str
) -> None:
    token = _token(web, CCAS)
    response = web.post(f"/service/{CCAS}/report", data={"csrf_token": token, "text": text})
    assert response.status_code == 400
    page = body_of(response)
    assert translated("Remove the invisible characters from the text before sending.") in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalars(select(Feedback).where(Feedback.service_id == CCAS)).all() == []


def test_a_report_on_several_lines_is_kept(web: FlaskClient) -> None:
    token = _token(web, CCAS)
    text = "Fermé ce matin.\r\n\tPorte close."
    response = web.post(f"/service/{CCAS}/report", data={"csrf_token": token, "text": text})
    assert response.status_code == 303
    [kept] = db.session.scalars(select(Feedback).where(Feedback.service_id == CCAS)).all()
    assert kept.text == "Fermé ce matin. Porte close."


def test_a_report_larger_than_any_form_is_a_413_page(web: FlaskClient) -> None:
    token = _token(web, CCAS)
    text = "x" * (1024 * 1024)
    response = web.post(f"/service/{CCAS}/report", data={"csrf_token": token, "text": text})
    assert response.status_code == 413
    assert translated("This is more than this site accepts. Make it shorter and try again.") in (
        body_of(response)
    )
    assert db.session.scalars(select(Feedback).where(Feedback.service_id == CCAS)).all() == []


def test_a_form_of_too_many_fields_is_a_413_page(web: FlaskClient) -> None:
    token = _token(web, CCAS)
    fields = "&".join(f"f{n}=1" for n in range(2000))
    response = web.post(
        f"/service/{CCAS}/report",
        data=f"csrf_token={token}&text=Ferm%C3%A9&{fields}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert db.session.scalars(select(Feedback).where(Feedback.service_id == CCAS)).all() == []
