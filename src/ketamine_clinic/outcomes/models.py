"""Models of the outcomes app."""

from django.db import models  # noqa: F401
