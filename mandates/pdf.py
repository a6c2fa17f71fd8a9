"""The PDF of a signed mandate (WeasyPrint), in the mandate's language, with an audit footer."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from mandates.models import Mandate
from mandates.texts import legal_paragraphs


def _no_remote_resources(url: str, *args, **kwargs):
    # The template is self-contained: never fetch anything while rendering (no SSRF, no slowness).
    raise ValueError(f"Refusing to fetch {url} while rendering a mandate PDF")


def render_mandate_pdf(mandate: Mandate, *, place: str = "") -> bytes:
    from weasyprint import HTML  # imported late: loading Pango takes most of a second

    profile = mandate.profile
    signed_at = timezone.localtime(mandate.signed_at, mandate.organization.zone) if mandate.signed_at else None
    with translation.override(mandate.language):
        html = render_to_string("mandates/mandate_pdf.html", {
            "mandate": mandate, "profile": profile, "place": place or mandate.debtor_city,
            "legal": legal_paragraphs(scheme=mandate.scheme, language=mandate.language,
                                      creditor_name=profile.creditor_name or mandate.organization.name),
            "signed_at": signed_at,
            "zone": mandate.organization.zone, "generated_at": timezone.now(),
        })  # fmt: skip
    return HTML(string=html, url_fetcher=_no_remote_resources).write_pdf()
