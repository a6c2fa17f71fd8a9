"""Every page carries a Content-Security-Policy that runs no inline script, and the templates hold none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from mandates.links import signing_path

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url",
    [
        lambda world: reverse("login"),
        lambda world: reverse("dashboard", args=[world.org_a.slug]),
        lambda world: reverse("customers:list", args=[world.org_a.slug]),
        lambda world: reverse("invoices:detail", args=[world.org_a.slug, world.a.invoice.pk]),
        lambda world: reverse("two-factor"),
        lambda world: signing_path(world.a.mandate),
        lambda world: reverse("api:docs"),
    ],
)
def test_pages_forbid_inline_scripts_and_framing(world, owner_a_client, url):
    response = owner_a_client.get(url(world))
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]


def test_only_the_redoc_page_relaxes_styles_and_never_scripts(world, client):
    policy = directives(client.get(reverse("api:redoc")))
    assert "'unsafe-inline'" in policy["style-src"]
    assert policy["script-src"] == ["'self'"]


def template_files():
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    for root in roots:
        yield from root.rglob("*.html")


def test_no_template_has_an_inline_script_or_handler():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"|<style|\sstyle=\"")
    # PDFs are rendered by WeasyPrint, never served as pages.
    offline = ("_pdf.html",)
    found = [
        f"{path}: {match.group(0)}"
        for path in template_files()
        if not any(part in str(path) for part in offline)
        for match in inline.finditer(path.read_text())
    ]
    assert found == []
