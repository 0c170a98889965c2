"""inventory (pure core, no Django)."""
