"""tools/load."""
