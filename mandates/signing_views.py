"""The public signing page, reached by the link in the invitation: no login, the token is the only key.

The token names one mandate (mandates/links.py); nothing else of the tenant is reachable from here.
Every request is rate-limited per client IP and per link (settings SIGNING_RATE_LIMIT_PER_IP/_PER_LINK
within SIGNING_RATE_WINDOW seconds).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from mandates import links, sepa
from mandates.forms import LANGUAGE_CODES, DeclineForm, SigningForm
from mandates.models import Mandate, MandateDocument
from mandates.services import (
    LinkUnusable,
    MandateError,
    Signature,
    debtor_clean,
    link_problem,
    mandate_decline,
    mandate_record_opened,
    mandate_record_signing_started,
    mandate_sign,
)
from mandates.texts import legal_paragraphs
from mandates.views import pdf_response
from organizations.ratelimit import allow, client_ip

INITIAL_FIELDS = ("debtor_name", "debtor_street", "debtor_postal_code", "debtor_city", "debtor_country", "iban",
                  "bic")  # fmt: skip


class PublicSigningView(View):
    """Resolves the token to its mandate, picks the language, applies the rate limits."""

    mandate: Mandate

    def dispatch(self, request, token: str, *args, **kwargs):
        ip = client_ip(request) or "unknown"
        within = allow(scope="sign-ip", key=ip, limit=settings.SIGNING_RATE_LIMIT_PER_IP,
                       window=settings.SIGNING_RATE_WINDOW)  # fmt: skip
        within = within and allow(scope="sign-link", key=token[:200], limit=settings.SIGNING_RATE_LIMIT_PER_LINK,
                                  window=settings.SIGNING_RATE_WINDOW)  # fmt: skip
        # Over the limit: answer before the token is even looked at (no database work for a flood).
        mandate = self._resolve(token) if within else None
        self.language = self._language(request, mandate)
        translation.activate(self.language)
        request.LANGUAGE_CODE = self.language
        if not within:
            response = self.page("signing/rate_limited.html", {}, status=429)
            response["Retry-After"] = str(settings.SIGNING_RATE_WINDOW)
            return response
        if mandate is None:
            return self.page("signing/not_found.html", {}, status=404)
        self.mandate, self.token = mandate, token
        return super().dispatch(request, token, *args, **kwargs)

    @staticmethod
    def _resolve(token: str) -> Mandate | None:
        parsed = links.parse(token)
        if parsed is None:
            return None
        public_id, version = parsed
        related = ("organization", "profile", "customer")
        return Mandate.objects.select_related(*related).filter(public_id=public_id, link_version=version).first()

    @staticmethod
    def _language(request, mandate: Mandate | None) -> str:
        asked = request.GET.get("lang") or request.POST.get("lang")
        if asked in LANGUAGE_CODES:
            return asked
        # Once signed, the link reopens in the language the debtor signed in.
        preferred = mandate.document_language if mandate else ""
        return preferred if preferred in LANGUAGE_CODES else "en"

    def page(self, template: str, context: dict, status: int = 200) -> HttpResponse:
        mandate = context.get("mandate") or getattr(self, "mandate", None)
        context = {"language": self.language, "languages": settings.LANGUAGES, "mandate": mandate,
                   "creditor": _creditor(mandate) if mandate else None, **context}  # fmt: skip
        response = render(self.request, template, context, status=status)
        response["X-Robots-Tag"] = "noindex, nofollow"
        # The token is in the URL: never hand it to another site (same-origin still sends Origin for CSRF).
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store"
        return response

    def unavailable(self, problem: str) -> HttpResponse:
        return self.page("signing/unavailable.html", {"problem": problem}, status=200 if problem == "signed" else 410)


def _creditor(mandate: Mandate) -> dict:
    profile, organization = mandate.profile, mandate.organization
    return {
        "name": profile.creditor_name or organization.name,
        "address": [line for line in (profile.creditor_street,
                                      f"{profile.creditor_postal_code} {profile.creditor_city}".strip(),
                                      profile.creditor_country) if line],
        "identifier": profile.creditor_id,
        "email": organization.reply_to_email or organization.sender_email,
    }  # fmt: skip


class SignView(PublicSigningView):
    def get(self, request, token):
        if problem := link_problem(self.mandate):
            return self.unavailable(problem)
        mandate_record_opened(mandate=self.mandate)
        initial = {name: getattr(self.mandate, name) for name in INITIAL_FIELDS}
        return self.render_form(SigningForm(initial=initial))

    def post(self, request, token):
        if problem := link_problem(self.mandate):
            return self.unavailable(problem)
        mandate_record_signing_started(mandate=self.mandate)
        form = SigningForm(request.POST)
        valid = form.is_valid()
        data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        try:
            debtor_clean(data)
        except MandateError as error:
            _add_errors(form, error)
            valid = False
        if len((data.get("signer_name") or "").strip()) < 2:
            form.add_error("signer_name", _("Type your full name to sign."))
            valid = False
        if not valid:
            return self.render_form(form, status=400)
        # The language the debtor read the text in: the signed copy and its e-mail use it.
        signature = Signature(
            signer_name=data["signer_name"],
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            language=self.language,
        )
        try:
            mandate_sign(mandate=self.mandate, debtor=data, signature=signature)
        except LinkUnusable as error:
            return self.unavailable(error.problem)
        except MandateError as error:
            _add_errors(form, error)
            return self.render_form(form, status=400)
        return redirect(f"{links.signing_path(self.mandate)}thanks/?lang={self.language}")

    def render_form(self, form, status=200):
        mandate = self.mandate
        iban = form["iban"].value() or ""
        context = {
            "form": form, "token": self.token,
            "legal": legal_paragraphs(scheme=mandate.scheme, language=self.language,
                                      creditor_name=_creditor(mandate)["name"]),
            "derived_bic": _derived_bic(iban),
        }  # fmt: skip
        return self.page("signing/sign.html", context, status=status)


def _derived_bic(iban: str) -> str:
    try:
        return sepa.bic_for_iban(iban) or "" if iban else ""
    except sepa.SepaError:
        return ""


def _add_errors(form, error: MandateError) -> None:
    for field, messages in error.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class SigningStartedView(PublicSigningView):
    """Called once by the page script on the first interaction with the form."""

    def post(self, request, token):
        if not link_problem(self.mandate):
            mandate_record_signing_started(mandate=self.mandate)
        return HttpResponse(status=204)


class DeclineView(PublicSigningView):
    def get(self, request, token):
        if problem := link_problem(self.mandate):
            return self.unavailable(problem)
        return self.page("signing/decline.html", {"form": DeclineForm(), "token": self.token})

    def post(self, request, token):
        form = DeclineForm(request.POST)
        if not form.is_valid():
            return self.page("signing/decline.html", {"form": form, "token": self.token}, status=400)
        try:
            mandate_decline(mandate=self.mandate, reason=form.cleaned_data["reason"])
        except LinkUnusable as error:
            return self.unavailable(error.problem)
        return self.page("signing/declined.html", {})


class ThanksView(PublicSigningView):
    def get(self, request, token):
        if not MandateDocument.objects.filter(mandate=self.mandate).exists():
            return redirect(f"{links.signing_path(self.mandate)}?lang={self.language}")
        return self.page("signing/thanks.html", {"token": self.token})


class SignedPdfView(PublicSigningView):
    def get(self, request, token):
        document = MandateDocument.objects.filter(mandate=self.mandate).first()
        if document is None:
            return self.page("signing/not_found.html", {}, status=404)
        return pdf_response(document, self.mandate)
