"""Input and output types the API's schemas share: the error answer, clinic wall-clock times, record ids, amounts.

These are input-shape rules (what a value must look like), checked by ninja before any view runs and published in
the OpenAPI schema; the clinic's own rules stay in ``core`` and the services.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, WithJsonSchema


class Error(Schema):
    """Every error answer: 400, 401, 403, 404, 409, 422."""

    detail: str | dict[str, list[str]] | list[dict] = Field(
        ...,
        description="What was refused and why, in the clinic's words: a sentence (400, 401, 403, 404, 409); for "
        "422 either the clinic's rules by field name ({field: [messages]}, '__all__' for the whole request) or "
        "the request's shape, one item per wrong value ([{loc, msg, type}], loc naming the field).",
    )


def _no_offset(value: dt.time) -> dt.time:
    # A time of day with an offset cannot be put on the clinic's clock without a date (summer time moves it).
    if value.tzinfo is not None:
        raise ValueError(
            "Give the time on the clinic's wall clock without an offset (e.g. 09:30); the clinic's time zone "
            "applies."
        )
    return value


# A time of day on the clinic's wall clock (settings.TIME_ZONE): "09:30" or "09:30:00", never an offset.
# JSON Schema's `format: time` requires an offset, so the schema states the shape it really is.
ClinicTime = Annotated[
    dt.time,
    AfterValidator(_no_offset),
    WithJsonSchema({
        "type": "string",
        "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
        "description": "A time of day on the clinic's wall clock (its time zone), HH:MM or HH:MM:SS, no offset.",
        "examples": ["09:30"],
    }),
]

# A record's id: the database's integer range (larger numbers name nothing; PostgreSQL refuses them).
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]

# A count of things (containers, devices, doses): never negative, never past what a clinic handles.
Count = Annotated[int, Field(ge=0, le=10_000)]

# An amount in mg or mL as a decimal: no more digits than the database keeps (12 digits, 3 after the point).
Amount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=3, allow_inf_nan=False)]


def _on_clinic_clock(value: dt.datetime) -> dt.datetime:
    # An instant with an offset is unambiguous; without one it is read on the clinic's wall clock, as the pages do.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# A moment: with an offset (any zone), or without one on the clinic's wall clock (settings.TIME_ZONE).
ClinicDateTime = Annotated[
    dt.datetime,
    AfterValidator(_on_clinic_clock),
    Field(description="ISO 8601; without an offset it is read on the clinic's wall clock (its time zone)."),
]
