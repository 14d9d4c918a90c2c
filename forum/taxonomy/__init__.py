"""Countries, region groups and sectors; the country and sector pages."""
