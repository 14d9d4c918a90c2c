"""The partnership directory."""
