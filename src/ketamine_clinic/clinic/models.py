"""The healthcare setting: the clinic itself, as the SPRAVATO REMS and the forms sent outside name it.

A single-clinic install has exactly one ``Site`` (created by a data migration; ``services.current_site()``). Its
REMS certification is what lets esketamine be booked and dosed here (core.safety.rems).
"""

from django.conf import settings
from django.db import models


class Site(models.Model):
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True, max_length=1000)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # The setting's number in the SPRAVATO REMS, as the program's confirmation gives it.
    rems_setting_id = models.CharField("REMS setting number", max_length=60, blank=True)
    rems_certified_on = models.DateField("REMS certified on", null=True, blank=True)
    rems_certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinic setting"

    def __str__(self):
        return self.name

    @property
    def rems_certified(self) -> bool:
        return self.rems_certified_on is not None
