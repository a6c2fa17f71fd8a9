from __future__ import annotations


def test_the_browsers_favicon_request_finds_the_apps_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("collect/favicon.svg")
