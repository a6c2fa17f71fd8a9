"""Outgoing e-mail kept in the database: the embedded default, viewable in the app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class StoredEmail(models.Model):
    """One message as it would have been handed to a provider.

    `organization` is empty for platform mail that belongs to no organization (password resets).
    """

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="stored_emails"
    )
    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply-to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    text_body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    message_id = models.CharField(_("message id"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stored e-mail")
        verbose_name_plural = _("stored e-mails")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject
