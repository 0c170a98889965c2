"""Exact quantities pinned word for word and at their limits: what a person may type in mg, what is refused.

Written against surviving mutants (docs/mutation.md): before, the refusals' words, the 10 kg guard's edge and
the way a whole amount is shown could change with no test failing.
"""

from decimal import Decimal

import pytest

from ketamine_clinic.core.inventory.quantities import MAX_MG, QuantityError, format_mg, mcg_to_mg, mg_to_mcg


@pytest.mark.parametrize(
    "typed,mcg",
    [
        ("35", 35_000),
        (" 37.5 ", 37_500),
        ("0.001", 1),
        (Decimal("12.345"), 12_345),
        (56, 56_000),
        ("-2.5", -2_500),  # a correction may be negative; the ledger's rules decide where that is allowed
        ("10000000", 10_000_000_000),  # exactly the 10 kg guard
        ("-10000000", -10_000_000_000),
        ("1E+3", 1_000_000),
        ("0", 0),
        ("0" * 30 + "1", 1_000),  # 31 characters: long, but a number
    ],
)
def test_amounts_typed_in_mg_become_exact_micrograms(typed, mcg):
    assert mg_to_mcg(typed) == mcg
    assert type(mg_to_mcg(typed)) is int


def refusal(value) -> str:
    with pytest.raises(QuantityError) as err:
        mg_to_mcg(value)
    return str(err.value)


FAR_TOO_MUCH = "That amount is far more than any quantity the ledger records; check the number typed."


@pytest.mark.parametrize(
    "typed,words",
    [
        (1.5, "Give the amount in mg as text or a decimal number, not a floating-point value."),
        (True, "Give the amount in mg as text or a decimal number, not a floating-point value."),
        ("1" * 41, "That is not an amount in mg the ledger can record (too many digits)."),
        ("abc", "'abc' is not an amount in mg."),
        (" 3 mg ", "'3 mg' is not an amount in mg."),
        ("NaN", "'NaN' is not an amount in mg."),
        ("-Infinity", "'-Infinity' is not an amount in mg."),
        ("10000000.001", FAR_TOO_MUCH),
        ("-10000000.001", FAR_TOO_MUCH),
        ("10000001", FAR_TOO_MUCH),
        ("1e8", FAR_TOO_MUCH),
        ("1e999999999", FAR_TOO_MUCH),
        ("0.0005", "0.0005 mg is finer than the 0.001 mg the ledger records; round it first."),
        (Decimal("1.0001"), "1.0001 mg is finer than the 0.001 mg the ledger records; round it first."),
    ],
)
def test_what_cannot_be_recorded_exactly_is_refused_in_words(typed, words):
    assert refusal(typed) == words


def test_forty_characters_are_read_forty_one_are_not():
    assert mg_to_mcg("0" * 39 + "1") == 1_000
    assert refusal("0" * 40 + "1") == "That is not an amount in mg the ledger can record (too many digits)."


def test_the_guard_is_ten_kilograms():
    assert MAX_MG == 10_000_000


@pytest.mark.parametrize(
    "mcg,mg,text",
    [
        (35_000, Decimal("35"), "35 mg"),
        (37_500, Decimal("37.5"), "37.5 mg"),
        (1, Decimal("0.001"), "0.001 mg"),
        (100_000, Decimal("100"), "100 mg"),
        (0, Decimal("0"), "0 mg"),
        (-2_500, Decimal("-2.5"), "-2.5 mg"),
        (10_000_000_000, Decimal("10000000"), "10000000 mg"),
    ],
)
def test_micrograms_are_shown_in_mg_without_needless_zeros(mcg, mg, text):
    assert mcg_to_mg(mcg) == mg
    assert str(mcg_to_mg(mcg)) == str(mg)
    assert format_mg(mcg) == text
