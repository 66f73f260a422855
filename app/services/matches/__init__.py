"""app/services/matches."""
