"""The HTML shell (base layout, error page, UI macros) renders accessible, CSP-safe markup.

Plain Jinja2, no application: the templates must stand on their own, because the error
page is also rendered when the database is down.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader

from forum.core import jinja_i18n

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NONCE = "n0nce-abc123"
CSRF = "csrf-token-xyz"
NAV_KEYS = [
    "discussions",
    "intelligence",
    "countries",
    "events",
    "partnerships",
    "insights",
    "search",
]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    form: str | None = None  # the action of the <form> the element sits in


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of one rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: list[str] = []
        self._form: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self._form)
        self.elements.append(element)
        if tag == "form":
            self._form = element.attrs.get("action") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Elements by tag and exact attribute values (`for_` -> for, `aria_label` -> aria-label)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            el
            for el in self.elements
            if (tag is None or el.tag == tag)
            and all(el.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    jinja_i18n.install_jinja(env)
    return env


def fake_request(path: str = "/") -> SimpleNamespace:
    return SimpleNamespace(url=SimpleNamespace(path=path), query_params={}, path_params={})


def shell_context(**overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "request": fake_request(),
        "csp_nonce": NONCE,
        "csrf_token": CSRF,
        "flashes": [],
        "nav": None,
        "current_user": None,
        "site_name": "Cluster Forum",
        "demo_notice": None,
    }
    context.update(overrides)
    return context


def render(env: Environment, name: str, **overrides: object) -> str:
    return env.get_template(name).render(shell_context(**overrides))


def macro(env: Environment, call: str, **context: object) -> Page:
    """Render one macro call, imported with context as pages do."""
    source = '{% import "macros/ui.html" as ui with context %}' + call
    return parse(env.from_string(source).render(shell_context(**context)))


def page_templates() -> list[str]:
    """Browser-facing templates (emails carry inlined CSS by design and are not served with the CSP)."""
    return sorted(
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*.html")
        if "email" not in p.relative_to(TEMPLATES).parts
    )


# --- every template ---------------------------------------------------------------------


def test_every_template_under_templates_parses(env: Environment) -> None:
    # parse() checks syntax only, so templates using the app's own filters still pass here.
    names = [p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*") if p.is_file()]
    assert "base.html" in names
    for name in names:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        env.parse(source, name=name)


@pytest.mark.parametrize("name", page_templates())
def test_page_templates_have_no_inline_styles_or_inline_scripts(name: str) -> None:
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert not re.search(r"\sstyle\s*=", source, re.I), (
        f"{name}: inline style= is blocked by the CSP"
    )
    assert not re.search(r"<style\b", source, re.I), f"{name}: <style> is blocked by the CSP"
    assert not re.search(r"\son[a-z]+\s*=", source, re.I), (
        f"{name}: inline event handlers are blocked by the CSP"
    )
    for tag in re.findall(r"<script\b[^>]*>", source, re.I):
        assert "src=" in tag, f"{name}: inline <script> is blocked by the CSP: {tag}"
        assert "nonce=" in tag, f"{name}: <script> without the CSP nonce: {tag}"


# --- base.html ----------------------------------------------------------------------------


def test_base_starts_with_doctype_and_english_lang(env: Environment) -> None:
    html = render(env, "base.html")
    assert html.lstrip().lower().startswith("<!doctype html>")
    page = parse(html)
    assert page.one("html").attrs["lang"] == "en"
    assert page.find("meta", name="viewport")
    assert page.one("link", rel="stylesheet").attrs["href"] == "/static/css/forum.css"


def test_base_skip_link_is_the_first_link_and_targets_focusable_main(env: Environment) -> None:
    page = parse(render(env, "base.html"))
    first_link = page.find("a")[0]
    assert first_link.attrs["href"] == "#main"
    assert "skip-link" in (first_link.attrs["class"] or "")
    main = page.one("main")
    assert main.attrs["id"] == "main"
    assert main.attrs["tabindex"] == "-1"


def test_base_has_banner_main_contentinfo_and_labelled_nav(env: Environment) -> None:
    page = parse(render(env, "base.html"))
    assert page.one("header", role="banner")
    assert page.one("main")
    assert page.one("footer", role="contentinfo")
    assert page.one("nav", aria_label="Main")
    search = page.one("form", role="search")
    assert search.attrs["action"] == "/search"
    assert (search.attrs["method"] or "").lower() == "get"


def test_base_search_input_has_a_real_label(env: Environment) -> None:
    page = parse(render(env, "base.html"))
    query = page.one("input", name="q")
    assert page.one("label", for_=query.attrs["id"] or "")


def test_base_main_nav_links(env: Environment) -> None:
    page = parse(render(env, "base.html"))
    hrefs = [el.attrs["href"] for el in page.find("a")]
    for href in [
        "/discussions",
        "/intel",
        "/countries",
        "/events",
        "/partnerships",
        "/insights",
        "/search",
    ]:
        assert href in hrefs
    assert "/privacy" in hrefs and "/api/docs" in hrefs
    assert "2019 ECCP consultation of the ESCP-4i partnerships" in page.text


@pytest.mark.parametrize("key", NAV_KEYS)
def test_only_the_active_nav_item_carries_aria_current(env: Environment, key: str) -> None:
    page = parse(render(env, "base.html", nav=key))
    current = page.find(aria_current="page")
    assert len(current) == 1
    expected = {"intelligence": "/intel"}.get(key, f"/{key}")
    assert current[0].attrs["href"] == expected


def test_no_nav_item_is_current_without_a_section(env: Environment) -> None:
    assert parse(render(env, "base.html", nav=None)).find(aria_current="page") == []


def test_home_marks_the_site_name_link_current(env: Environment) -> None:
    current = parse(render(env, "base.html", nav="home")).find(aria_current="page")
    assert [el.attrs["href"] for el in current] == ["/"]


def test_every_script_carries_the_nonce_and_none_is_inline(env: Environment) -> None:
    page = parse(render(env, "base.html"))
    scripts = page.find("script")
    assert scripts, "htmx must be loaded"
    for script in scripts:
        assert script.attrs.get("nonce") == NONCE
        assert script.attrs.get("src")
    sources = [script.attrs["src"] for script in scripts]
    assert sources[0] == "/static/vendor/htmx.min.js"
    assert all(src.startswith("/static/") for src in sources), sources


def test_rendered_base_has_no_style_attribute(env: Environment) -> None:
    html = render(
        env, "base.html", flashes=[SimpleNamespace(level="info", message="Hi")], demo_notice="Demo"
    )
    assert not re.search(r"\sstyle\s*=", html, re.I)
    assert all("style" not in el.attrs for el in parse(html).elements)


def test_htmx_config_turns_off_eval_and_injected_styles_and_passes_the_nonce(
    env: Environment,
) -> None:
    meta = parse(render(env, "base.html")).one("meta", name="htmx-config")
    config = json.loads(meta.attrs["content"] or "")
    assert config == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "inlineScriptNonce": NONCE,
    }


def test_title_joins_page_title_and_site_name(env: Environment) -> None:
    child = env.from_string('{% extends "base.html" %}{% block title %}Discussions{% endblock %}')
    assert "<title>Discussions · Cluster Forum</title>" in child.render(shell_context())
    assert "<title>Cluster Forum</title>" in render(env, "base.html")


def test_anonymous_visitor_sees_log_in_and_join(env: Environment) -> None:
    page = parse(render(env, "base.html", current_user=None))
    hrefs = {el.attrs["href"] for el in page.find("a")}
    assert {"/login", "/register"} <= hrefs
    assert not page.find("form", action="/logout")


def test_member_sees_profile_link_and_a_csrf_protected_logout_form(env: Environment) -> None:
    user = SimpleNamespace(id=7, name="Ana <Cluster> Manager")
    html = render(env, "base.html", current_user=user)
    assert "Ana &lt;Cluster&gt; Manager" in html
    page = parse(html)
    hrefs = {el.attrs["href"] for el in page.find("a")}
    assert "/profile" in hrefs and "/login" not in hrefs
    form = page.one("form", action="/logout")
    assert (form.attrs["method"] or "").lower() == "post"
    [token] = [el for el in page.find("input", name="csrf_token") if el.form == "/logout"]
    assert token.attrs["value"] == CSRF


def test_flashes_are_escaped_inside_a_status_region(env: Environment) -> None:
    flashes = [
        SimpleNamespace(level="success", message="Saved <b>ok</b>"),
        SimpleNamespace(level="error", message="Failed"),
    ]
    html = render(env, "base.html", flashes=flashes)
    assert "Saved &lt;b&gt;ok&lt;/b&gt;" in html
    region = re.search(r'<div[^>]*role="status"[^>]*>(.*?)</main>', html, re.S)
    assert (
        region
        and "flash flash-success" in region.group(1)
        and "flash flash-error" in region.group(1)
    )


def test_demo_notice_is_shown_only_when_set(env: Environment) -> None:
    notice = "Demo data from the 2019 ECCP consultation report"
    assert notice in render(env, "base.html", demo_notice=notice)
    assert "demo-notice" not in render(env, "base.html", demo_notice=None)


def test_base_adds_no_h1_of_its_own(env: Environment) -> None:
    assert parse(render(env, "base.html")).find("h1") == []


# --- errors/error.html ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_code", "title"),
    [
        (403, "Forbidden"),
        (404, "Page not found"),
        (429, "Too many requests"),
        (500, "Server error"),
        (503, "Unavailable"),
    ],
)
def test_error_page_shows_code_title_detail_and_ways_out(
    env: Environment, status_code: int, title: str
) -> None:
    html = render(
        env, "errors/error.html", status_code=status_code, title=title, detail="Because <reasons>"
    )
    page = parse(html)
    assert len(page.find("h1")) == 1
    assert f"<h1>{title}</h1>" in html
    assert f"<title>{title} · Cluster Forum</title>" in html
    assert str(status_code) in page.text
    assert "Because &lt;reasons&gt;" in html
    body = html.split('class="error-page"', 1)[1].split("</main>", 1)[0]
    hrefs = [el.attrs["href"] for el in parse(body).find("a")]
    assert "/" in hrefs and "/search" in hrefs


def test_error_page_renders_without_user_flashes_nav_or_request(env: Environment) -> None:
    html = env.get_template("errors/error.html").render(
        status_code=503, title="Service unavailable", detail="Down"
    )
    page = parse(html)
    assert page.one("main").attrs["id"] == "main"
    assert page.one("h1")
    assert "Log in" in page.text
    assert "Service unavailable · Cluster Forum" in html


def test_error_page_has_friendly_defaults_per_status(env: Environment) -> None:
    html = env.get_template("errors/error.html").render(status_code=404)
    assert "<h1>Page not found</h1>" in html
    assert "couldn" in html


# --- macros/ui.html -------------------------------------------------------------------------


def test_field_label_points_at_its_input(env: Environment) -> None:
    page = macro(
        env, '{{ ui.field("title", "Title", value="Hello", required=True, autocomplete="off") }}'
    )
    control = page.one("input", name="title")
    assert page.one("label", for_=control.attrs["id"] or "")
    assert control.attrs["value"] == "Hello"
    assert "required" in control.attrs
    assert control.attrs["autocomplete"] == "off"
    assert "aria-invalid" not in control.attrs
    assert "aria-describedby" not in control.attrs


def test_field_with_help_and_error_is_described_and_invalid(env: Environment) -> None:
    page = macro(
        env,
        '{{ ui.field("email", "Email", type="email", help="Work address", error="Enter an email") }}',
    )
    control = page.one("input", name="email")
    assert control.attrs["type"] == "email"
    assert control.attrs["aria-invalid"] == "true"
    described = (control.attrs["aria-describedby"] or "").split()
    assert len(described) == 2
    help_el, error_el = (page.one(id=ident) for ident in described)
    assert "form-help" in (help_el.attrs["class"] or "")
    assert "form-error" in (error_el.attrs["class"] or "")
    assert "Enter an email" in page.text and "Work address" in page.text


def test_password_field_never_echoes_its_value(env: Environment) -> None:
    page = macro(env, '{{ ui.field("password", "Password", value="secret", type="password") }}')
    assert "value" not in page.one("input", name="password").attrs


def test_textarea_label_pairing_and_escaped_value(env: Environment) -> None:
    source = '{{ ui.textarea("body", "Message", value="<b>hi</b>", error="Too short", rows=5) }}'
    html = env.from_string('{% import "macros/ui.html" as ui with context %}' + source).render(
        shell_context()
    )
    page = parse(html)
    area = page.one("textarea", name="body")
    assert page.one("label", for_=area.attrs["id"] or "")
    assert area.attrs["rows"] == "5"
    assert area.attrs["aria-invalid"] == "true"
    assert "&lt;b&gt;hi&lt;/b&gt;" in html


def test_select_marks_the_selected_value(env: Environment) -> None:
    page = macro(
        env,
        '{{ ui.select("kind", "Kind", [("news", "News"), ("report", "Report")], selected="report") }}',
    )
    control = page.one("select", name="kind")
    assert page.one("label", for_=control.attrs["id"] or "")
    assert "multiple" not in control.attrs
    options = page.find("option")
    assert [o.attrs["value"] for o in options] == ["news", "report"]
    assert ["selected" in o.attrs for o in options] == [False, True]


def test_multiple_select_marks_every_selected_value(env: Environment) -> None:
    call = '{{ ui.select("countries", "Countries", [("JP", "Japan"), ("US", "United States"), ("MA", "Morocco")], selected=["JP", "MA"], multiple=True) }}'
    page = macro(env, call)
    assert "multiple" in page.one("select").attrs
    assert [o.attrs["value"] for o in page.find("option") if "selected" in o.attrs] == ["JP", "MA"]


def test_csrf_macro_sees_the_token_when_imported_with_context(env: Environment) -> None:
    hidden = macro(env, "{{ ui.csrf() }}").one("input")
    assert hidden.attrs == {"type": "hidden", "name": "csrf_token", "value": CSRF}


def test_tags_link_countries_and_sectors(env: Environment) -> None:
    countries = [
        SimpleNamespace(code="JP", name="Japan"),
        SimpleNamespace(code="MA", name="Morocco"),
    ]
    sectors = [SimpleNamespace(slug="agrifood", name="Agri-food")]
    page = macro(env, "{{ ui.tags(countries, sectors) }}", countries=countries, sectors=sectors)
    assert [el.attrs["href"] for el in page.find("a")] == [
        "/countries/JP",
        "/countries/MA",
        "/sectors/agrifood",
    ]
    assert page.one("ul")
    assert macro(env, "{{ ui.tags([], []) }}").elements == []


def test_form_errors_is_an_alert_linking_to_each_field(env: Environment) -> None:
    page = macro(
        env,
        "{{ ui.form_errors(errors) }}",
        errors={"title": "Enter a title", "__all__": "Try again"},
    )
    assert page.one("div", role="alert")
    assert [el.attrs["href"] for el in page.find("a")] == ["#title"]
    assert "Enter a title" in page.text and "Try again" in page.text
    assert macro(env, "{{ ui.form_errors({}) }}").elements == []


def test_pagination_renders_nothing_without_links(env: Environment) -> None:
    assert macro(env, '{{ ui.pagination(None, None, "Page 1 of 1") }}').elements == []


def test_pagination_has_labelled_nav_prev_next_and_status(env: Environment) -> None:
    page = macro(env, '{{ ui.pagination("/intel?page=1", "/intel?page=3", "Page 2 of 3") }}')
    assert page.one("nav", aria_label="Pagination")
    assert page.one("a", rel="prev").attrs["href"] == "/intel?page=1"
    assert page.one("a", rel="next").attrs["href"] == "/intel?page=3"
    assert page.one("span", class_="pagination-status")
    assert "Page 2 of 3" in page.text


def test_empty_state_with_and_without_action(env: Environment) -> None:
    page = macro(
        env,
        '{{ ui.empty_state("No events yet", "Add the first one.", "/events/new", "Add an event") }}',
    )
    assert page.one("div", class_="empty-state")
    assert page.one("a").attrs["href"] == "/events/new"
    assert "No events yet" in page.text and "Add an event" in page.text
    assert macro(env, '{{ ui.empty_state("Nothing", "Nothing here.") }}').find("a") == []
