"""app/services/royalty."""
