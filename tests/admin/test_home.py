"""What needs me, the lists, the trail pages, and the back office's languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import refresh

from gateway import clock
from gateway.db import db
from gateway.directory import operations
from gateway.models import Closure, ClosureReason, Feedback, FeedbackStatus

pytestmark = pytest.mark.backends("postgresql")

TZ = "Europe/Paris"


def section(html: str, title: str) -> str:
    start = html.index(title)
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_services_not_verified_for_six_months(admin, make_service) -> None:
    make_service("Jamais vérifié")
    make_service("Vérifié il y a un an", verified_at=clock.now() - timedelta(days=365))
    make_service("Vérifié hier", verified_at=clock.now() - timedelta(days=1))
    stale = section(admin.text("/admin/"), "Not verified for six months")
    assert "Jamais vérifié" in stale
    assert "Vérifié il y a un an" in stale
    assert "Vérifié hier" not in stale
    assert stale.index("Jamais vérifié") < stale.index("Vérifié il y a un an")


def test_verified_from_the_home_page_goes_back_home(admin, make_service) -> None:
    service = make_service("Jamais vérifié")
    html = admin.text("/admin/")
    assert f"/admin/services/{service.id}/quick/verified" in html
    response = admin.post(f"/admin/services/{service.id}/quick/verified", {"next": "/admin/"})
    assert response.location == "/admin/"
    assert "Jamais vérifié" not in section(admin.text("/admin/"), "Not verified for six months")


def test_closures_ending_soon(admin, make_service) -> None:
    today = datetime.now(ZoneInfo(TZ)).date()
    soon = make_service("Fermé jusqu'à vendredi")
    soon.closures = [Closure(starts_on=today - timedelta(3), ends_on=today + timedelta(4),
                             reason=ClosureReason.WORKS)]  # fmt: skip
    later = make_service("Fermé pour l'été")
    later.closures = [Closure(starts_on=today, ends_on=today + timedelta(60))]
    past = make_service("Fermé le mois dernier")
    past.closures = [Closure(starts_on=today - timedelta(40), ends_on=today - timedelta(30))]
    db.session.flush()
    closures = section(admin.text("/admin/"), "Closures ending soon")
    assert "Fermé jusqu&#39;à vendredi" in closures
    assert "Works" in closures
    assert "Fermé pour l" not in closures
    assert "Fermé le mois dernier" not in closures


def test_residents_reports_are_reviewed_or_dismissed(admin, make_service) -> None:
    service = make_service("Repas")
    first = Feedback(service_id=service.id, channel="sms", locale="fr", text="Fermé ce matin")
    second = Feedback(service_id=service.id, channel="web", locale="en", text="Wrong phone")
    done = Feedback(service_id=service.id, channel="sms", locale="fr", text="Déjà lu",
                    status=FeedbackStatus.REVIEWED)  # fmt: skip
    db.session.add_all([first, second, done])
    db.session.flush()
    reports = section(admin.text("/admin/"), "Residents")
    assert "Fermé ce matin" in reports and "Wrong phone" in reports
    assert "Déjà lu" not in reports
    assert "by text message" in reports and "on the website" in reports  # not "sms", "web"

    response = admin.post(f"/admin/feedback/{first.id}", {"status": "reviewed", "next": "/admin/"})
    assert response.status_code == 303
    admin.post(f"/admin/feedback/{second.id}", {"status": "dismissed"})
    assert (first.status, second.status) == (FeedbackStatus.REVIEWED, FeedbackStatus.DISMISSED)
    assert first.reviewed_at is not None
    assert "No report is waiting." in admin.text("/admin/")
    assert admin.post(f"/admin/feedback/{first.id}", {"status": "new"}).status_code == 400
    history = admin.text(f"/admin/services/{service.id}/history")
    assert "Resident&#39;s report closed" in history


def test_editors_only_see_reports_on_their_services(editor_setup) -> None:
    browser, own, other = editor_setup
    db.session.add(Feedback(service_id=other.id, channel="sms", locale="fr", text="Ailleurs"))
    db.session.add(Feedback(service_id=own.id, channel="sms", locale="fr", text="Chez moi"))
    db.session.flush()
    reports = section(browser.text("/admin/"), "Residents")
    assert "Chez moi" in reports
    assert "Ailleurs" not in reports
    foreign = db.session.query(Feedback).filter_by(text="Ailleurs").one()
    assert browser.post(f"/admin/feedback/{foreign.id}", {"status": "dismissed"}).status_code == 403


def test_untranslated_texts(admin, make_service) -> None:
    make_service("Tout traduit", texts={
        code: {"name": "x", "summary": "y"} for code in ("en", "ar", "es", "pt", "uk")
    })  # fmt: skip
    partial = make_service("Repas", texts={"en": {"name": "Meal", "summary": "Hot."}})
    stale = make_service("Douches", texts={"en": {"name": "Showers", "summary": "Free."}})
    data = operations.ServiceData.of(stale)
    data.texts["fr"].summary = "Gratuit."  # the English summary now needs review
    operations.update_service(db.session, "test", stale, data)
    home = section(admin.text("/admin/"), "Texts to translate or check")
    assert "Repas" in home and "Douches" in home and "Tout traduit" not in home

    english = admin.text("/admin/translations?locale=en")
    assert "Douches" in english  # needs review
    assert "Repas" not in english  # English is complete
    table = english[english.index("<tbody>") :]
    assert "Needs review" in english and "English" in table
    arabic = admin.text("/admin/translations?locale=ar")
    assert "Repas" in arabic and "Douches" in arabic
    assert f"/admin/services/{partial.id}?translate=ar#locale-ar" in arabic


def test_list_by_organisation_and_category_with_search(admin, make_service, make_organization):
    secours = make_organization("Secours")
    make_service("Repas chaud", organization=secours, categories=("food",))
    make_service("Vestiaire", organization=secours, categories=("clothing",))
    make_service("Médecin de rue", categories=("health",))
    page = admin.text("/admin/services")
    assert page.index("Secours") < page.index("Repas chaud") < page.index("Vestiaire")
    assert "3 services" in page
    by_org = admin.text(f"/admin/services?organization={secours.id}")
    assert "Repas chaud" in by_org and "Vestiaire" in by_org and "Médecin" not in by_org
    by_category = admin.text("/admin/services?category=clothing")
    assert "Vestiaire" in by_category and "Repas chaud" not in by_category
    searched = admin.text("/admin/services?q=chaud")
    assert "Repas chaud" in searched and "Vestiaire" not in searched
    assert "Vestiaire" in admin.text("/admin/services?q=SECOURS")
    assert "No service matches" in admin.text("/admin/services?q=100%25")


def test_recent_changes_everywhere(admin, make_service, app) -> None:
    service = make_service("Repas")
    admin.post(f"/admin/services/{service.id}/quick/verified")
    operations.record_import(db.session, "import", "partners.json", created=3, updated=7)
    page = admin.text("/admin/changes")
    assert "Marked as verified today" in page
    assert f'href="/admin/services/{service.id}/history">Repas</a>' in page
    assert "partners.json: 3 created, 7 updated" in page
    assert page.index("<strong>Import") < page.index("<strong>Marked as verified")  # newest first


def test_the_interface_speaks_french_by_default_and_english_on_request(app) -> None:
    client = app.test_client()  # a browser that states no language
    # One app context serves the whole test, so Babel's cached locale is refreshed by hand.
    french = client.get("/admin/login").get_data(as_text=True)
    assert '<html lang="fr"' in french
    assert "Se connecter" in french
    refresh()
    response = client.get("/admin/login?lang=en")
    assert '<html lang="en"' in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    refresh()
    assert '<html lang="en"' in client.get("/admin/login").get_data(as_text=True)  # remembered
    refresh()
    assert '<html lang="ar" dir="rtl"' in client.get(
        "/admin/login", headers={"Accept-Language": "ar"}, query_string={"lang": "ar"}
    ).get_data(as_text=True)


def test_every_admin_page_has_one_h1_and_a_skip_link(admin, make_service) -> None:
    service = make_service("Repas")
    pages = ["/admin/", "/admin/services", "/admin/changes", "/admin/translations",
             "/admin/organizations", "/admin/users", "/admin/services/new", "/admin/users/new",
             "/admin/organizations/new", f"/admin/services/{service.id}",
             f"/admin/services/{service.id}/history"]  # fmt: skip
    for path in pages:
        html = admin.text(path)
        assert html.count("<h1") == 1, path
        assert 'href="#main"' in html, path
        assert 'id="main"' in html, path


def test_an_editor_of_no_organisation_is_told_so_not_that_all_is_verified(
    client, make_user, make_service
) -> None:
    from tests.admin.conftest import AdminClient

    make_service("Jamais vérifié")
    user = make_user("alone@example.org")
    browser = AdminClient(client)
    assert browser.login(user.email).status_code == 303
    html = browser.text("/admin/")
    assert "attached to no organisation" in html
    assert "Ask an administrator to add your organisation" in html
    assert "Every service was verified" not in html
    assert "No report is waiting." not in html
