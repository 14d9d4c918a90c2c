"""Flags on any content (posts, threads, intelligence items, profiles) and the moderators'
queue: above the content domains, since a flag may point at any of them."""
