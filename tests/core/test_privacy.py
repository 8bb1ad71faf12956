"""Personal-data detection, redaction and pseudonymisation (core.privacy)."""

import random

import pytest
from personnummer import personnummer as reference

from radhus.core.privacy import (
    DataClass,
    PiiKind,
    classify_personnummer,
    contains_personal_data,
    find_personal_data,
    iban_ok,
    luhn_ok,
    pseudonymise,
    redact,
)


def _kinds(text: str) -> list[tuple[PiiKind, str]]:
    return [(span.kind, span.text) for span in find_personal_data(text)]


def _valid_pnr(rng: random.Random, *, coordination: bool = False) -> str:
    """A checksum-valid 10-digit number built independently of the code under test."""
    year, month, day = rng.randint(0, 99), rng.randint(1, 12), rng.randint(1, 28)
    if coordination:
        day += 60
    serial = f"{rng.randint(0, 999):03d}"
    base = f"{year:02d}{month:02d}{day:02d}{serial}"
    total = 0
    for index, char in enumerate(base):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{base[:6]}-{base[6:]}{(10 - total % 10) % 10}"


def test_data_class_enum_unchanged():
    assert [c.value for c in DataClass] == ["oppen", "intern", "kanslig"]
    assert DataClass.KANSLIG.allows(DataClass.INTERN) and not DataClass.OPPEN.allows(DataClass.INTERN)


def test_personnummer_agrees_with_reference_library():
    rng = random.Random(7)
    for _ in range(200):
        number = _valid_pnr(rng)
        assert classify_personnummer(number) is PiiKind.PERSONNUMMER
        assert reference.valid(number)
        broken = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert classify_personnummer(broken) is None


def test_samordningsnummer_and_formats():
    rng = random.Random(3)
    number = _valid_pnr(rng, coordination=True)
    assert classify_personnummer(number) is PiiKind.SAMORDNINGSNUMMER
    assert classify_personnummer("19811218-9876") is PiiKind.PERSONNUMMER
    assert classify_personnummer("198112189876") is PiiKind.PERSONNUMMER
    assert classify_personnummer("811218+9876") is PiiKind.PERSONNUMMER  # over 100 years old
    assert classify_personnummer("811318-9876") is None  # month 13


def test_checksums():
    assert luhn_ok("8112189876") and not luhn_ok("8112189875")
    assert iban_ok("SE45 5000 0000 0583 9825 7466") and not iban_ok("SE45 5000 0000 0583 9825 7467")
    assert iban_ok("DE89370400440532013000")


def test_detects_each_kind_in_running_text():
    text = (
        "Handläggare Anna Svensson (anna.svensson@kommun.se, 070-123 45 67) träffade Johan Lindqvist, "
        "19811218-9876, på Storgatan 12 B, 852 30 Sundsvall. IBAN SE45 5000 0000 0583 9825 7466. "
        "Han har diabetes och missbruksproblem."
    )
    found = _kinds(text)
    assert (PiiKind.NAMN, "Anna Svensson") in found and (PiiKind.NAMN, "Johan Lindqvist") in found
    assert (PiiKind.EPOST, "anna.svensson@kommun.se") in found
    assert (PiiKind.TELEFON, "070-123 45 67") in found
    assert (PiiKind.PERSONNUMMER, "19811218-9876") in found
    assert (PiiKind.ADRESS, "Storgatan 12 B") in found
    assert (PiiKind.POSTNUMMER, "852 30 Sundsvall") in found
    assert (PiiKind.BANKKONTO, "SE45 5000 0000 0583 9825 7466") in found
    assert (PiiKind.HALSA_SOCIAL, "diabetes") in found and (PiiKind.HALSA_SOCIAL, "missbruksproblem") in found


@pytest.mark.parametrize("phone", ["08-123 45 67", "+46 70 123 45 67", "0702-12 34 56", "+46 (0)31 123 45 67"])
def test_swedish_phone_formats(phone):
    assert _kinds(f"Ring {phone} i morgon.") == [(PiiKind.TELEFON, phone)]


@pytest.mark.parametrize(
    "text",
    [
        "Mötet hölls 2024-03-15 klockan 14.00 i sal 3.",
        "Budgeten är 1 250 000 kronor för 2025.",
        "Enligt 4 kap. 1 § socialtjänstlagen (2001:453).",
        "Ärendenummer 2023-1234 diarieförs.",
        "Under hösten planeras fler möten i Stadshuset.",
    ],
)
def test_no_false_alarms_on_ordinary_municipal_text(text):
    assert not contains_personal_data(text), _kinds(text)


def test_redact_uses_typed_placeholders_and_keeps_warnings_separate():
    result = redact("Brukaren Maria Ek, 19811218-9876, bor på Kyrkvägen 3 och har demens.")
    assert result.text == "Brukaren [NAMN], [PERSONNUMMER], bor på [ADRESS] och har demens."
    assert result.counts == {"NAMN": 1, "PERSONNUMMER": 1, "ADRESS": 1}
    assert [w.text for w in result.warnings] == ["demens"]


def test_pseudonymise_is_consistent_per_person():
    text = (
        "Anna Svensson ringde. Johan Berg svarade. Anna ringde igen; Anna Svensson var orolig. "
        "Ring 070-123 45 67 eller 0701234567."
    )
    result = pseudonymise(text)
    assert result.text.count("[NAMN 1]") == 3 and result.text.count("[NAMN 2]") == 1
    assert "Anna" not in result.text and "Svensson" not in result.text
    assert result.text.count("[TELEFON 1]") == 2  # same number, two spellings


def test_empty_and_odd_input_does_not_crash():
    assert find_personal_data("") == []
    assert redact("\x00\ufffd åäö 😀").text == "\x00\ufffd åäö 😀"
