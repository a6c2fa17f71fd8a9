"""403, 404, 500 and CSRF failures show the app's layout in the reader's language, not a bare line."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_a_member_sees_a_styled_403_inside_the_organization(world, client, settings):
    settings.DEBUG = False
    client.force_login(world.member_a.user)
    response = client.get(reverse("configuration:organization", args=[world.org_a.slug]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "You cannot open this page" in html and 'class="sidebar"' in html and "app.css" in html
    assert "403 Forbidden" not in html


def test_a_missing_page_is_a_styled_404_in_dutch(owner_a_client, settings):
    settings.DEBUG = False
    owner_a_client.cookies["django_language"] = "nl"
    response = owner_a_client.get("/o/acme-be/customers/999999/")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.content.decode()


def test_the_500_page_renders_without_request_or_database(django_assert_num_queries):
    with django_assert_num_queries(0), translation.override("fr"):
        html = loader.get_template("500.html").render()
    assert "Une erreur s’est produite" in html and "app.css" in html


def test_a_server_error_shows_the_500_page(rf, settings):
    from django.views.defaults import server_error

    settings.DEBUG = False
    response = server_error(rf.get("/"))
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_an_expired_form_gets_a_readable_csrf_page(world, settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner_a.user)
    response = client.post(reverse("logout"))
    html = response.content.decode()
    assert response.status_code == 403 and "The form expired" in html and "CSRF verification failed" not in html
