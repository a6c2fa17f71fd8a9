from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_name_the_favicon_and_it_exists(owner_a_client, world):
    html = owner_a_client.get(reverse("dashboard", args=[world.org_a.slug])).content.decode()
    assert '<link rel="icon" href="/static/collect/favicon.svg" type="image/svg+xml">' in html
    path = finders.find("collect/favicon.svg")
    assert path and Path(path).read_text().startswith("<svg")
