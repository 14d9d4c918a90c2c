"""The core: what every domain needs and that knows no domain (settings, database, jobs,
search outbox writer, audit log, mail, uploads, text, pagination, security, errors)."""
