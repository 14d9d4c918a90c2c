"""sector names in the forum's languages

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 12:40:00.000000

Issue 24 (five languages): a sector has a name per language besides its English `name`
(`sector.names`, {"fr": "Agroalimentaire", ...}; a reader whose language has none reads
`name`). The report's sectors already there get theirs: those of
forum.taxonomy.service.REPORT_SECTOR_NAMES, copied below as they were at this revision.
Search documents carry their sectors' names: each named sector gets the worker's
`search-requeue-sector` job, as an admin's rename does, so that "agroalimentaire" finds
what is tagged Food industry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

sector = sa.table(
    "sector", sa.column("id", sa.Integer()), sa.column("slug", sa.String()),
    sa.column("names", sa.JSON()),
)  # fmt: skip
# forum.discovery.jobs.REQUEUE_SECTOR, as it was named at this revision.
REQUEUE_SECTOR = "search-requeue-sector"
job = sa.table(
    "job",
    sa.column("kind", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("run_after", forum.core.db.UTCDateTime()),
    sa.column("attempts", sa.Integer()),
    sa.column("max_attempts", sa.Integer()),
    sa.column("created_at", forum.core.db.UTCDateTime()),
)

NAMES: dict[str, dict[str, str]] = {
    "blue-energy": {
        "fr": "Énergies marines",
        "de": "Meeresenergie",
        "es": "Energías marinas",
        "it": "Energie marine",
        "pl": "Energetyka morska",
    },
    "cosmetics": {
        "fr": "Cosmétique",
        "de": "Kosmetik",
        "es": "Cosmética",
        "it": "Cosmetica",
        "pl": "Przemysł kosmetyczny",
    },
    "digital": {
        "fr": "Industrie numérique",
        "de": "Digitalwirtschaft",
        "es": "Industria digital",
        "it": "Industria digitale",
        "pl": "Przemysł cyfrowy",
    },
    "energy": {
        "fr": "Énergie",
        "de": "Energie",
        "es": "Energía",
        "it": "Energia",
        "pl": "Energetyka",
    },
    "environmental-observation": {
        "fr": "Observation de l'environnement",
        "de": "Umweltbeobachtung",
        "es": "Observación medioambiental",
        "it": "Osservazione ambientale",
        "pl": "Monitoring środowiska",
    },
    "food": {
        "fr": "Agroalimentaire",
        "de": "Lebensmittelindustrie",
        "es": "Industria alimentaria",
        "it": "Industria alimentare",
        "pl": "Przemysł spożywczy",
    },
    "food-innovation": {
        "fr": "Innovation alimentaire",
        "de": "Lebensmittelinnovation",
        "es": "Innovación alimentaria",
        "it": "Innovazione alimentare",
        "pl": "Innowacje spożywcze",
    },
    "healthcare": {
        "fr": "Santé",
        "de": "Gesundheitswirtschaft",
        "es": "Salud",
        "it": "Sanità",
        "pl": "Ochrona zdrowia",
    },
    "high-tech": {
        "fr": "Industries de haute technologie",
        "de": "Hochtechnologie",
        "es": "Industria de alta tecnología",
        "it": "Industria high-tech",
        "pl": "Przemysł zaawansowanych technologii",
    },
    "sustainable-hospitality": {
        "fr": "Hôtellerie durable",
        "de": "Nachhaltiges Gastgewerbe",
        "es": "Hostelería sostenible",
        "it": "Ospitalità sostenibile",
        "pl": "Zrównoważone hotelarstwo",
    },
    "maritime-observation": {
        "fr": "Observation maritime",
        "de": "Meeresbeobachtung",
        "es": "Observación marítima",
        "it": "Osservazione marittima",
        "pl": "Obserwacja morza",
    },
    "media": {
        "fr": "Médias",
        "de": "Medien",
        "es": "Medios de comunicación",
        "it": "Media",
        "pl": "Media",
    },
    "railway": {
        "fr": "Innovation ferroviaire",
        "de": "Bahninnovation",
        "es": "Innovación ferroviaria",
        "it": "Innovazione ferroviaria",
        "pl": "Innowacje kolejowe",
    },
    "renewable-energy": {
        "fr": "Énergies renouvelables",
        "de": "Erneuerbare Energien",
        "es": "Energías renovables",
        "it": "Energie rinnovabili",
        "pl": "Odnawialne źródła energii",
    },
    "smart-mobility": {
        "fr": "Mobilité intelligente",
        "de": "Intelligente Mobilität",
        "es": "Movilidad inteligente",
        "it": "Mobilità intelligente",
        "pl": "Inteligentna mobilność",
    },
    "textile": {
        "fr": "Textile",
        "de": "Textilindustrie",
        "es": "Industria textil",
        "it": "Tessile",
        "pl": "Przemysł tekstylny",
    },
}


def upgrade() -> None:
    # Not in a batch: on SQLite a batch would rebuild the table and, foreign keys on,
    # delete the tags that point at the old one. The default fills the rows already there.
    op.add_column(
        "sector",
        sa.Column("names", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    for slug, names in NAMES.items():
        op.execute(sector.update().where(sector.c.slug == slug).values(names=names))
    named = op.get_bind().scalars(
        sa.select(sector.c.id).where(sector.c.slug.in_(list(NAMES))).order_by(sector.c.id)
    )
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"kind": REQUEUE_SECTOR, "payload": {"sector_id": sector_id}, "status": "queued",
         "run_after": now, "attempts": 0, "max_attempts": 5, "created_at": now}
        for sector_id in named
    ]  # fmt: skip
    if rows:
        op.bulk_insert(job, rows)


def downgrade() -> None:
    # In place (SQLite drops a plain column since 3.35), as 0014 does.
    op.execute("ALTER TABLE sector DROP COLUMN names")
