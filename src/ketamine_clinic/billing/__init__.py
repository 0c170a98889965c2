"""Billing codes on the session record (CPT, HCPCS) and their export for the clinic's claims (no submission)."""
