"""Email digests and immediate emails: preferences, planning, building, sending, unsubscribe."""
