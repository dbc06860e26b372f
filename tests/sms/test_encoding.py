"""GSM-7 whenever the language allows; segment counts match the GSM 03.38 reference."""

from __future__ import annotations

import random

import pytest

from channels.sms.encoding import encode_for_sms, keep_together, pack
from gateway.messaging.gsm import GSM_BASIC_TABLE, GSM_EXTENSION, split_segments
from tests.fakes import gsm0338

pytestmark = pytest.mark.backends("postgresql")


def expect(text: str) -> tuple[str, int, int]:
    sms = encode_for_sms(text)
    assert sms.text == text, "these texts need no folding"
    assert (sms.encoding, sms.units, sms.segments) == gsm0338.segments(text)
    return sms.encoding, sms.units, sms.segments


def test_tables_are_the_standards() -> None:
    assert GSM_BASIC_TABLE == gsm0338.BASIC
    assert set(GSM_EXTENSION) == set(gsm0338.EXTENSION)
    assert (gsm0338.BASIC.index("É"), gsm0338.BASIC.index("¤"), gsm0338.BASIC.index("à")) == (
        0x1F,
        0x24,
        0x7F,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("GSM-7", 160, 1)),
        ("a" * 161, ("GSM-7", 161, 2)),
        ("a" * 153 * 2, ("GSM-7", 306, 2)),
        ("a" * (153 * 2 + 1), ("GSM-7", 307, 3)),
        ("é" * 153 * 3, ("GSM-7", 459, 3)),
        ("€" * 80, ("GSM-7", 160, 1)),
        ("€" * 80 + "a", ("GSM-7", 161, 2)),
        # 152 septets then an escape pair: the pair moves whole to the second part.
        ("a" * 152 + "€" + "a" * 152, ("GSM-7", 306, 3)),
        ("a" * 151 + "[" + "a" * 153, ("GSM-7", 306, 2)),
        ("ж" * 70, ("UCS-2", 70, 1)),
        ("ж" * 71, ("UCS-2", 71, 2)),
        ("ж" * 67 * 2, ("UCS-2", 134, 2)),
        ("ж" * (67 * 2 + 1), ("UCS-2", 135, 3)),
        # 66 units then a surrogate pair: the pair moves whole to the second part.
        ("ж" * 66 + "😀" + "ж" * 66, ("UCS-2", 134, 3)),
        ("😀", ("UCS-2", 2, 1)),
        ("😀" * 35, ("UCS-2", 70, 1)),
        ("😀" * 36, ("UCS-2", 72, 2)),
        ("", ("GSM-7", 0, 0)),
    ],
)
def test_segment_boundaries(text: str, expected: tuple[str, int, int]) -> None:
    assert expect(text) == expected


def test_no_part_splits_an_escape_or_surrogate_pair() -> None:
    gsm = "a" * 152 + "€" + "b" * 200
    assert [len(part) for part in split_segments(gsm, "GSM-7")] == [152, 152, 49]
    ucs2 = "ж" * 66 + "😀" + "ж" * 100
    assert split_segments(ucs2, "UCS-2")[1].startswith("😀")


def test_languages_that_need_ucs2() -> None:
    arabic = "أين يمكنني أن آكل اليوم؟ مطعم التضامن، 12 شارع السلام"
    ukrainian = "Де можна поїсти сьогодні? Соціальна їдальня, вул. Миру 12"
    for text in (arabic, ukrainian, "Merci 🙏"):
        assert expect(text)[0] == "UCS-2"


def test_french_folds_to_gsm7_and_keeps_what_gsm_has() -> None:
    sms = encode_for_sms(
        "Fête de l’hôtel de ville : « Où dîner ? » – Noël, cœur, Œuvre, ça…\u202f10\u00a0h"
    )
    assert sms.encoding == "GSM-7"
    assert sms.text == 'Fete de l\'hotel de ville : "Où diner ?" - Noel, coeur, OEuvre, ca... 10 h'
    assert sms.units == len(sms.text) and sms.segments == 1


def test_characters_gsm_has_are_kept() -> None:
    kept = "é è à ù ì ò É Ç Ä Ö Ñ Ü ä ö ñ ü ß ¿ ¡ £ ¥ § æ Æ ø Ø å Å Δ € [ ] ~ ^ { } | \\"
    assert expect(kept)[0] == "GSM-7"


def test_other_latin_accents_fold_and_combining_marks_compose() -> None:
    assert encode_for_sms("información, São João, Ayşe, Kraków").text == (
        "informacion, Sao Joao, Ayse, Krakow"
    )
    assert encode_for_sms("e\u0301te\u0301").text == "été"


def test_ucs2_keeps_the_original_typography() -> None:
    sms = encode_for_sms("L’accueil « Soleil » 😀")
    assert (sms.encoding, sms.text) == ("UCS-2", "L’accueil « Soleil » 😀")


def test_random_texts_agree_with_the_reference() -> None:
    alphabet = gsm0338.BASIC.replace("\x1b", "") + "".join(gsm0338.EXTENSION) + "жї😀"
    rng = random.Random(338)
    for _ in range(400):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 500)))
        expect(text)


# Packing: the fewest segments, never more than three, cut only where a reader expects it.

ITEMS = [
    f"{n}. Restaurant solidaire numero {n}, 12 rue de la Paix, 02 61 91 00 1{n}"
    for n in range(1, 10)
]


def choices_footer(shown: int, more: bool) -> str:
    return f"Repondez 1-{shown}" + (", SUITE" if more else "") + ", AIDE"


def test_everything_fits_on_one_page() -> None:
    page = pack(ITEMS[:2], header="Manger :", footer=choices_footer)
    assert (page.shown, page.more, page.rest) == (2, False, [])
    assert page.text == "\n".join(["Manger :", *ITEMS[:2], "Repondez 1-2, AIDE"])
    assert page.sms.segments == gsm0338.segments(page.text)[2] == 2


def test_overflow_goes_to_the_next_page_whole_items_only() -> None:
    page = pack(ITEMS, header="Manger :", footer=choices_footer)
    assert page.more and page.sms.segments <= 3
    assert page.rest == ITEMS[page.shown :]
    assert page.text.endswith(f"Repondez 1-{page.shown}, SUITE, AIDE")
    next_item = "\n".join([page.text, ITEMS[page.shown]])
    assert encode_for_sms(next_item).segments > 3, "the next item would not have fit"


def test_pages_chain_until_nothing_is_left() -> None:
    rest, shown = ITEMS, []
    while rest:
        page = pack(rest, footer=choices_footer, max_segments=2)
        assert page.sms.segments <= 2
        shown += rest[: page.shown]
        rest = page.rest
    assert shown == ITEMS


def test_a_long_item_is_cut_between_words_never_in_a_phone_number() -> None:
    words = " ".join(f"mot{n}" for n in range(60))
    phone = "+33 2 61 91 00 12"
    item = f"{words} tel {phone} puis {words}"
    for max_segments in (1, 2, 3):
        page = pack([item], header="Details", max_segments=max_segments)
        head = page.text.removeprefix("Details\n")
        assert page.more and page.sms.segments <= max_segments
        assert f"{head} {page.rest[0]}" == item
        assert phone in head or phone in page.rest[0]
    cut_at_phone = pack([f"{'x' * 150} {phone} fin"], max_segments=1)
    assert cut_at_phone.text == "x" * 150 and cut_at_phone.rest == [f"{phone} fin"]
    cut_at_french_phone = pack([f"{'x' * 150} 02 61 91 00 12 fin"], max_segments=1)
    assert cut_at_french_phone.rest == ["02 61 91 00 12 fin"]


def test_a_marked_address_is_never_cut() -> None:
    address = keep_together("12 rue de la Paix 45100 Val-de-Lisle")
    page = pack([f"{'x' * 140} {address} ensuite"], max_segments=1)
    assert page.text == "x" * 140
    assert page.rest == [f"{address} ensuite"]
    whole = pack([f"Adresse : {address}"])
    assert whole.text == "Adresse : 12 rue de la Paix 45100 Val-de-Lisle"


def test_an_unbreakable_run_longer_than_a_page_is_still_cut() -> None:
    page = pack(["x" * 200], max_segments=1)
    assert page.text == "x" * 160 and page.rest == ["x" * 40]


def test_arabic_page_counts_ucs2() -> None:
    items = [f"{n}. مطعم التضامن، شارع السلام {n}" for n in range(1, 12)]
    page = pack(items, footer=lambda shown, more: "SUITE" if more else "")
    assert page.sms.encoding == "UCS-2" and page.more and page.sms.segments == 3
    assert page.sms.units <= 3 * 67


def test_header_and_footer_must_leave_room() -> None:
    with pytest.raises(ValueError):
        pack(["a"], header="h" * 300, footer="f" * 200, max_segments=3)
