"""The delivered dose, case by case, with the nurse's exact words (mutation testing, docs/mutation.md).

Each row is one bedside entry: what the nurse typed and what the clinic records as given, or which field is
refused and why. Boundaries included: an infusion ending within max(2 min, 5%) of its planned time counts
as whole; the pump's volume may equal the bag but not exceed it; a delivered dose may equal the confirmed one.
"""

from decimal import Decimal

import pytest

from ketamine_clinic.core.administration.delivery import Delivery, DeliveryError, delivered_dose, fmt_mg

CASES = [
    ({"route": "iv", "confirmed_mg": "35", "completed": True}, ("ok", "35.00", "whole confirmed dose")),
    (
        {"route": "iv", "confirmed_mg": "0", "completed": True},
        ("refused", "delivered_mg", "No dose was confirmed for this session."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "delivered_mg": "abc"},
        ("refused", "delivered_mg", "Enter the delivered dose (mg) as a number."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "delivered_mg": "NaN"},
        ("refused", "delivered_mg", "Enter the delivered dose (mg) as a number."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "delivered_mg": "-1"},
        ("refused", "delivered_mg", "The delivered dose (mg) cannot be negative."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "delivered_mg": "  "},
        ("ok", "35.00", "whole confirmed dose"),
    ),
    (
        {
            "route": "iv",
            "confirmed_mg": "35",
            "completed": False,
            "delivered_mg": "20",
            "volume_infused_ml": "50",
        },
        (
            "refused",
            "volume_infused_ml",
            "Enter the delivered dose one way only: in mg, or as the volume infused, or as devices used.",
        ),
    ),
    (
        {
            "route": "intranasal",
            "confirmed_mg": "56",
            "completed": False,
            "delivered_mg": "28",
            "devices_used": "1",
        },
        (
            "refused",
            "devices_used",
            "Enter the delivered dose one way only: in mg, or as the volume infused, or as devices used.",
        ),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": False, "volume_infused_ml": "1"},
        ("refused", "volume_infused_ml", "A nasal dose is counted in devices, not mL."),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": False, "delivered_mg": "30"},
        (
            "refused",
            "delivered_mg",
            "30 mg is not a whole number of 28 mg devices; enter the number of devices used.",
        ),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": False, "delivered_mg": "28"},
        ("ok", "28.00", "1 of 2 nasal devices used"),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": False},
        (
            "refused",
            "devices_used",
            "Enter how many nasal devices were used before dosing stopped (0 if none).",
        ),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": True},
        ("ok", "56.00", "2 of 2 nasal devices used"),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "28", "completed": True},
        ("ok", "28.00", "1 of 1 nasal device used"),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "84", "completed": False, "devices_used": "0"},
        ("ok", "0.00", "0 of 3 nasal devices used"),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": False, "devices_used": "1.5"},
        ("refused", "devices_used", "Count whole devices: a started device counts as used."),
    ),
    (
        {"route": "intranasal", "confirmed_mg": "56", "completed": False, "devices_used": "3"},
        ("refused", "devices_used", "3 devices is more than the 2 confirmed and drawn for this session."),
    ),
    (
        {"route": "im", "confirmed_mg": "35", "completed": False, "devices_used": "1"},
        ("refused", "devices_used", "Only nasal sprays are counted in devices; enter the dose in mg."),
    ),
    (
        {"route": "im", "confirmed_mg": "35", "completed": False, "volume_infused_ml": "1"},
        ("refused", "volume_infused_ml", "Only an IV infusion is read from the pump; enter mg."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False, "volume_infused_ml": "50"},
        (
            "refused",
            "volume_infused_ml",
            "The bag volume was not recorded with this dose; enter the delivered dose in mg instead.",
        ),
    ),
    (
        {
            "route": "iv",
            "confirmed_mg": "35",
            "completed": False,
            "volume_infused_ml": "50",
            "bag_volume_ml": "0",
        },
        (
            "refused",
            "volume_infused_ml",
            "The bag volume was not recorded with this dose; enter the delivered dose in mg instead.",
        ),
    ),
    (
        {
            "route": "iv",
            "confirmed_mg": "35",
            "completed": False,
            "volume_infused_ml": "101",
            "bag_volume_ml": "100",
        },
        (
            "refused",
            "volume_infused_ml",
            "101 mL is more than the 100 mL bag; check the pump's volume infused.",
        ),
    ),
    (
        {
            "route": "iv",
            "confirmed_mg": "35",
            "completed": False,
            "volume_infused_ml": "50",
            "bag_volume_ml": "100",
        },
        ("ok", "17.50", "pump volume infused 50 of 100 mL at 0.35 mg/mL"),
    ),
    (
        {
            "route": "iv",
            "confirmed_mg": "35",
            "completed": False,
            "volume_infused_ml": "100",
            "bag_volume_ml": "100",
        },
        ("ok", "35.00", "pump volume infused 100 of 100 mL at 0.35 mg/mL"),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "planned_min": 40, "elapsed_min": 37},
        (
            "refused",
            "volume_infused_ml",
            "The infusion was planned for 40 min and has run 37 min: enter the pump's volume infused (or the mg delivered), or use 'Stopped early' with a reason.",
        ),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "planned_min": 40, "elapsed_min": 38},
        ("ok", "35.00", "whole confirmed dose"),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "planned_min": 100, "elapsed_min": 94.9},
        (
            "refused",
            "volume_infused_ml",
            "The infusion was planned for 100 min and has run 95 min: enter the pump's volume infused (or the mg delivered), or use 'Stopped early' with a reason.",
        ),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": True, "planned_min": 100, "elapsed_min": 95},
        ("ok", "35.00", "whole confirmed dose"),
    ),
    (
        {"route": "im", "confirmed_mg": "35", "completed": True, "planned_min": 40, "elapsed_min": -5},
        (
            "refused",
            "delivered_mg",
            "The infusion was planned for 40 min and has run 0 min: enter the pump's volume infused (or the mg delivered), or use 'Stopped early' with a reason.",
        ),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False},
        (
            "refused",
            "delivered_mg",
            "Enter the pump's volume infused (mL) or the dose delivered (mg) before stopping: only what was delivered is recorded as given.",
        ),
    ),
    (
        {"route": "oral", "confirmed_mg": "35", "completed": False},
        (
            "refused",
            "delivered_mg",
            "Enter the dose given (mg) before stopping: only what was delivered is recorded as given.",
        ),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False, "delivered_mg": "20.005"},
        ("refused", "delivered_mg", "Enter the delivered dose to at most 0.01 mg."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False, "delivered_mg": "35.01"},
        ("refused", "delivered_mg", "35.01 mg is more than the 35 mg confirmed and drawn for this session."),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False, "delivered_mg": "35"},
        ("ok", "35.00", "whole confirmed dose"),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False, "delivered_mg": "20.5"},
        ("ok", "20.50", "entered by the nurse"),
    ),
    (
        {"route": "iv", "confirmed_mg": "35", "completed": False, "delivered_mg": "0"},
        ("ok", "0.00", "entered by the nurse"),
    ),
]


@pytest.mark.parametrize(("entry", "outcome"), CASES)
def test_delivered_dose(entry, outcome):
    try:
        d = delivered_dose(**entry)
    except DeliveryError as refused:
        assert ("refused", refused.field, str(refused)) == outcome
    else:
        assert ("ok", str(d.delivered_mg), d.basis) == outcome
        assert isinstance(d.delivered_mg, Decimal)


def test_fmt_mg_and_differs_from():
    assert fmt_mg(Decimal("35.00")) == "35"
    assert fmt_mg(Decimal("27.13")) == "27.13"
    assert fmt_mg(Decimal("27.10")) == "27.1"
    assert fmt_mg(Decimal("100")) == "100"
    assert Delivery(Decimal("35.00"), "x").differs_from(Decimal("35")) is False
    assert Delivery(Decimal("34.99"), "x").differs_from(Decimal("35")) is True
