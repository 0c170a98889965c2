"""Messages that leave the app (email, SMS) through Django's tasks API: the outbox, channels and preferences."""
