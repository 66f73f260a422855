"""app/services/imports."""
