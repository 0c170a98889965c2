"""The clinic setting through the API (mounted under /api/staff/): read it, change its details, record its SPRAVATO
REMS certification. The same services as the page."""

import datetime as dt

from django.db import transaction
from ninja import Router, Schema

from ketamine_clinic import access, audit

from . import services

router = Router(tags=["staff"])


class SiteOut(Schema):
    id: int
    name: str
    address: str
    phone: str
    email: str
    rems_setting_id: str
    rems_certified_on: dt.date | None
    rems_certified_by_id: int | None
    rems_certified: bool
    updated_at: dt.datetime


class SiteIn(Schema):
    """Only the fields given are changed; a certification is recorded when ``rems_certified_on`` is given."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    rems_setting_id: str | None = None
    rems_certified_on: dt.date | None = None


@router.get("/site", response=SiteOut, summary="The clinic setting and its SPRAVATO REMS certification")
def site(request):
    access.require(request.user, "clinic_settings", access.READ)
    row = services.current_site()
    audit.record(request, "read", row)
    return row


@router.post("/site", response=SiteOut,
             summary="Change the clinic setting and/or record its REMS certification (medical director; 422 naming "
                     "the field for a future date or an empty name)")
def change_site(request, payload: SiteIn):
    access.require(request.user, "clinic_settings", access.WRITE)
    data = payload.dict()
    row = services.current_site()
    details = {k: data[k] for k in services.SITE_FIELDS if data[k] is not None}
    with transaction.atomic():  # a refused certification takes the details' change back with it
        if details:
            row = services.update_site(request, row, **details)
        if data["rems_certified_on"] is not None:
            setting_id = data["rems_setting_id"] if data["rems_setting_id"] is not None else row.rems_setting_id
            row = services.record_rems_certification(request, row, setting_id, data["rems_certified_on"])
    return row
