"""The digest's HTML part from the template inlined once (`forum/digests/inlined.py`) is
byte for byte the old way's: the template rendered, then css-inline on the whole page.

The values are chosen to differ between the two when written naively: quotes,
ampersands, angle brackets, no-break spaces, CR LF, NUL, character references in
text, in attributes and in the subject (`<title>`); in English, in translated languages
and in the pseudo-locale; a highlights digest (the `{% trans %}` block) and one with
"and N more" and follow links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from markupsafe import Markup

from forum.accounts.models import User
from forum.core import i18n
from forum.core.config import Settings
from forum.digests import inlined, render
from forum.digests.digest import Digest, Entry, Section
from tests.i18n import pseudo

TRICKY = [
    "Food & drink: \"Japan\" <market> 'access'",
    "R&D &amp; &copy2 &#39; \xa0no-break\xa0 space",
    "line\r\nbreak\rand\x00nul",
    "Ünïcödé — 日本 🍣 · Łódź",
    "",
]


@pytest.fixture
def pseudo_locale() -> Iterator[None]:
    pseudo.install()
    yield
    pseudo.uninstall()


def _digest(user: User, text: str, *, highlights: bool) -> Digest:
    entries = [
        Entry(
            title=f"{text} {i}",
            url=f'http://testserver/intel/{i}?q={text}&x="1"\xa0\'',
            meta=text,
            excerpt=text * 2,
            reply_mailto=f"mailto:reply+{i}@in.example?subject=Re%3A {text}" if i % 2 else "",
        )
        for i in range(3)
    ]
    return Digest(
        user_id=user.id,
        period=dt.date(2026, 12, 7),
        window_start=dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC),
        window_end=dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC),
        sections=[
            Section(
                key="highlights" if highlights else "intel",
                title=f"New {text}",
                entries=entries,
                more=1234,
                more_url=f"http://testserver/intel?country=JP&sector={text}",
                follow_links=((f"Mute {text}", f"http://testserver/digests/interest/a{text}"),
                              ("Mute Japan", "http://testserver/digests/interest/b")),
                follow_all_url="http://testserver/digests/interests/c",
                summary=f"3 new on {text}",
            ),
            Section(key="deadlines", title="Calls", entries=entries[:1], summary=text),
        ],
        highlights=highlights,
    )  # fmt: skip


def _both(settings: Settings, user: User, digest: Digest) -> tuple[str, str]:
    env = render._env()
    with i18n.using(user.language, user.timezone):
        context = render._context(settings, user, digest)
        old = inlined.inliner().inline(env.get_template(inlined.TEMPLATE).render(context))
        new = inlined.template(env).render(context)
    return old, new


@pytest.mark.usefixtures("pseudo_locale")
@pytest.mark.parametrize("language", ["en", "fr", "de", "pl", pseudo.CODE])
def test_the_inlined_template_writes_the_old_ways_bytes(settings: Settings, language: str) -> None:
    for daily in (False, True):
        user = User(id=7, email="reader@example.invalid", name="Reader", language=language,
                    timezone="Asia/Tokyo", digest_frequency="daily" if daily else "weekly")  # fmt: skip
        for text in TRICKY:
            for highlights in (False, True):
                old, new = _both(settings, user, _digest(user, text, highlights=highlights))
                assert "<style" not in new and 'style="' in new
                assert new == old


def test_a_trusted_value_with_markup_is_inlined_the_old_way(settings: Settings) -> None:
    user = User(id=7, email="reader@example.invalid", name="Reader", language="en",
                timezone="Europe/Brussels", digest_frequency="weekly")  # fmt: skip
    digest = _digest(user, "x", highlights=False)
    with i18n.using("en", "Europe/Brussels"):
        context = render._context(settings, user, digest)
        context["heading"] = Markup("Your <b>digest</b>")
        with pytest.raises(inlined.NotPlain):
            inlined.template(render._env()).render(context)
        old = inlined.inliner().inline(render._env().get_template(inlined.TEMPLATE).render(context))
        assert render._html(context) == old
