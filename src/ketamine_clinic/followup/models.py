"""Models of the followup app."""

from django.db import models  # noqa: F401
