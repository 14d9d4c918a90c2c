"""Which language a page is written in: the profile, else the switcher's cookie, else
the browser's Accept-Language, else English; the API stays English."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from tests.conftest import Client, sign_in
from tests.i18n.pseudo import pseudo


def html_lang(page: str) -> str:
    start = page.index("<html lang=") + len('<html lang="')
    return page[start : page.index('"', start)]


def test_english_without_any_choice(client: Client) -> None:
    page = client.get("/privacy")
    assert html_lang(page.text) == "en"
    assert page.headers["content-language"] == "en"
    assert "Accept-Language" in page.headers["vary"]


def test_accept_language_picks_the_first_language_we_have(
    client: Client, pseudo_locale: str, french: object
) -> None:
    headers = {"Accept-Language": "pt-BR, xx;q=0.8, fr;q=0.9, *;q=0.1"}
    assert html_lang(client.get("/privacy", headers=headers).text) == "fr"
    headers = {"Accept-Language": "pt-BR, xx;q=0.8"}
    page = client.get("/privacy", headers=headers).text
    assert html_lang(page) == "xx"
    assert pseudo("Language") in page
    # A language without a catalog is not offered: English.
    assert html_lang(client.get("/privacy", headers={"Accept-Language": "pt"}).text) == "en"


def test_the_cookie_beats_the_browser_and_the_profile_beats_the_cookie(
    client: Client, db: Session, member: User, pseudo_locale: str, french: object
) -> None:
    client.cookies.set(i18n.LANGUAGE_COOKIE, "xx")
    assert html_lang(client.get("/privacy", headers={"Accept-Language": "fr"}).text) == "xx"
    member.language = "fr"
    db.flush()
    sign_in(client, db, member)
    assert html_lang(client.get("/privacy", headers={"Accept-Language": "en"}).text) == "fr"


def test_a_cookie_naming_no_language_we_have_is_ignored(client: Client) -> None:
    client.cookies.set(i18n.LANGUAGE_COOKIE, "../../etc")
    assert html_lang(client.get("/privacy").text) == "en"


def test_the_switcher_works_without_javascript_for_a_visitor(
    client: Client, pseudo_locale: str
) -> None:
    page = client.get("/privacy").text
    assert 'action="/language"' in page and 'name="language"' in page
    response = client.post_form("/language", {"language": "xx", "next": "/privacy"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/privacy"  # type: ignore[attr-defined]
    assert html_lang(client.get("/privacy").text) == "xx"


def test_the_switcher_saves_a_members_choice_in_the_profile(
    client: Client, db: Session, member: User, pseudo_locale: str
) -> None:
    sign_in(client, db, member)
    client.post_form("/language", {"language": "xx", "next": "https://evil.example/"})
    db.refresh(member)
    assert member.language == "xx"
    client.cookies.delete(i18n.LANGUAGE_COOKIE)
    assert html_lang(client.get("/privacy").text) == "xx"


def test_the_switcher_refuses_a_language_we_do_not_have(client: Client) -> None:
    response = client.post_form("/language", {"language": "tlh", "next": "/"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Choose a language from the list." in response.text  # type: ignore[attr-defined]
    assert i18n.LANGUAGE_COOKIE not in client.cookies


def test_the_switcher_needs_the_csrf_token(client: Client, pseudo_locale: str) -> None:
    client.get("/privacy")
    response = client.post("/language", data={"language": "xx"})
    assert response.status_code == 403
    assert i18n.LANGUAGE_COOKIE not in client.cookies


def test_the_profile_offers_only_languages_with_a_catalog(
    client: Client, db: Session, member: User, pseudo_locale: str
) -> None:
    sign_in(client, db, member)
    page = client.get("/profile").text
    options = page[page.index('name="language"') :].split("</select>", 1)[0]
    offered = re.findall(r'<option value="([^"]*)"', options)
    # Portuguese and Dutch are known codes without a catalog: not offered.
    assert offered == ["en", "fr", "de", "es", "it", "pl", "xx"]


def test_sign_up_keeps_the_browsers_language_as_the_members_choice(
    client: Client, db: Session, pseudo_locale: str
) -> None:
    client.get("/register", headers={"Accept-Language": "xx"})
    response = client.post(
        "/register",
        data={
            "email": "new.member@example.eu",
            "name": "New Member",
            "password": "a long enough passphrase 42",
            "csrf_token": client.csrf_token(),
        },
        headers={"Accept-Language": "xx, en;q=0.5"},
    )
    assert response.status_code in (200, 303)
    user = db.query(User).filter_by(email="new.member@example.eu").one()
    assert user.language == "xx"


def test_the_api_answers_in_english_whatever_the_browser_says(
    client: Client, pseudo_locale: str
) -> None:
    client.cookies.set(i18n.LANGUAGE_COOKIE, "xx")
    response = client.get("/api/v1/me", headers={"Accept-Language": "xx"})
    assert response.status_code == 401
    assert "[" not in response.json()["detail"]
    assert "content-language" not in response.headers
