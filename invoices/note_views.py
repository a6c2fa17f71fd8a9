"""Adding a note (with @mentions) to a customer or an invoice; it then shows on their timeline."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer
from invoices.models import Invoice
from invoices.notes import note_add
from organizations.views_base import OrganizationView


class NoteCreateView(OrganizationView):
    """POST only; back to the page the note was written on, its timeline showing notes."""

    def post(self, request, organization_slug, pk):
        target = self.get_object()
        on_invoice = isinstance(target, Invoice)
        try:
            note = note_add(
                organization=self.organization,
                body=request.POST.get("body", ""),
                actor=request.user,
                **({"invoice": target} if on_invoice else {"customer": target}),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            count = note.mentions.count()
            text = _("Note added.")
            if count:
                text += " " + ngettext(
                    "%(count)d member was told by e-mail.", "%(count)d members were told by e-mail.", count
                ) % {"count": count}
            messages.success(request, text)
        page = reverse("invoices:detail" if on_invoice else "customers:detail", args=[organization_slug, target.pk])
        return redirect(f"{page}?kind=notes#timeline")


class CustomerNoteCreateView(NoteCreateView):
    model = Customer


class InvoiceNoteCreateView(NoteCreateView):
    model = Invoice
