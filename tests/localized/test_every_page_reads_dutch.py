"""Every staff page, found by walking the URL routes, read by a Dutch reader of a Belgian organization: no amount
in the machine or English form (`90.00`) or left to Django (`90,00 EUR`), no English month or 12-hour clock
(`Dec. 3, 2026`, `9:11 a.m.`)."""

from __future__ import annotations

import html
import re

from django.conf import settings
from django.urls import reverse

from tests.isolation import ORGANIZATION_KWARG, SAMPLE_KWARGS, object_of, organization_routes

MACHINE_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(,\d{3})*\.\d{2}(?![\d.])")
# Django alone renders a Decimal as `10,00` in Dutch: no grouping, the currency code pasted after it.
AMOUNT_THEN_CODE = re.compile(r"\d[\d.,]*\s+(EUR|USD|GBP|CHF)\b")
ENGLISH_TIME = re.compile(
    r"\b(a\.m\.|p\.m\.|AM|PM)\b|\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"
)


def visible_text(page: str) -> str:
    """What a person reads: no scripts, styles, tag attributes (data for charts stays machine-readable)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


# Message templates and their preview show the e-mail as the customer reads it (messaging/templating.py renders
# message text, not the staff page's own figures).
MESSAGE_CONTENT = ("configuration/templates/",)


def url_for(route, organization) -> str:
    kwargs = {ORGANIZATION_KWARG: organization.slug}
    if "pk" in route.kwargs:
        kwargs["pk"] = object_of(route.model, organization).pk
    kwargs |= {name: SAMPLE_KWARGS[name] for name in route.kwargs - {ORGANIZATION_KWARG, "pk"}}
    return reverse(route.name, kwargs=kwargs)


def test_no_staff_page_shows_an_amount_in_the_machine_form_or_an_english_date_to_a_dutch_reader(world, client):
    client.force_login(world.owner_a.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    offenders = []
    for route in organization_routes():
        if "get" not in route.methods or any(part in route.pattern for part in MESSAGE_CONTENT):
            continue
        url = url_for(route, world.org_a)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        text = visible_text(response.content.decode())
        offenders += [f"{url}: {match.group(0)}" for match in MACHINE_AMOUNT.finditer(text)]
        offenders += [f"{url}: {match.group(0)}" for match in AMOUNT_THEN_CODE.finditer(text)]
        offenders += [f"{url}: {match.group(0)}" for match in ENGLISH_TIME.finditer(text)]
    assert offenders == [], "\n".join(offenders)
