"""The billing page's date range: two clinic days, as typed (a bad date is named and what was typed stays)."""

from django import forms

DATE_ERRORS = {"invalid": "Give a day that exists, as YYYY-MM-DD (e.g. 2026-12-01).", "required": "Give a date (YYYY-MM-DD)."}


class DateRangeForm(forms.Form):
    start = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date"}), error_messages=DATE_ERRORS
    )
    end = forms.DateField(
        label="Last day", widget=forms.DateInput(attrs={"type": "date"}), error_messages=DATE_ERRORS
    )
