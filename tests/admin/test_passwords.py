"""The password policy (NIST SP 800-63B): long enough, anything goes, nothing guessable, and
the reason told in the person's language, wherever a password is set."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.admin import accounts
from gateway.db import db
from tests.admin.conftest import PASSWORD, AdminClient
from tests.conftest import translated

pytestmark = pytest.mark.backends("postgresql")

COMMON = "This password is on the lists of the most used passwords, which attackers try first."
PERSONAL = (
    "This password contains the email address or name of the account, or the name of this "
    "service or city: someone who knows them would try it."
)
REPEAT = "Repeated letters or words, like aaaa or abcabc, are easy to guess."
SEQUENCE = "Sequences like abcd or 1234 are easy to guess."
KEYBOARD = "Rows of keyboard keys, like qwerty or azerty, are easy to guess."
SHORT = "A password needs at least %(count)s characters."
LONG = "Keep the password to %(count)s characters or fewer."

REFUSED = [
    ("aaaaaaaaaaaa", REPEAT),
    ("abcabcabcabc", REPEAT),
    ("password1234", COMMON),
    ("123456789012", COMMON),
    ("abcdefghijklmn", SEQUENCE),
    ("qwertyuiopas", COMMON),
    ("azertyuiopqs", COMMON),
    ("asdfghjkl;lk", KEYBOARD),
    ("i love you 123", COMMON),
    ("marie.curie@example.org", PERSONAL),
    ("mariecurie2024", PERSONAL),
    ("Marie Curie 1867", PERSONAL),
    ("guichet val-de-lisle", PERSONAL),
    ("short pass", SHORT % {"count": 12}),
    ("x" * 20 + " des mots " * 30, LONG % {"count": 256}),
]
ACCEPTED = [
    PASSWORD,
    "mon chat mange des croquettes",
    "Пароль для входа в систему",
    "كلمة السر الخاصة بي",
    "🦊 renard 🌙 lune 🍄 champignon",
    "marie curie aime les chats roux",
    "une phrase assez longue pour dépasser les soixante-quatre caractères, facilement",
]


def create(admin: AdminClient, password: str, email: str = "marie.curie@example.org"):  # type: ignore[no-untyped-def]
    return admin.post(
        "/admin/users/new", {"email": email, "role": "editor", "active": "on", "password": password}
    )


@pytest.mark.parametrize(("password", "reason"), REFUSED)
def test_guessable_passwords_are_refused_with_the_reason(admin, password, reason) -> None:
    response = create(admin, password)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in page
    assert "Try a few unrelated words" in page or reason.startswith("Keep")
    assert accounts.find_user(db.session, "marie.curie@example.org") is None


@pytest.mark.parametrize("password", ACCEPTED)
def test_passphrases_in_any_script_are_accepted(admin, password) -> None:
    assert create(admin, password).status_code == 303
    assert (
        AdminClient(admin.client.application.test_client())
        .login("marie.curie@example.org", password)
        .status_code
        == 303
    )


def test_the_reason_is_told_in_the_person_s_language(admin, client) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = create(admin, "password1234").get_data(as_text=True)
    assert translated(COMMON, "fr") in page
    assert translated(COMMON, "fr") != COMMON


def test_a_reset_by_an_administrator_meets_the_policy(admin, make_user) -> None:
    worker = make_user("worker@example.org")
    fields = {"email": worker.email, "role": "editor", "active": "on", "password": worker.email}
    response = admin.post(f"/admin/users/{worker.id}", fields)
    assert response.status_code == 422
    assert PERSONAL in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "reason"), [("aaaaaaaaaaaa", REPEAT), ("password1234", COMMON)]
)
def test_the_command_line_refuses_them_too(app, password, reason) -> None:
    result = app.test_cli_runner().invoke(
        args=["user", "create", "--email", "a@example.org", "--password", password]
    )
    assert result.exit_code == 1
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert accounts.find_user(db.session, "a@example.org") is None


def test_a_password_typed_with_decomposed_accents_still_signs_in(admin, client) -> None:
    composed = unicodedata.normalize("NFC", "café crème et pain d'épices")
    assert create(admin, composed).status_code == 303
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    browser = AdminClient(admin.client.application.test_client())
    assert browser.login("marie.curie@example.org", decomposed).status_code == 303
