"""The demo clinic as a healthcare setting: a synthetic address and contact, certified in the SPRAVATO REMS before
its first patient was seen (the consents were published 400 days back), through the clinic's services."""

import datetime as dt

from django.utils import timezone

from ketamine_clinic.accounts.models import Role
from ketamine_clinic.clinic import services

DEMO_SITE = {
    "name": "ketamine-clinic (demo)",
    "address": "100 Example Avenue, Suite 200\nSampletown, NY 10001",  # synthetic
    "phone": "+1 212 555 0100",  # 555-01xx: reserved for fiction
    "email": "frontdesk@clinic.example",
}
DEMO_REMS_SETTING_ID = "SYN-HCS-000100"  # synthetic: not a real REMS number
CERTIFIED_DAYS_AGO = 420


def seed(clinic) -> None:
    director = clinic.first(Role.DIRECTOR)
    site = services.current_site()
    blank = {field: value for field, value in DEMO_SITE.items() if field != "name" and not getattr(site, field)}
    if blank or not site.rems_certified:  # the REMS form needs the setting's address and telephone
        services.update_site(director, site, **(DEMO_SITE if not site.rems_certified else blank))
    if site.rems_certified:
        return
    certified_on = timezone.localdate(clinic.now) - dt.timedelta(days=CERTIFIED_DAYS_AGO)
    services.record_rems_certification(director, site, DEMO_REMS_SETTING_ID, certified_on)
