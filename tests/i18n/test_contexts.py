"""One English word, two meanings, two translations: the words the translators found
ambiguous carry a gettext context (`pgettext`), and each language translates each
meaning on its own."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.intelligence.models import KIND_LABELS as INTEL_KINDS
from forum.portal.notifications_views import KIND_LABELS as NOTIFICATION_KINDS
from tests.conftest import Client, sign_in
from tests.i18n.test_catalogs import LANGUAGES

# The word, and the contexts it has: each context translated, and differently.
AMBIGUOUS = {
    "Report": ("intelligence type", "notification kind"),
    "Reply": ("action", "notification kind"),
    "From": ("email header", "date range"),
    "To": ("email header", "date range"),
}


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_meaning_of_an_ambiguous_word_has_its_own_translation(code: str) -> None:
    catalog = i18n.translations(code)
    for word, contexts in AMBIGUOUS.items():
        translated = [catalog.upgettext(context, word) for context in contexts]
        assert word not in translated, (code, word, translated)
        assert len(set(translated)) == len(contexts), (code, word, translated)


def test_the_labels_written_at_import_time_take_their_context() -> None:
    with i18n.using("fr"):
        assert INTEL_KINDS["report"] == "Rapport"
        assert str(NOTIFICATION_KINDS["flag"]) == "Signalement"
        assert str(NOTIFICATION_KINDS["reply"]) == "Réponse"
    with i18n.using("pl"):
        assert INTEL_KINDS["report"] == "Raport"
        assert str(NOTIFICATION_KINDS["flag"]) == "Zgłoszenie"
    assert INTEL_KINDS["report"] == str(NOTIFICATION_KINDS["flag"]) == "Report"  # English


def test_the_analytics_date_range_reads_as_dates_not_as_an_email(
    client: Client, db: Session, admin: User
) -> None:
    admin.language = "fr"
    db.flush()
    sign_in(client, db, admin)
    page = client.get("/admin/analytics").text
    assert '<label for="analytics-from">Du</label>' in page
    assert '<label for="analytics-to">Au</label>' in page
    assert "Expéditeur" not in page and "Destinataire" not in page
