"""Models of the inventory app."""

from django.db import models  # noqa: F401
