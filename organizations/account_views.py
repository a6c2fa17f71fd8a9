"""The member's own account: two-factor login (enrol, recovery codes, switch off) and the code step."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from organizations.two_factor import (
    owner_must_enrol,
    totp_device_pending,
    totp_qr_svg,
    totp_secret_text,
    two_factor_confirm,
    two_factor_disable,
    two_factor_enabled,
    two_factor_verify,
    two_factor_wait_seconds,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


def _next_url(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


@method_decorator(login_required, name="dispatch")
class TwoFactorView(View):
    """Status page: switched on (switch off with a code) or off (set it up)."""

    def get(self, request):
        return self.render(CodeForm())

    def render(self, form, status=200):
        user = self.request.user
        context = {
            "enabled": two_factor_enabled(user),
            "organization_requires": owner_must_enrol(user=user),
            "form": form,
            "next": _next_url(self.request),
        }
        return render(self.request, "account/two_factor.html", context, status=status)


@method_decorator(login_required, name="dispatch")
class TwoFactorSetupView(View):
    """Shows the QR code of a new secret and asks for a first code to confirm it."""

    def post(self, request):
        if two_factor_enabled(request.user):
            return redirect("two-factor")
        return render_setup(request, CodeForm())


def render_setup(request, form, status=200):
    device = totp_device_pending(user=request.user)
    context = {
        "qr_svg": totp_qr_svg(device),
        "secret": totp_secret_text(device),
        "form": form,
        "next": _next_url(request),
    }
    return render(request, "account/two_factor_setup.html", context, status=status)


@method_decorator(login_required, name="dispatch")
class TwoFactorConfirmView(View):
    def post(self, request):
        if two_factor_enabled(request.user):
            return redirect("two-factor")
        form = CodeForm(request.POST)
        codes = None
        if form.is_valid():
            codes = two_factor_confirm(
                request=request, device=totp_device_pending(user=request.user), token=form.cleaned_data["code"]
            )
            if codes is None:
                form.add_error(
                    "code", _("That code is not right. Check the time on your phone and try the newest code.")
                )
        if codes is None:
            return render_setup(request, form, status=400)
        context = {"codes": codes, "next": _next_url(request)}
        return render(request, "account/two_factor_codes.html", context)


@method_decorator(login_required, name="dispatch")
class TwoFactorDisableView(View):
    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid() and two_factor_disable(request=request, token=form.cleaned_data["code"]):
            messages.success(request, _("Two-factor login is switched off."))
            return redirect("two-factor")
        if form.is_valid():
            form.add_error("code", _("That code is not right; two-factor login stays on."))
        return TwoFactorView(request=request).render(form, status=400)


@method_decorator(login_required, name="dispatch")
class TwoFactorVerifyView(View):
    """The second login step: the password was right, now the code from the app (or a recovery code)."""

    def get(self, request):
        if not two_factor_enabled(request.user) or request.user.is_verified():
            return redirect(_next_url(request))
        return self.render(CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        wait = two_factor_wait_seconds(user=request.user)
        if wait:
            message = ngettext(
                "Too many wrong codes. Wait %(seconds)d second, then type the newest code.",
                "Too many wrong codes. Wait %(seconds)d seconds, then type the newest code.",
                wait,
            )
            form.add_error(None, message % {"seconds": wait})
            return self.render(form, status=429)
        if form.is_valid() and two_factor_verify(request=request, token=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        if form.is_valid():
            form.add_error("code", _("That code is not right. Try the newest code from your app, or a recovery code."))
        return self.render(form, status=400)

    def render(self, form, status=200):
        context = {"form": form, "next": _next_url(self.request)}
        return render(self.request, "account/two_factor_verify.html", context, status=status)
