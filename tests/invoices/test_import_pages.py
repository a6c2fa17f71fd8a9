"""The import pages: upload checks, preview isolation, cancel, templates and the list-page links."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from invoices.batches import IMPORTERS
from invoices.models import ImportBatch, ImportStatus
from tests.spreadsheets import csv_bytes, read_csv_export, upload

pytestmark = pytest.mark.django_db


def test_another_tenant_cannot_open_a_batch_preview(world, client):
    batch = world.a.import_batch
    client.force_login(world.owner_b.user)
    assert client.get(reverse("imports:preview", args=[world.org_b.slug, batch.pk])).status_code == 404
    assert client.get(reverse("imports:preview", args=[world.org_a.slug, batch.pk])).status_code == 404
    assert client.post(reverse("imports:confirm", args=[world.org_b.slug, batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING


def test_the_stored_file_lives_under_the_organizations_folder(world):
    batch = world.a.import_batch
    assert batch.file.name.startswith(f"organizations/{world.org_a.pk}/imports/")
    assert batch.original_filename == "c.csv" and default_storage.exists(batch.file.name)


def test_the_owner_sees_counts_rows_and_the_import_button(world, owner_a_client):
    page = owner_a_client.get(reverse("imports:preview", args=[world.org_a.slug, world.a.import_batch.pk]))
    assert page.status_code == 200
    assert "Import 1 row" in page.content.decode() and "Nine" in page.content.decode()


def test_cancel_drops_the_batch_and_its_file(world, owner_a_client):
    batch = world.a.import_batch
    name = batch.file.name
    response = owner_a_client.post(reverse("imports:cancel", args=[world.org_a.slug, batch.pk]), follow=True)
    assert "Import cancelled; nothing was imported." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED and not default_storage.exists(name)
    assert (
        "Import 1 row"
        not in owner_a_client.get(reverse("imports:preview", args=[world.org_a.slug, batch.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoices.pdf", b"%PDF-1.4", "Upload a CSV or XLSX file."),
        ("invoices.xlsx", b"PK\x03\x04broken", "This file is not a readable Excel workbook (XLSX)."),
        ("invoices.csv", b"  \r\n ", "The file is empty."),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_on_upload(world, owner_a_client, name, content, message):
    before = ImportBatch.objects.count()
    response = upload(owner_a_client, world.org_a, kind="invoices", content=content, name=name)
    assert response.status_code == 400 and message in response.content.decode()
    assert ImportBatch.objects.count() == before


def test_files_over_20_mb_are_refused(world, owner_a_client, settings):
    content = csv_bytes([["number"]]) + b"x" * (20 * 1024 * 1024)
    response = upload(owner_a_client, world.org_a, kind="invoices", content=content, name="big.csv")
    assert response.status_code == 400 and "the limit is 20 MB" in response.content.decode()


@pytest.mark.parametrize("kind", ["customers", "invoices"])
def test_the_template_is_an_empty_csv_with_the_columns(world, owner_a_client, kind):
    response = owner_a_client.get(reverse(f"imports:{kind}-template", args=[world.org_a.slug]))
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-template.csv"'
    assert read_csv_export(response.content) == [list(IMPORTERS[kind].columns)]


def test_the_start_page_offers_both_kinds_and_lists_recent_imports(world, owner_a_client):
    page = owner_a_client.get(reverse("imports:start", args=[world.org_a.slug]) + "?kind=invoices")
    assert page.context["form"]["kind"].value() == "invoices"
    assert list(page.context["batches"]) == [world.a.import_batch]


def test_the_list_page_component_links_to_import_and_filtered_exports(world):
    request = RequestFactory().get("/o/acme-be/invoices/?status=open&q=2026")
    html = render_to_string(
        "components/import_export_links.html", {"kind": "invoices", "organization": world.org_a, "request": request}
    )
    assert f'href="/o/{world.org_a.slug}/imports/?kind=invoices"' in html
    assert f'href="/o/{world.org_a.slug}/imports/invoices/export/?status=open&amp;q=2026&amp;format=xlsx"' in html
