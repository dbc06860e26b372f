"""Which language to answer in, and why.

The resident's own choice wins, then what we remember of it, then the channel's guess, then
the language of her first words, then her phone's country, then French. A weaker source never
replaces a stronger one within a conversation, and an equal one does not either: a resident
who started in English is not switched to Spanish by one Spanish-looking word.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.conversation.types import LOCALE_SOURCE_RANK, LocaleSource

# Country calling code → the language most residents from there read (French is the default,
# so French-speaking countries need no entry).
COUNTRY_LOCALES: dict[str, str] = {
    **dict.fromkeys(("1", "44", "353", "61", "64", "27", "233", "234", "254", "256"), "en"),
    **dict.fromkeys(
        ("34", "52", "53", "54", "56", "57", "58", "51", "591", "593", "595", "598")
        + ("502", "503", "504", "505", "506", "507"),
        "es",
    ),
    **dict.fromkeys(("351", "55", "244", "238", "245", "258", "239"), "pt"),
    "380": "uk",
    **dict.fromkeys(
        ("20", "212", "213", "216", "218", "222", "249", "961", "962", "963", "964")
        + ("965", "966", "967", "968", "970", "971", "973", "974"),
        "ar",
    ),
}


def resolve_locale(
    candidates: Iterable[tuple[str | None, LocaleSource]], available: tuple[str, ...]
) -> tuple[str, LocaleSource]:
    """The strongest available candidate; the first listed wins a tie.

    Callers list the conversation's current language before new guesses of the same
    strength, which is what keeps a conversation in its language.
    """
    best: tuple[str, LocaleSource] | None = None
    for code, source in candidates:
        if code not in available:
            continue
        if best is None or LOCALE_SOURCE_RANK[source] > LOCALE_SOURCE_RANK[best[1]]:
            best = (code, source)
    if best is None:
        return available[0], LocaleSource.DEFAULT
    return best
