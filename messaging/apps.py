from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from anymail.signals import tracking

        from messaging import delivery  # noqa: F401  (registers the lease check)
        from messaging.tracking import on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="messaging.tracking")
