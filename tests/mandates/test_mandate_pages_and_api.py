"""Mandates list and page for staff, a customer's mandates, and /api/v1/mandates/."""

from __future__ import annotations

from django.urls import reverse

from mandates.links import signing_url
from mandates.models import Mandate, MandateState
from organizations.models import ActivityLog
from tests.factories import CustomerFactory
from tests.mandates.conftest import SIGNING_DATA
from tests.openapi import assert_matches_schema


def test_the_list_filters_by_state_profile_and_customer(owner_a_client, world, prepared):
    url = reverse("mandates:list", args=["acme-be"])
    page = owner_a_client.get(url).content.decode()
    assert prepared.reference in page and world.a.mandate.reference in page
    page = owner_a_client.get(url, {"state": "prepared"}).content.decode()
    assert prepared.reference in page and world.a.mandate.reference not in page
    page = owner_a_client.get(url, {"search": "Peeters"}).content.decode()
    assert prepared.reference in page and world.a.mandate.reference not in page
    page = owner_a_client.get(url, {"profile": world.a.profile.pk, "state": "expired"}).content.decode()
    assert "No mandate matches these filters" in page
    assert b"mandates-empty" in owner_a_client.get(reverse("mandates:list", args=["acme-nl"])).content


def test_the_page_of_an_unsigned_mandate_offers_its_signing_link(owner_a_client, prepared):
    response = owner_a_client.get(reverse("mandates:detail", args=["acme-be", prepared.pk]))
    assert signing_url(prepared) in response.content.decode() and b"mandate-pdf" not in response.content
    prepared.refresh_from_db()
    assert prepared.state == MandateState.PREPARED  # looking at it is not the debtor opening it


def test_staff_cancel_suspend_and_reactivate_with_the_timeline_showing_it(owner_a_client, world):
    mandate = world.a.mandate
    detail = reverse("mandates:detail", args=["acme-be", mandate.pk])
    owner_a_client.post(reverse("mandates:suspend", args=["acme-be", mandate.pk]), {"reason": "Disputed invoice"})
    mandate.refresh_from_db()
    assert mandate.state == MandateState.SUSPENDED
    owner_a_client.post(reverse("mandates:reactivate", args=["acme-be", mandate.pk]))
    mandate.refresh_from_db()
    assert mandate.state == MandateState.SIGNED
    response = owner_a_client.post(reverse("mandates:cancel", args=["acme-be", mandate.pk]), {"reason": ""},
                                   follow=True)  # fmt: skip
    assert b"Give a reason" in response.content
    owner_a_client.post(reverse("mandates:cancel", args=["acme-be", mandate.pk]), {"reason": "Closed account"})
    page = owner_a_client.get(detail).content.decode()
    assert "Closed account" in page and "Mandate suspended" in page and "Mandate reactivated" in page
    assert "Mandate cancelled" in page
    customer_page = owner_a_client.get(reverse("customers:detail", args=["acme-be", mandate.customer_id])).content
    assert b"Mandate cancelled" in customer_page and mandate.reference.encode() in customer_page


def test_the_signed_pdf_downloads_from_the_staff_page(owner_a_client, client, prepared, sign_url):
    client.post(sign_url, SIGNING_DATA)
    response = owner_a_client.get(reverse("mandates:pdf", args=["acme-be", prepared.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_mandate_is_prepared_from_the_customer_page(owner_a_client, world):
    customer = CustomerFactory(organization=world.org_a, type="person")
    url = reverse("mandates:prepare", args=["acme-be", customer.pk])
    assert owner_a_client.get(url).status_code == 200
    response = owner_a_client.post(url, {"profile": world.a.profile.pk})
    mandate = Mandate.objects.get(customer=customer)
    assert response["Location"] == reverse("mandates:detail", args=["acme-be", mandate.pk])
    world.a.profile.scheme = "B2B"
    world.a.profile.save()
    response = owner_a_client.post(url, {"profile": world.a.profile.pk})
    assert response.status_code == 400 and b"B2B mandates are only for companies" in response.content
    response = owner_a_client.post(url, {"profile": world.b.profile.pk})
    assert response.status_code == 400 and Mandate.objects.filter(customer=customer).count() == 1


def test_api_prepares_filters_and_shows_the_signing_url(api_a, world):
    customer = CustomerFactory(organization=world.org_a, type="company")
    response = api_a.post("/api/v1/mandates/", {"customer": customer.pk, "profile": world.a.profile.pk},
                          format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "prepared" and body["signing_url"].startswith("http") and "/sign/" in body["signing_url"]
    assert body["reference"] == "ACME-000002"
    rows = api_a.get("/api/v1/mandates/", {"state": "prepared"}).json()["results"]
    assert [row["id"] for row in rows] == [body["id"]]
    rows = api_a.get("/api/v1/mandates/", {"customer": world.a.customer.pk}).json()["results"]
    assert [row["id"] for row in rows] == [world.a.mandate.pk]
    assert api_a.get("/api/v1/mandates/", {"profile": world.b.profile.pk}).json()["results"] == []
    signed = api_a.get(f"/api/v1/mandates/{world.a.mandate.pk}/").json()
    assert signed["signing_url"] is None and signed["has_pdf"] is True


def test_mandates_in_every_state_match_the_published_schema(api_a, world):
    customer = CustomerFactory(organization=world.org_a, type="company")
    prepared = api_a.post(
        "/api/v1/mandates/", {"customer": customer.pk, "profile": world.a.profile.pk}, format="json"
    ).json()
    assert prepared["signature_method"] == ""
    for row in api_a.get("/api/v1/mandates/").json()["results"]:
        assert_matches_schema(row, "Mandate")


def test_api_refuses_b2b_for_persons_and_foreign_customers(api_a, world):
    world.a.profile.scheme = "B2B"
    world.a.profile.save()
    person = CustomerFactory(organization=world.org_a, type="person")
    response = api_a.post("/api/v1/mandates/", {"customer": person.pk, "profile": world.a.profile.pk}, format="json")
    assert response.status_code == 400
    assert "B2B mandates are only for companies" in str(response.json()["error"]["fields"]["customer"])
    response = api_a.post("/api/v1/mandates/", {"customer": world.b.customer.pk, "profile": world.a.profile.pk},
                          format="json")  # fmt: skip
    assert response.status_code == 400 and "customer" in response.json()["error"]["fields"]


def test_api_cancels_with_a_reason_and_serves_the_pdf(api_a, world):
    mandate = world.a.mandate
    pdf = api_a.get(f"/api/v1/mandates/{mandate.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert api_a.post(f"/api/v1/mandates/{mandate.pk}/cancel/", {}, format="json").status_code == 400
    response = api_a.post(f"/api/v1/mandates/{mandate.pk}/cancel/", {"reason": "Debtor asked"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    entry = ActivityLog.objects.get(subject_id=mandate.pk, code="mandate.cancelled")
    assert entry.actor_label == "Acme ERP" and entry.data["reason"] == "Debtor asked"
    again = api_a.post(f"/api/v1/mandates/{mandate.pk}/cancel/", {"reason": "Twice"}, format="json")
    assert again.status_code == 400


def test_api_isolation_and_member_permissions(api_client, world, prepared):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    assert api_client.get(f"/api/v1/mandates/{prepared.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/mandates/{prepared.pk}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert api_client.get(f"/api/v1/mandates/{world.a.mandate.pk}/pdf/").status_code == 404
    api_client.credentials()
    api_client.force_login(world.member_a.user)
    response = api_client.get("/api/v1/mandates/", HTTP_X_ORGANIZATION="acme-be")
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert api_client.get("/api/v1/mandates/", HTTP_X_ORGANIZATION="acme-nl").status_code == 404
    prepared.refresh_from_db()
    assert prepared.state == MandateState.PREPARED
