"""The signed mandate's audit trail and the signed-copy e-mail give the time in Brussels with its zone, and the
audit trail the UTC instant too, on both sides of the clock changes of 2026."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from mailroom.models import StoredEmail
from mandates.links import signing_path
from mandates.models import MandateDocument
from mandates.services import mandate_prepare
from tests.mandates.conftest import SIGNING_DATA
from tests.mandates.test_signing_flow import pdf_text

CASES = [
    # Summer time starts at 01:00 UTC on Sunday 29 March 2026 (02:00 CET becomes 03:00 CEST).
    ("2026-03-29T00:30:00", "29 maart 2026 01:30:00 CET", "29 maart 2026, 01:30 CET"),
    ("2026-03-29T01:30:00", "29 maart 2026 03:30:00 CEST", "29 maart 2026, 03:30 CEST"),
    # Summer time ends at 01:00 UTC on Sunday 25 October 2026: 02:30 happens twice, once in each zone.
    ("2026-10-25T00:30:00", "25 oktober 2026 02:30:00 CEST", "25 oktober 2026, 02:30 CEST"),
    ("2026-10-25T01:30:00", "25 oktober 2026 02:30:00 CET", "25 oktober 2026, 02:30 CET"),
    # An ordinary winter day: the moment of the issue report (UTC 09:16:12 is 10:16:12 in Brussels).
    ("2026-12-03T09:16:12", "3 december 2026 10:16:12 CET", "3 december 2026, 10:16 CET"),
]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("instant", "local", "mailed"), CASES)
def test_signing_time_is_printed_local_with_its_zone_and_as_utc(client, world, person, instant, local, mailed):
    moment = datetime.fromisoformat(instant).replace(tzinfo=UTC)
    with time_machine.travel(moment - timedelta(minutes=5), tick=False):
        mandate = mandate_prepare(organization=world.org_a, customer=person, profile=world.a.profile)
        client.get(signing_path(mandate))
    with time_machine.travel(moment, tick=False):
        assert client.post(signing_path(mandate), SIGNING_DATA).status_code == 302
        call_command("run_followups", stdout=io.StringIO())

    text = words(pdf_text(bytes(MandateDocument.objects.get(mandate=mandate).pdf)))
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"Ondertekend {local} (Europe/Brussels) — {iso}" in text
    assert f"Document aangemaakt {local} (Europe/Brussels) — {iso}" in text
    opened = (moment - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"(Europe/Brussels) — {opened}" in text  # the link was opened five minutes earlier
    assert "UTC" not in text.replace("(Europe/Brussels)", "")  # no bare UTC clock time passed off as local

    email = StoredEmail.objects.get(to=["jeanne@example.be"])
    assert f"het SEPA-mandaat op {mailed}." in words(email.text_body)
