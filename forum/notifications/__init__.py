"""Follows (the one store of a member's interests) and in-app notifications."""
