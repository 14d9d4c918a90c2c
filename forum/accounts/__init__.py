"""Accounts: users, sessions, roles, passwords, API tokens, profiles, privacy."""
