"""Pages and services that gather several domains: home, country and sector pages,
partnership profiles, member pages, notifications, and a member's data (export, erasure)."""
