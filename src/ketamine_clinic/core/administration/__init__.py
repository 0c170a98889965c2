"""administration (pure core, no Django)."""
