"""followup (pure core, no Django)."""
