"""The city's districts as the web names them in addresses (``/print/district/la-gare``).

The directory knows districts only as the free text on each place; this reads the ones that
have a listed service and gives each a stable, ASCII slug for links.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.directory.queries import listed_clause
from gateway.models import Location, Service, ServiceLocation


@dataclass(frozen=True)
class District:
    name: str
    slug: str
    postcodes: tuple[str, ...]


def slugify(name: str) -> str:
    """ "Les Hauts-de-Lisle" → "les-hauts-de-lisle" (accents dropped, anything else a dash)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def districts(session: Session) -> list[District]:
    """Districts with at least one listed service, by name, each with its postcodes."""
    rows = session.execute(
        select(Location.district, Location.postcode)
        .join(ServiceLocation, ServiceLocation.location_id == Location.id)
        .join(Service, Service.id == ServiceLocation.service_id)
        .where(listed_clause(), Location.district != "")
        .distinct()
    )
    postcodes: dict[str, set[str]] = {}
    for name, postcode in rows:
        postcodes.setdefault(name, set()).update([postcode] if postcode else [])
    return [
        District(name, slugify(name), tuple(sorted(codes)))
        for name, codes in sorted(postcodes.items(), key=lambda item: slugify(item[0]))
    ]


def find_district(known: Sequence[District], slug: str) -> District | None:
    return next((district for district in known if district.slug == slug), None)
