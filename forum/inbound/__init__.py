"""Taking part by email: answers and new threads received by mail (docs/email.md)."""
