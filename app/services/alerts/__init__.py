"""app/services/alerts."""
