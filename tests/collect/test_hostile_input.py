"""Odd input gets a clear answer, never a server error, and never tells another tenant's ids apart."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers.models import Customer
from invoices.models import ImportBatch
from invoices.tasks import run_import_batch
from reminders.models import FollowUpStep
from tests.spreadsheets import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999", "-1", "0"])
def test_non_ascii_or_absurd_ids_are_just_unknown(world, owner_a_client, api_a, value):
    slug = world.org_a.slug
    assert owner_a_client.get(reverse("customers:list", args=[slug]), {"account_manager": value}).status_code == 200
    assert api_a.get("/api/v1/customers/", {"account_manager": value}).json()["results"] == []
    remind = owner_a_client.get(reverse("follow_up:remind", args=[slug]), {"invoices": value})
    assert remind.status_code == 302  # back to the list with "Select at least one open invoice"
    bulk = owner_a_client.post(
        reverse("customers:bulk", args=[slug]), {"action": "assign_account_manager", "ids": value}
    )
    assert bulk.status_code == 302


@pytest.mark.parametrize("value", ["1e20", "-1e20", "99999999"])
def test_absurd_overdue_ranges_find_nothing(world, owner_a_client, api_a, value):
    assert api_a.get("/api/v1/invoices/", {"overdue_min": value}).json()["results"] == []
    page = owner_a_client.get(reverse("invoices:list", args=[world.org_a.slug]), {"overdue_max": value})
    assert page.status_code == 200


def test_a_step_id_of_another_organization_is_as_unknown_as_a_missing_one(world, owner_a_client):
    foreign = FollowUpStep.objects.create(organization=world.org_b, plan=world.b.plan, position=1, name="B's",
                                          offset_days=5, channel="task")  # fmt: skip
    url = reverse("follow_up:plan", args=[world.org_a.slug, world.a.plan.pk])

    def post(step_id):
        return owner_a_client.post(url, {
            "name": "Standard", "grouping": "customer", "is_default": "on", "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0", "steps-0-id": str(step_id), "steps-0-name": "X", "steps-0-offset_days": "9",
            "steps-0-channel": "task", "steps-0-purpose": "",
        })  # fmt: skip

    assert post(foreign.pk).status_code == post(10**9).status_code
    foreign.refresh_from_db()
    assert (foreign.name, foreign.plan) == ("B's", world.b.plan)


def test_members_cannot_change_plans_through_the_api(world, api_client):
    api_client.force_login(world.member_a.user)
    response = api_client.post("/api/v1/follow-up-plans/", {"name": "Sneaky", "grouping": "customer",
                                                             "is_default": True, "steps": []},
                               format="json", HTTP_X_ORGANIZATION=world.org_a.slug)  # fmt: skip
    assert response.status_code == 403
    assert api_client.get("/api/v1/follow-up-plans/", HTTP_X_ORGANIZATION=world.org_a.slug).status_code == 200


ID_FILTERS = [
    ("/api/v1/payments/", "customer"),
    ("/api/v1/payments/", "invoice"),
    ("/api/v1/invoices/", "customer"),
    ("/api/v1/tasks/", "customer"),
    ("/api/v1/tasks/", "assigned_to"),
    ("/api/v1/contacts/", "customer"),
    ("/api/v1/mandates/", "customer"),
    ("/api/v1/mandates/", "profile"),
    ("/api/v1/dispatches/", "customer"),
    ("/api/v1/dispatches/", "invoice"),
    ("/api/v1/customers/", "profile"),
    ("/api/v1/collection-batches/", "profile"),
    ("/api/v1/collection-debits/", "batch"),
    ("/api/v1/collection-debits/", "invoice"),
    ("/api/v1/collection-debits/", "customer"),
]
FOREIGN = {
    "customer": "customer",
    "invoice": "invoice",
    "profile": "profile",
    "batch": "batch",
    "assigned_to": "membership",
}


@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
@pytest.mark.parametrize("value", ["1e20", "100000000000000000000", "abc", "-3", "0"])
def test_an_id_filter_with_an_impossible_id_finds_nothing(world, api_a, path, name, value):
    response = api_a.get(path, {name: value})
    assert response.status_code == 200 and response.json()["results"] == []


def _foreign_id(world, name):
    if name == "assigned_to":
        return world.owner_b.pk
    return getattr(world.b, FOREIGN[name]).pk


@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
def test_an_id_filter_does_not_tell_another_tenants_id_from_a_missing_one(world, api_a, path, name):
    foreign = api_a.get(path, {name: _foreign_id(world, name)})
    missing = api_a.get(path, {name: 10**9})
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json()) == (200, missing.json())
    assert missing.json()["results"] == []


def test_no_filter_set_offers_a_choice_over_every_tenants_rows():
    from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
    from django_filters.rest_framework import DjangoFilterBackend

    from collect.api.urls import router

    for _prefix, viewset, _basename in router.registry:
        filterset_class = DjangoFilterBackend().get_filterset_class(viewset(), viewset.model._default_manager.none())
        if filterset_class is None:
            continue
        for name, declared in filterset_class.base_filters.items():
            assert not isinstance(declared, ModelChoiceFilter | ModelMultipleChoiceFilter), (viewset, name)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("invoices:list", {"customer": "1e20"}),
        ("customers:list", {"profile": "100000000000000000000"}),
        ("mandates:list", {"customer": "1e20"}),
        ("mandates:list", {"profile": "1e20"}),
        ("imports:invoices-export", {"customer": "1e20"}),
        ("imports:customers-export", {"profile": "1e20"}),
    ],
)
def test_the_pages_and_the_export_take_impossible_ids_calmly(world, owner_a_client, name, query):
    response = owner_a_client.get(reverse(name, args=[world.org_a.slug]), query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # Nothing matched: no invoice row, and (for the customer export) no customer row.
    assert world.a.invoice.number.encode() not in body
    if name == "imports:customers-export":
        assert world.a.customer.name.encode() not in body


HUGE = 10**20


def refused_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    return set(response.json()["error"]["fields"])


def test_huge_ids_in_request_bodies_are_a_400(world, api_a):
    invoice = world.a.invoice
    remind = api_a.post(f"/api/v1/invoices/{invoice.pk}/remind/", {"invoices": [HUGE]}, format="json")
    assert "invoices" in refused_fields(remind)
    batch = api_a.post(
        "/api/v1/collection-batches/", {"profile": world.a.profile.pk, "invoices": [HUGE]}, format="json"
    )
    assert "invoices" in refused_fields(batch)
    for body in ({"profile": HUGE}, {"profile": str(HUGE)}):
        response = api_a.post("/api/v1/collection-batches/", body, format="json")
        assert "profile" in refused_fields(response)
    mandate = api_a.post("/api/v1/mandates/", {"customer": HUGE, "profile": world.a.profile.pk}, format="json")
    assert "customer" in refused_fields(mandate)
    created = api_a.post(
        "/api/v1/invoices/",
        {"customer": HUGE, "number": "X-1", "issue_date": "2026-01-01", "due_date": "2026-02-01", "amount": "10.00"},
        format="json",
    )
    assert "customer" in refused_fields(created)
    contact = api_a.post("/api/v1/contacts/", {"customer": HUGE, "email": "x@example.com"}, format="json")
    assert "customer" in refused_fields(contact)
    customer = api_a.patch(f"/api/v1/customers/{world.a.customer.pk}/", {"follow_up_plan": HUGE}, format="json")
    assert "follow_up_plan" in refused_fields(customer)
    campaign = api_a.post("/api/v1/campaigns/", {"name": "Huge", "profile": HUGE}, format="json")
    assert "profile" in refused_fields(campaign)


def _bomb_xlsx() -> bytes:
    """A real workbook plus a member of 8 MB of zeros that deflates to a few KB (ratio ~1000)."""
    buffer = io.BytesIO(xlsx_bytes([["external_ref", "name"], ["C-9", "Nine"]]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (8 * 1024 * 1024))
    return buffer.getvalue()


LONG_FIELD = csv_bytes([["external_ref", "name"], ["C-9", "x" * 131_073]], encoding="utf-8")
UNREADABLE = [
    ("customers.csv", LONG_FIELD, "holds more than 131,072 characters"),
    ("customers.xlsx", None, "unpacks to more than 300 MB"),
]


@pytest.mark.parametrize(("name", "content", "message"), UNREADABLE)
def test_unreadable_files_get_the_readable_file_message_on_the_page(world, owner_a_client, name, content, message):
    response = upload(owner_a_client, world.org_a, kind="customers", content=content or _bomb_xlsx(), name=name)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ImportBatch.objects.filter(organization=world.org_a).exclude(pk=world.a.import_batch.pk).exists()


@pytest.mark.parametrize(("name", "content", "message"), UNREADABLE)
def test_unreadable_files_get_the_readable_file_message_in_the_api(world, api_a, name, content, message):
    file = SimpleUploadedFile(name, content or _bomb_xlsx())
    response = api_a.post("/api/v1/imports/", {"kind": "customers", "file": file}, format="multipart")
    assert response.status_code == 400 and message in response.json()["error"]["fields"]["file"][0]


@pytest.mark.parametrize(("name", "content", "message"), UNREADABLE)
def test_unreadable_files_get_the_readable_file_message_in_the_command(world, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content or _bomb_xlsx())
    with pytest.raises(CommandError, match=message):
        call_command("import_customers", str(path), "--organization", world.org_a.slug, stdout=io.StringIO())


def test_a_sheet_claiming_a_far_away_row_stops_at_the_record_limit():
    from tabular.reading import MAX_RECORDS, UnreadableFile, read_table

    workbook = openpyxl.Workbook()
    workbook.active["A1"], workbook.active["B1"] = "external_ref", "name"
    workbook.active.cell(row=MAX_RECORDS + 10, column=1, value="C-far")
    output = io.BytesIO()
    workbook.save(output)
    with pytest.raises(UnreadableFile, match="too_many_rows"):
        read_table(output.getvalue(), filename="far.xlsx")


def test_a_row_with_a_nul_character_is_refused_with_a_row_error(world, api_a):
    content = csv_bytes([["external_ref", "name"], ["C-7", "Se\0ven"], ["C-8", "Eight"]], encoding="utf-8")
    file = SimpleUploadedFile("customers.csv", content)
    batch = api_a.post("/api/v1/imports/", {"kind": "customers", "file": file}, format="multipart").json()
    assert batch["invalid"] == 1 and batch["errors"][0]["row"] == 2 and batch["errors"][0]["column"] == "name"
    assert "NUL character" in batch["errors"][0]["message"]
    confirmed = api_a.post(f"/api/v1/imports/{batch['id']}/confirm/", {"skip_invalid": True, "rows": 1}, format="json")
    assert confirmed.status_code == 202, confirmed.json()
    run_import_batch(batch["id"])  # the worker
    names = set(Customer.objects.filter(organization=world.org_a).values_list("name", flat=True))
    assert "Eight" in names and not any("\0" in name for name in names)
