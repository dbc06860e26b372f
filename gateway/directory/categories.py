"""The fixed taxonomy's names, as interface strings translated by Babel.

Slugs are stable identifiers (HSDS exports, URLs, voice keys); names are what residents read
or hear, kept short so that a numbered SMS menu of all sixteen fits in few segments.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

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
