"""Two tiers of language.

Interface strings go through Babel catalogs in ``gateway/translations/``. A built wheel carries
them compiled (``setup.py``); a checkout compiles its ``.po`` files when the app starts (no
``.mo`` is committed). Directory content is per-locale data, resolved by :func:`pick_text` with
a fallback to French that the caller can see and say.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import Babel, pgettext

from gateway.config import ORIGINAL_LOCALE, RTL_LOCALES, TRANSLATIONS_DIR, ConfigError, settings

LOCALE_COOKIE = "lang"

# Each language's own name, as residents pick it.
LANGUAGE_NAMES = {
    "fr": "Français",
    "en": "English",
    "ar": "العربية",
    "es": "Español",
    "pt": "Português",
    "uk": "Українська",
}


def joined(items: Iterable[str]) -> str:
    """Labels or keys listed without a conjunction: "1-3, SUITE, MENU" in French, with the
    Arabic comma in Arabic. (CLDR's list patterns join with "and", which a list of keys to
    press or of access conditions is not; the separator is translated instead.)"""
    return pgettext("list separator", ", ").join(items)


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LOCALES else "ltr"


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every ``messages.po`` whose ``.mo`` is missing or older; return those written.

    Each file is written to a temporary name and renamed, so workers starting together never
    read half a catalog. Where the directory is read-only (an installed image), a compiled
    catalog already there is used as it is: the wheel's build compiled it from that ``.po``
    (an unpacked wheel's file times say nothing of which came first).
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        try:
            fd, tmp_name = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        except OSError as exc:
            if mo_path.exists():
                continue
            raise ConfigError(
                f"{po_path} is not compiled and its folder is read-only ({exc.strerror}): "
                "install Guichet from its wheel, which carries compiled catalogs"
            ) from exc
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(tmp_name, mo_path)
        written.append(mo_path)
    return written


def select_locale() -> str:
    """The interface locale: explicit choice → remembered choice → browser → default.

    Channels that know the resident's language (a contact's saved choice, a voice menu key)
    set ``g.locale`` before rendering.
    """
    locales: tuple[str, ...] = settings().locales
    chosen = g.get("locale")
    if chosen in locales:
        return str(chosen)
    if has_request_context():
        for candidate in (request.args.get("lang"), request.cookies.get(LOCALE_COOKIE)):
            if candidate in locales:
                return str(candidate)
        best = request.accept_languages.best_match(locales)
        if best:
            return best
    return settings().default_locale


def remember_choice(response: Response) -> Response:
    """Keep the language chosen with ``?lang=`` in a cookie for a year, for the pages after
    (the lite site's and the back office's ``after_request``: one cookie for both)."""
    chosen = request.args.get("lang", "")
    if chosen in settings().locales and request.cookies.get(LOCALE_COOKIE) != chosen:
        response.set_cookie(
            LOCALE_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
    return response


def init_app(app: Flask) -> None:
    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_locale)


@dataclass(frozen=True)
class Localized:
    """A content text and the locale it is in; ``fallback`` when not the one asked for."""

    text: str
    locale: str
    fallback: bool


def pick_text(texts: Mapping[str, str], locale: str, chain_end: str = ORIGINAL_LOCALE) -> Localized:
    """The best text for ``locale`` among per-locale ``texts``, falling back to French."""
    for candidate in (locale, chain_end):
        value = texts.get(candidate)
        if value:
            return Localized(value, candidate, candidate != locale)
    for candidate, value in sorted(texts.items()):
        if value:
            return Localized(value, candidate, candidate != locale)
    return Localized("", locale, False)


def pick_field(rows: Mapping[str, object], field: str, locale: str) -> Localized:
    """:func:`pick_text` over per-locale rows (e.g. ``ServiceText``) for one of their fields."""
    return pick_text({code: getattr(row, field) or "" for code, row in rows.items()}, locale)
