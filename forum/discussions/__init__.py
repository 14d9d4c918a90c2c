"""Discussions: categories, threads, reply trees, good practices, moderation, mentions."""
