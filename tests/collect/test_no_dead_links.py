"""Every link a user can follow from the dashboard leads somewhere: no 404, no 500."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("#", "mailto:", "javascript:")):
            self.links.append(href)


def links_on(page_url: str, content: bytes) -> set[str]:
    parser = LinkParser()
    parser.feed(content.decode())
    return {urlparse(urljoin(page_url, href))._replace(fragment="").geturl() for href in parser.links}


@pytest.mark.parametrize("who", ["owner_a", "member_a"])
def test_every_link_reachable_from_the_dashboard_works(world, client, who):
    client.force_login(getattr(world, who).user)
    start = reverse("dashboard", args=[world.org_a.slug])
    seen, queue = {start}, [start]
    while queue and len(seen) < 150:
        url = queue.pop(0)
        response = client.get(url, follow=True)
        assert response.status_code == 200, f"{url} gave {response.status_code}"
        if "text/html" not in response["Content-Type"]:
            continue
        for link in links_on(url, response.content) - seen:
            if link.startswith("/") and not link.startswith(("/admin/", "/static/")):
                seen.add(link)
                queue.append(link)
    assert len(seen) > 15
