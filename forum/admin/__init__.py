"""The admin area: its shell and the audit log; each domain adds its own admin pages."""
