"""The city's districts as the web names them in addresses (``/print/district/la-gare``).

The directory knows districts only as the free text on each place; this takes the ones that
have a listed service (from the snapshot's :class:`~gateway.directory.listings.Listings`)
and gives each a stable, ASCII slug for links.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.directory.listings import Listings


@dataclass(frozen=True)
class District:
    name: str
    slug: str
    postcodes: tuple[str, ...]


def slugify(name: str) -> str:
    """ "Les Hauts-de-Lisle" → "les-hauts-de-lisle" (accents dropped, anything else a dash)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def districts(found: Listings) -> tuple[District, ...]:
    """Districts with at least one listed service, by slug, each with its postcodes."""
    return found.kept(
        ("districts",),
        lambda: tuple(
            sorted(
                (District(d.name, slugify(d.name), d.postcodes) for d in found.districts),
                key=lambda district: district.slug,
            )
        ),
    )


def find_district(known: Sequence[District], slug: str) -> District | None:
    return next((district for district in known if district.slug == slug), None)
