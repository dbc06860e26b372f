"""The fixed taxonomy's names, as interface strings translated by Babel.

Slugs are stable identifiers (HSDS exports, URLs, voice keys); names are what residents read
or hear, kept short so that a numbered SMS menu of all sixteen fits in few segments. Feeds
that use another taxonomy are read through the tables of ``content/taxonomies/``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from gateway.config import CONTENT_DIR

# Tables reading foreign taxonomies (211's AIRS codes…) into these categories, editable.
TAXONOMIES_DIR = CONTENT_DIR / "taxonomies"

# In the order of gateway.models.CATEGORY_SLUGS (a test holds them equal).
CATEGORY_NAMES: dict[str, LazyString] = {
    "food": _l("Food"),
    "shelter": _l("Shelter"),
    "health": _l("Health"),
    "hygiene": _l("Showers and hygiene"),
    "rights": _l("Rights and legal help"),
    "admin": _l("Paperwork and benefits"),
    "jobs": _l("Jobs and training"),
    "digital": _l("Computer and internet help"),
    "clothing": _l("Clothes"),
    "elderly": _l("Older people"),
    "family": _l("Children and family"),
    "language": _l("Learning French"),
    "violence": _l("Violence and abuse"),
    "transport": _l("Transport"),
    "listening": _l("Someone to talk to"),
    "emergency": _l("Emergency"),
}


def category_name(slug: str) -> str:
    """The category's name in the current locale."""
    return str(CATEGORY_NAMES[slug])


class TaxonomyTableError(ValueError):
    """A taxonomy table line that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class TaxonomyTable:
    """A foreign taxonomy's codes read into categories: code prefix → slugs."""

    names: frozenset[str]
    prefixes: dict[str, tuple[str, ...]]

    def categories(self, code: str) -> tuple[str, ...]:
        """The slugs of the longest prefix ``code`` starts with; none when no line covers it."""
        code = code.strip().upper()
        best = max((p for p in self.prefixes if code.startswith(p)), key=len, default=None)
        return self.prefixes[best] if best is not None else ()


def read_taxonomy_table(path: Path) -> TaxonomyTable:
    """One table of ``content/taxonomies/`` (its format is in each file's header).

    Plain text rather than a spreadsheet so that a social worker edits it in any editor and
    a review shows each line changed, like the search vocabularies.
    """
    names: set[str] = set()
    prefixes: dict[str, tuple[str, ...]] = {}
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, colon, value = (part.strip() for part in line.partition(":"))
        if not colon or not key or not value:
            raise TaxonomyTableError(f"{path}:{number}: expected 'prefix: slug …'")
        if key == "taxonomy":
            names.update(name.strip().casefold() for name in value.split("|") if name.strip())
            continue
        slugs = tuple(value.split())
        unknown = [slug for slug in slugs if slug not in CATEGORY_NAMES]
        if unknown:
            raise TaxonomyTableError(f"{path}:{number}: unknown category {unknown[0]!r}")
        prefixes[key.upper()] = slugs
    if not names:
        raise TaxonomyTableError(f"{path}: no 'taxonomy:' line names the taxonomy")
    return TaxonomyTable(frozenset(names), prefixes)


@functools.cache
def taxonomy_tables(directory: Path = TAXONOMIES_DIR) -> dict[str, TaxonomyTable]:
    """Every table, by each name its taxonomy goes by (casefolded); read once a process."""
    tables: dict[str, TaxonomyTable] = {}
    for path in sorted(directory.glob("*.txt")):
        table = read_taxonomy_table(path)
        tables.update(dict.fromkeys(table.names, table))
    return tables


def foreign_categories(taxonomy: str, code: str) -> tuple[str, ...] | None:
    """The categories a term of another taxonomy reads as; None when no table knows it."""
    table = taxonomy_tables().get(taxonomy.strip().casefold())
    return table.categories(code) if table is not None else None
