"""The PDF of a signed mandate (WeasyPrint), in the language it was signed in, with an audit trail.

Dates and amounts are written as the organization's country does, in the document's language; every audit
moment gives the organization's local time with its zone and the UTC instant (ISO 8601), so the trail reads
the same to a person and to a machine whatever the season.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from localized.context import for_organization
from localized.dates import format_date, zone_label
from mandates.models import Mandate
from mandates.texts import legal_paragraphs


def _no_remote_resources(url: str, *args, **kwargs):
    # The template is self-contained: never fetch anything while rendering (no SSRF, no slowness).
    raise ValueError(f"Refusing to fetch {url} while rendering a mandate PDF")


def audit_moment(moment: datetime) -> str:
    """`3 December 2026 10:16:12 CET (Europe/Brussels) — 2026-12-03T09:16:12Z`, in the active zone and language."""
    local = timezone.localtime(moment)
    instant = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    zone = timezone.get_current_timezone_name()
    return f"{format_date(local, style='long')} {local:%H:%M:%S} {zone_label(moment)} ({zone}) — {instant}"


def audit_events(mandate: Mandate, generated_at: datetime) -> list[tuple[str, str]]:
    """The moments the document vouches for, in order: (what happened, when)."""
    events = [
        (_("Signing link opened"), mandate.opened_at),
        (_("Signing started"), mandate.signing_started_at),
        (_("Signed"), mandate.signed_at),
        (_("Document created"), generated_at),
    ]
    return [(label, audit_moment(moment)) for label, moment in events if moment]


def render_mandate_pdf(mandate: Mandate, *, place: str = "") -> bytes:
    from weasyprint import HTML  # imported late: loading Pango takes most of a second

    profile = mandate.profile
    language = mandate.document_language
    with for_organization(mandate.organization, language=language):
        html = render_to_string("mandates/mandate_pdf.html", {
            "mandate": mandate, "profile": profile, "place": place or mandate.debtor_city, "language": language,
            "legal": legal_paragraphs(scheme=mandate.scheme, language=language,
                                      creditor_name=profile.creditor_name or mandate.organization.name),
            "signed_at": mandate.signed_at, "audit": audit_events(mandate, timezone.now()),
        })  # fmt: skip
    return HTML(string=html, url_fetcher=_no_remote_resources).write_pdf()
