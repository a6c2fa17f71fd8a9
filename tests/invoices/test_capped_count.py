"""A huge invoice list counts up to a cap ("10,000+"): the rows on every page stay exact, and a user who
pages to the end of the counted range gets the exact total and a working "Next"."""

from __future__ import annotations

from datetime import date

import pytest

from invoices import views
from invoices.models import Invoice
from tabular import pagination
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(world, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 30)
    monkeypatch.setattr(views, "PAGE_SIZE", 10)
    InvoiceFactory.create_batch(45, customer=world.a.customer, issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1))
    return Invoice.objects.filter(organization=world.org_a).count()


def url(world, query=""):
    return f"/o/{world.org_a.slug}/invoices/?sort=-days_overdue{query}"


def test_a_list_beyond_the_cap_shows_the_cap_and_exact_rows(world, owner_a_client, many):
    page = owner_a_client.get(url(world)).content.decode()
    assert 'data-testid="invoice-count">30+</span>' in page
    assert "Page 1 of more than 3" in page and 'rel="next"' in page
    assert page.count('<span class="badge open">') == 10  # the page's rows are all there


def test_paging_to_the_edge_counts_exactly(world, owner_a_client, many):
    pages = -(-many // 10)
    edge = owner_a_client.get(url(world, "&page=4")).content.decode()
    assert f'data-testid="invoice-count">{many}</span>' in edge
    assert f"Page 4 of {pages}" in edge and 'rel="next"' in edge
    beyond = owner_a_client.get(url(world, "&page=99")).content.decode()
    assert f"Page {pages} of {pages}" in beyond and 'rel="next"' not in beyond


def test_a_list_under_the_cap_shows_the_exact_count(world, owner_a_client, many):
    page = owner_a_client.get(url(world, "&q=no-such-invoice")).content.decode()
    assert 'data-testid="invoice-count">0</span>' in page
