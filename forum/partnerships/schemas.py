"""API shapes of the partnership directory."""

from __future__ import annotations

from pydantic import BaseModel

from forum.partnerships.models import Partnership


class SectorRef(BaseModel):
    slug: str
    name: str


class PartnershipOut(BaseModel):
    id: int
    slug: str
    name: str
    url: str
    strand: int | None
    sectors: list[SectorRef]
    countries: list[str]
    targets_note: str | None
    website: str | None
    description: str
    aliases: list[str]

    @classmethod
    def of(cls, p: Partnership, base_url: str) -> PartnershipOut:
        return cls(
            id=p.id,
            slug=p.slug,
            name=p.name,
            url=f"{base_url}/partnerships/{p.slug}",
            strand=p.strand,
            sectors=[SectorRef(slug=s.slug, name=s.name) for s in p.sectors],
            countries=p.country_codes,
            targets_note=p.targets_note,
            website=p.website,
            description=p.description,
            aliases=list(p.aliases),
        )


class PartnershipList(BaseModel):
    items: list[PartnershipOut]
    next: str | None
