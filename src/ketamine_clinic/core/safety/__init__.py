"""safety (pure core, no Django)."""
