"""protocols (pure core, no Django)."""
