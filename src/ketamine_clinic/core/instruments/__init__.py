"""instruments (pure core, no Django)."""
