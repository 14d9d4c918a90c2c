"""Search: documents, the outbox that keeps the index in step, the search page and API."""
