"""The message templates page names its languages in the reader's language, not as codes or dicts."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def headers(client, organization, language: str) -> list[str]:
    client.cookies["django_language"] = language
    response = client.get(reverse("templates:list", args=[organization.slug]))
    html = response.content.decode()
    head = html.split("<thead>")[1].split("</thead>")[0]
    return [cell.split(">", 1)[1].split("</th>")[0] for cell in head.split("<th")[1:]]


def test_columns_are_language_names_in_english(owner_a_client, world):
    assert headers(owner_a_client, world.org_a, "en")[1:] == ["English", "Dutch", "French", "German"]


def test_columns_are_language_names_in_dutch(owner_a_client, world):
    assert headers(owner_a_client, world.org_a, "nl")[1:] == ["Engels", "Nederlands", "Frans", "Duits"]


def test_no_python_data_on_the_page(owner_a_client, world):
    html = owner_a_client.get(reverse("templates:list", args=[world.org_a.slug])).content.decode()
    assert "BIDI" not in html and "{'" not in html
