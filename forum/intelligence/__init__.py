"""The intelligence repository: country- and sector-tagged items, sources, feeds, attachments."""
