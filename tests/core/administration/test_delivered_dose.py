"""The dose actually delivered when administration ends (core.administration.delivery)."""

from decimal import Decimal

import pytest

from ketamine_clinic.core.administration.delivery import DeliveryError, delivered_dose


def iv(**kw):
    return delivered_dose(route="iv", confirmed_mg=Decimal("35.00"), bag_volume_ml=100, **kw)


def test_normal_completion_defaults_to_the_whole_confirmed_dose():
    d = iv(completed=True)
    assert d.delivered_mg == Decimal("35.00") and d.basis == "whole confirmed dose"
    assert not d.differs_from(Decimal("35"))


def test_pump_volume_infused_converts_with_the_bag_concentration():
    d = iv(completed=False, volume_infused_ml="57")
    assert d.delivered_mg == Decimal("19.95")  # 35 mg / 100 mL x 57 mL
    assert d.basis == "pump volume infused 57 of 100 mL at 0.35 mg/mL"
    assert iv(completed=True, volume_infused_ml="100").delivered_mg == Decimal("35.00")  # emptied bag
    assert iv(completed=False, volume_infused_ml="0").delivered_mg == 0
    # A result between hundredths is rounded half up to the 0.01 mg the session stores.
    d = delivered_dose(
        route="iv", confirmed_mg="40", bag_volume_ml=100, completed=False, volume_infused_ml="33.3"
    )
    assert d.delivered_mg == Decimal("13.32")


@pytest.mark.parametrize("route", ["iv", "im", "oral", "sublingual"])
def test_stopping_early_needs_the_delivered_amount(route):
    with pytest.raises(DeliveryError) as err:
        delivered_dose(route=route, confirmed_mg=35, bag_volume_ml=100, completed=False)
    assert err.value.field == "delivered_mg" and "before stopping" in str(err.value)
    d = delivered_dose(route=route, confirmed_mg=35, completed=False, delivered_mg="12.5")
    assert d.delivered_mg == Decimal("12.50") and d.basis == "entered by the nurse"


@pytest.mark.parametrize(
    "kw, field, message",
    [
        ({"delivered_mg": "35.01"}, "delivered_mg", "35.01 mg is more than the 35 mg confirmed and drawn"),
        ({"delivered_mg": "-1"}, "delivered_mg", "cannot be negative"),
        ({"delivered_mg": "abc"}, "delivered_mg", "as a number"),
        ({"delivered_mg": "10.005"}, "delivered_mg", "at most 0.01 mg"),
        ({"volume_infused_ml": "100.5"}, "volume_infused_ml", "more than the 100 mL bag"),
        ({"volume_infused_ml": "50", "delivered_mg": "10"}, "volume_infused_ml", "one way only"),
        ({"devices_used": 1}, "devices_used", "Only nasal sprays"),
    ],
)
def test_impossible_amounts_are_refused_with_a_message(kw, field, message):
    with pytest.raises(DeliveryError, match=message) as err:
        iv(completed=False, **kw)
    assert err.value.field == field


def test_volume_needs_the_bag_volume_recorded_with_the_dose():
    with pytest.raises(DeliveryError, match="bag volume was not recorded"):
        delivered_dose(route="iv", confirmed_mg=35, completed=False, volume_infused_ml="50")
    with pytest.raises(DeliveryError, match="Only an IV infusion"):
        delivered_dose(route="im", confirmed_mg=35, completed=False, volume_infused_ml="1", bag_volume_ml=1)


def test_nasal_devices_used_times_28_mg():
    d = delivered_dose(route="intranasal", confirmed_mg=84, completed=True)
    assert d.delivered_mg == 84 and d.basis == "3 of 3 nasal devices used"
    d = delivered_dose(route="intranasal", confirmed_mg=84, completed=False, devices_used=2)
    assert d.delivered_mg == 56 and d.basis == "2 of 3 nasal devices used"
    assert (
        delivered_dose(route="intranasal", confirmed_mg=56, completed=False, delivered_mg=28).delivered_mg
        == 28
    )
    with pytest.raises(DeliveryError, match="how many nasal devices") as err:
        delivered_dose(route="intranasal", confirmed_mg=56, completed=False)
    assert err.value.field == "devices_used"
    with pytest.raises(DeliveryError, match="3 devices is more than the 2"):
        delivered_dose(route="intranasal", confirmed_mg=56, completed=False, devices_used=3)
    with pytest.raises(DeliveryError, match="not a whole number of 28 mg devices"):
        delivered_dose(route="intranasal", confirmed_mg=56, completed=False, delivered_mg=30)
    with pytest.raises(DeliveryError, match="whole devices"):
        delivered_dose(route="intranasal", confirmed_mg=56, completed=False, devices_used="1.5")
    with pytest.raises(DeliveryError, match="counted in devices"):
        delivered_dose(route="intranasal", confirmed_mg=56, completed=False, volume_infused_ml=5)


@pytest.mark.parametrize("route", ["iv", "intranasal"])
@pytest.mark.parametrize("figure, message", [("1e308", "far more than any session holds"), ("NaN", "as a number"),
                                             ("Infinity", "as a number")])
def test_absurd_figures_are_refused_not_crashed_on(route, figure, message):
    # 1e308 once reached the 28 mg device arithmetic and raised decimal.InvalidOperation (a 500 at the chair).
    with pytest.raises(DeliveryError, match=message) as err:
        delivered_dose(route=route, confirmed_mg=56, bag_volume_ml=100, completed=False, delivered_mg=figure)
    assert err.value.field == "delivered_mg"


def test_the_largest_figure_itself_is_read_and_then_judged_against_the_confirmed_dose():
    with pytest.raises(DeliveryError, match="more than the 35 mg confirmed") as err:
        iv(completed=False, delivered_mg="100000")
    assert err.value.field == "delivered_mg"
