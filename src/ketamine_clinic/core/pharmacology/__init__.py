"""pharmacology (pure core, no Django)."""
