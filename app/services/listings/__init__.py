"""app/services/listings."""
