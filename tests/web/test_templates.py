"""The pages' template engine (rongcuo.web.jinja): every page template compiles, and a page reads as it did under
Django's engine (dict keys first, Django's filters, localized dates, lenient missing values, trusted texts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from rongcuo.web import jinja

ENGINE = next(e for e in engines.all() if isinstance(e, jinja.Jinja2))


def render(source: str, **context: object) -> str:
    return ENGINE.from_string(source).render(context)


def test_every_page_template_compiles() -> None:
    paths = sorted(Path(jinja.__file__).parents[1].glob("*/jinja2/**/*.html"))
    assert len(paths) > 30
    for path in paths:  # a syntax error anywhere, even on a page no other test opens, fails here
        ENGINE.env.get_template(str(path.relative_to(next(p for p in path.parents if p.name == "jinja2"))))


def test_texts_are_trusted_and_the_values_in_them_escaped() -> None:
    with translation.override("en"):
        assert render('{{ t("经理的", "the manager\'s") }}') == "the manager's"
        assert render('{{ t("共 {n} 件", "{n} <b>cases</b>", n=v) }}', v="<i>") == "&lt;i&gt; <b>cases</b>"
    with translation.override("zh-hans"):
        assert render('{{ t("共 {n} 件", "{n} cases", n=3) }}') == "共 3 件"


def test_lookups_and_filters_keep_djangos_meaning() -> None:
    row = {"items": [1, 2], "values": "v"}
    assert render("{{ r.items|length }} {{ r.values }}", r=row) == "2 v"  # the key, not dict.items
    assert render('{{ x|default("—") }}|{{ 0|default("—") }}|{{ missing|default("—") }}', x="a") == "a|—|—"
    assert render("{{ missing|length }}|{{ none.a.b }}|{{ missing.a.b }}", none=None) == "0||"
    assert render('{{ d|date("Y-m-d") }}', d=dt.date(2026, 11, 23)) == "2026-11-23"
    assert render('{{ s|slice(":3") }}', s="abcdef") == "abc"
    with translation.override("zh-hans"):  # a date printed as it is: localized, as Django's engine prints it
        assert render("{{ d }}", d=dt.date(2026, 11, 23)) == "2026年11月23日"
    assert render("{{ s }}", s="<script>") == "&lt;script&gt;"


def test_a_stored_datetime_is_shown_in_the_current_time_zone_and_a_missing_value_is_none() -> None:
    at = dt.datetime(2026, 11, 23, 22, 59, tzinfo=dt.UTC)  # stored in UTC: 06:59 the next day in Beijing
    assert render('{{ at|date("Y-m-d H:i") }}', at=at) == "2026-11-24 06:59"
    # Django's engine compares a missing variable as None: a section guarded by `x is not none` stays hidden
    assert render("{% if missing is not none %}shown{% endif %}|{% if missing is none %}none{% endif %}") == "|none"
    assert render("{% if x is not none %}shown{% endif %}", x=[]) == "shown"


def test_a_view_value_named_like_a_helper_is_refused_with_a_message() -> None:
    template = ENGINE.get_template("web/_clause.html")
    with pytest.raises(ImproperlyConfigured, match=r"\['t'\].*rename"):
        template.render({"t": object(), "cl": None})


def test_the_views_values_win_over_the_context_processors(rf: RequestFactory) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    out = ENGINE.from_string("{{ here }}|{{ ui_lang }}").render({"here": "/mine"}, request)
    assert out.startswith("/mine|")
