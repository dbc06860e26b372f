"""Every interface string exists in every locale; content falls back to French, visibly."""

import errno
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from gateway.config import SUPPORTED_LOCALES, ConfigError
from gateway.directory.categories import CATEGORY_NAMES, category_name
from gateway.i18n import TRANSLATIONS_DIR, compile_catalogs, pick_text, text_direction
from gateway.models import CATEGORY_SLUGS

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def extracted_msgids(tmp_path_factory) -> set[str]:
    """The strings the code and templates use now, extracted as ``make translations`` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [BIN / "pybabel", "extract", "-F", TRANSLATIONS_DIR / "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", pot, "."],
        cwd=TRANSLATIONS_DIR.parents[1], check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_is_complete_and_current(locale: str, extracted_msgids: set[str]) -> None:
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    messages = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing_from_catalog = sorted(extracted_msgids - set(messages))
    assert not missing_from_catalog, (
        f"run `make translations`, then translate: {missing_from_catalog}"
    )
    untranslated = sorted(
        mid for mid, m in messages.items()
        if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    )  # fmt: skip
    assert not untranslated, f"{locale}: untranslated {untranslated}"
    fuzzy = sorted(mid for mid, m in messages.items() if m.fuzzy)
    assert not fuzzy, f"{locale}: fuzzy {fuzzy}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems, f"{locale}: placeholder mismatches {problems}"


def test_catalogs_compile(tmp_path) -> None:
    for po in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"):
        target = tmp_path / po.parent.parent.name / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "messages.po").write_bytes(po.read_bytes())
    assert len(compile_catalogs(tmp_path)) == len(SUPPORTED_LOCALES)
    assert compile_catalogs(tmp_path) == []  # up to date: nothing rewritten


def _read_only(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.EROFS, "Read-only file system")


def test_a_read_only_install_uses_its_compiled_catalogs(tmp_path, monkeypatch) -> None:
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po = target / "messages.po"
    po.write_bytes((TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").read_bytes())
    compile_catalogs(tmp_path)
    os.utime(po, (time.time() + 60, time.time() + 60))  # unpacked after its .mo, as pip may
    monkeypatch.setattr(tempfile, "mkstemp", _read_only)
    assert compile_catalogs(tmp_path) == []
    (target / "messages.mo").unlink()
    with pytest.raises(ConfigError, match="read-only"):
        compile_catalogs(tmp_path)


def test_every_category_has_a_name_in_taxonomy_order() -> None:
    assert tuple(CATEGORY_NAMES) == CATEGORY_SLUGS


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_category_names_are_translated(plain_app, locale: str) -> None:
    with force_locale(locale):
        names = [category_name(slug) for slug in CATEGORY_SLUGS]
    if locale != "en":
        english = [str(CATEGORY_NAMES[slug]._args[0]) for slug in CATEGORY_SLUGS]
        assert names != english
    assert len(set(names)) == len(names)


def test_arabic_is_right_to_left() -> None:
    assert text_direction("ar") == "rtl"
    assert {text_direction(code) for code in SUPPORTED_LOCALES if code != "ar"} == {"ltr"}


def test_content_falls_back_to_french_and_says_so() -> None:
    texts = {"fr": "Repas chaud", "en": "Hot meal", "ar": ""}
    assert pick_text(texts, "en").text == "Hot meal"
    assert not pick_text(texts, "en").fallback
    arabic = pick_text(texts, "ar")
    assert (arabic.text, arabic.locale, arabic.fallback) == ("Repas chaud", "fr", True)
    assert pick_text({"en": "Only English"}, "uk").locale == "en"
