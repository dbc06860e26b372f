"""Every back-office page is valid HTML for the W3C's Nu checker, in French and in Arabic."""

from __future__ import annotations

import pytest

from gateway.db import db
from gateway.directory import operations
from gateway.models import Feedback
from tests.web.pages import nu_errors, validate

pytestmark = pytest.mark.backends("postgresql")


def test_every_back_office_page_is_valid_html(admin, make_service, make_user, client, app) -> None:
    service = make_service("Repas", hours=[(0, "09:00", "12:00")], texts={"en": {"name": "Meal"}})
    operations.verify_service(db.session, "test", service)
    db.session.add(Feedback(service_id=service.id, channel="sms", locale="fr", text="Fermé"))
    user = make_user("editor@example.org")
    db.session.commit()
    paths = [
        "/admin/",
        "/admin/translations",
        "/admin/services",
        "/admin/services/new",
        f"/admin/services/{service.id}",
        f"/admin/services/{service.id}/history",
        "/admin/changes",
        "/admin/organizations",
        "/admin/organizations/new",
        f"/admin/organizations/{service.organization_id}",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{user.id}",
        "/admin/password",
    ]
    pages = {}
    for language in ("fr", "ar"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        for path in paths:
            html = admin.text(path)
            assert validate(html) == [], f"{language} {path}"
            pages[f"{language} {path}"] = html
    signed_out = app.test_client().get("/admin/login")
    assert signed_out.status_code == 200
    pages["login"] = signed_out.get_data(as_text=True)
    assert nu_errors(pages) == []
