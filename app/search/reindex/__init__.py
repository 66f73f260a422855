"""app/search/reindex."""
