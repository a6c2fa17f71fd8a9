from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from organizations.models import ActivityLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, digits=device.digits, drift=offset):06d}"


def codes_logged(organization, user=None) -> list[str]:
    entries = ActivityLog.objects.filter(organization=organization, code__startswith="account.")
    if user is not None:
        entries = entries.filter(subject_id=user.pk)
    return list(entries.order_by("id").values_list("code", flat=True))


def enrol(client) -> tuple[TOTPDevice, list[str]]:
    """The member's own path: set up, scan (read the secret from the page), confirm with a code."""
    page = client.post(reverse("two-factor-setup"))
    assert b"<svg" in page.content
    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    device = TOTPDevice.objects.get(confirmed=False)
    assert secret.replace(" ", "") in device.config_url
    done = client.post(reverse("two-factor-confirm"), {"code": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    return device, codes


def log_in(client, email="owner@acme.example"):
    return client.post(reverse("login"), {"username": email, "password": PASSWORD}, follow=True)


def test_a_member_enrols_with_the_qr_code_and_gets_ten_recovery_codes(world, owner_a_client):
    device, codes = enrol(owner_a_client)
    device.refresh_from_db()
    assert device.confirmed
    assert len(set(codes)) == 10
    assert b"Switch off two-factor login" in owner_a_client.get(reverse("two-factor")).content
    # The owner works in both organizations of tenant A: both see the change.
    assert codes_logged(world.org_a) == ["account.two_factor_enabled"]
    assert codes_logged(world.org_a2) == ["account.two_factor_enabled"]


def test_a_wrong_code_during_setup_leaves_two_factor_off_and_is_logged(world, owner_a_client):
    owner_a_client.post(reverse("two-factor-setup"))
    response = owner_a_client.post(reverse("two-factor-confirm"), {"code": "000000"})
    assert response.status_code == 400
    assert b"not right" in response.content
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert codes_logged(world.org_a) == ["account.two_factor_failed"]


def test_login_asks_for_the_code_before_any_page_opens(world, client):
    client.force_login(world.owner_a.user)
    device, _ = enrol(client)
    client.post(reverse("logout"))
    with time_machine.travel(time.time() + 60, tick=False) as traveller:
        response = log_in(client)
        assert response.redirect_chain[-1][0].startswith(reverse("two-factor-verify"))
        assert b"Login code" in response.content
        dashboard = reverse("dashboard", args=[world.org_a.slug])
        assert client.get(dashboard)["Location"].startswith(reverse("two-factor-verify"))

        wrong = client.post(reverse("two-factor-verify"), {"code": "123456", "next": dashboard})
        assert wrong.status_code == 400
        assert client.get(dashboard).status_code == 302
        # django-otp makes the next try wait a moment after each wrong code.
        traveller.shift(2)
        right = client.post(reverse("two-factor-verify"), {"code": code_for(device), "next": dashboard})
        assert right["Location"] == dashboard
        assert client.get(dashboard).status_code == 200
    assert codes_logged(world.org_a) == ["account.two_factor_enabled", "account.two_factor_failed"]


def test_a_recovery_code_logs_in_once(world, client):
    client.force_login(world.owner_a.user)
    _, codes = enrol(client)
    client.post(reverse("logout"))
    log_in(client)
    assert client.post(reverse("two-factor-verify"), {"code": codes[0].upper()}).status_code == 302
    assert client.get(reverse("dashboard", args=[world.org_a.slug])).status_code == 200
    client.post(reverse("logout"))
    log_in(client)
    assert client.post(reverse("two-factor-verify"), {"code": codes[0]}).status_code == 400
    assert StaticToken.objects.count() == 9
    assert "account.recovery_code_used" in codes_logged(world.org_a)


def test_after_a_wrong_code_the_next_try_must_wait(world, client):
    client.force_login(world.owner_a.user)
    device, _ = enrol(client)
    client.post(reverse("logout"))
    with time_machine.travel(time.time() + 60, tick=False):
        log_in(client)
        client.post(reverse("two-factor-verify"), {"code": "123456"})
        refused = client.post(reverse("two-factor-verify"), {"code": code_for(device)})
        assert refused.status_code == 429
        assert b"Too many wrong codes. Wait 1 second" in refused.content
        assert client.get(reverse("dashboard", args=[world.org_a.slug])).status_code == 302


def test_switching_off_needs_a_code(world, owner_a_client):
    device, codes = enrol(owner_a_client)
    with time_machine.travel(time.time(), tick=False) as traveller:
        refused = owner_a_client.post(reverse("two-factor-disable"), {"code": "999999"})
        assert refused.status_code == 400
        assert TOTPDevice.objects.filter(confirmed=True).exists()
        traveller.shift(2)
        owner_a_client.post(reverse("two-factor-disable"), {"code": codes[1]})
    assert not TOTPDevice.objects.exists()
    assert not StaticToken.objects.exists()
    assert codes_logged(world.org_a) == [
        "account.two_factor_enabled",
        "account.two_factor_failed",
        "account.two_factor_disabled",
    ]
    client_page = owner_a_client.get(reverse("two-factor"))
    assert b"Set up two-factor login" in client_page.content


def test_members_without_a_device_log_in_with_their_password_alone(world, client):
    response = log_in(client)
    assert response.status_code == 200
    assert response.context["organization"].tenant == world.tenant_a


def test_an_organization_can_require_two_factor_of_its_owners(world, client):
    world.org_a.require_two_factor_for_owners = True
    world.org_a.save()
    dashboard = reverse("dashboard", args=[world.org_a.slug])
    response = log_in(client)
    assert response.redirect_chain[-1][0].startswith(reverse("two-factor"))
    assert b"requires two-factor login" in response.content
    assert client.get(dashboard)["Location"].startswith(reverse("two-factor"))
    # Members are not owners: the rule does not hold them.
    client.force_login(world.member_a.user)
    assert client.get(dashboard).status_code == 200
    client.force_login(world.owner_a.user)
    enrol(client)
    assert client.get(dashboard).status_code == 200


def test_owners_set_the_requirement_in_configuration(world, owner_a_client):
    from tests.organizations.test_sender_verification import organization_data

    url = reverse("configuration:organization", args=[world.org_a.slug])
    owner_a_client.post(url, organization_data(world.org_a, require_two_factor_for_owners="on"))
    world.org_a.refresh_from_db()
    assert world.org_a.require_two_factor_for_owners
    entry = ActivityLog.objects.filter(organization=world.org_a, code="organization.updated").latest("id")
    assert entry.data["changes"]["require_two_factor_for_owners"] == [False, True]


def test_api_keys_are_unaffected_but_an_unverified_session_is_refused(world, client, api_a):
    client.force_login(world.owner_a.user)
    enrol(client)
    client.post(reverse("logout"))
    log_in(client)
    assert client.get("/api/v1/customers/").status_code in (401, 403)
    assert api_a.get("/api/v1/customers/").status_code == 200


def test_every_staff_page_waits_for_the_code(world, client):
    """The walk over every page of an organization (tests/isolation.py): a password alone opens none."""
    from tests.collect.test_isolation import _url
    from tests.isolation import object_of, organization_routes

    client.force_login(world.owner_a.user)
    enrol(client)
    client.post(reverse("logout"))
    log_in(client)
    walked = 0
    for route in organization_routes():
        model_object = object_of(route.model, world.org_a) if "pk" in route.kwargs else None
        url = _url(route, world.org_a, model_object)
        for method in ("get", "post"):
            if method not in route.methods:
                continue
            response = getattr(client, method)(url)
            walked += 1
            assert response.status_code == 302, f"{method.upper()} {url} gave {response.status_code}"
            assert response["Location"].startswith(reverse("two-factor-verify")), url
    assert walked > 40


def test_an_owner_who_must_enrol_cannot_use_the_api_with_the_browser_session(world, client):
    world.org_a.require_two_factor_for_owners = True
    world.org_a.save()
    client.force_login(world.owner_a.user)
    assert client.get("/api/v1/customers/", HTTP_X_ORGANIZATION=world.org_a.slug).status_code in (401, 403)
    # A member is not held by the owners' rule; once the owner enrols, the session works again.
    client.force_login(world.member_a.user)
    assert client.get("/api/v1/customers/", HTTP_X_ORGANIZATION=world.org_a.slug).status_code == 200
    client.force_login(world.owner_a.user)
    enrol(client)
    assert client.get("/api/v1/customers/", HTTP_X_ORGANIZATION=world.org_a.slug).status_code == 200
