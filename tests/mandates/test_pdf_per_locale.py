"""The signed mandate PDF writes the signing day as the signer's language does, with the local time and UTC."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from mandates.links import signing_path
from mandates.models import MandateDocument
from mandates.services import mandate_prepare
from tests.mandates.conftest import SIGNING_DATA
from tests.mandates.test_signing_flow import pdf_text

SIGNING_DAY = {"en": "3 December 2026", "nl": "3 december 2026", "fr": "3 décembre 2026", "de": "3. Dezember 2026"}


@pytest.mark.parametrize("language", SIGNING_DAY)
def test_the_signed_mandate_pdf_writes_the_signing_day_in_the_signers_language(client, world, person, language):
    person.language = language
    person.save(update_fields=["language"])
    moment = datetime(2026, 12, 3, 9, 16, 12, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        mandate = mandate_prepare(organization=world.org_a, customer=person, profile=world.a.profile)
        client.get(signing_path(mandate))
        assert client.post(signing_path(mandate), SIGNING_DATA).status_code == 302
        call_command("run_followups", stdout=io.StringIO())
    text = " ".join(pdf_text(bytes(MandateDocument.objects.get(mandate=mandate).pdf)).split())
    assert f"{SIGNING_DAY[language]} 10:16:12 CET (Europe/Brussels) — 2026-12-03T09:16:12Z" in text
