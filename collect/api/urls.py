"""The API root: /api/v1/. Every resource below is scoped to one organization."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from campaigns.api.views import CampaignViewSet
from customers.api.views import ContactViewSet, CustomerViewSet
from invoices.api.import_views import ImportBatchViewSet
from invoices.api.notes import NoteViewSet
from invoices.api.views import InvoiceViewSet, PaymentViewSet
from mandates.api.collection_views import CollectionBatchViewSet, CollectionDebitViewSet
from mandates.api.views import MandateProfileViewSet, MandateViewSet
from organizations.api.team import InvitationViewSet, MemberViewSet
from organizations.api.views import BankAccountViewSet, CurrentOrganizationView
from reminders.api.views import DispatchViewSet, FollowUpPlanViewSet, InvoiceRemindView, TaskViewSet
from reports.api.views import ReportApiView

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register("imports", ImportBatchViewSet, basename="import")
router.register("follow-up-plans", FollowUpPlanViewSet, basename="follow-up-plan")
router.register("dispatches", DispatchViewSet, basename="dispatch")
router.register("tasks", TaskViewSet, basename="task")
router.register("mandate-profiles", MandateProfileViewSet, basename="mandate-profile")
router.register("mandates", MandateViewSet, basename="mandate")
router.register("collection-batches", CollectionBatchViewSet, basename="collection-batch")
router.register("collection-debits", CollectionDebitViewSet, basename="collection-debit")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("bank-accounts", BankAccountViewSet, basename="bank-account")
router.register("members", MemberViewSet, basename="member")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("notes", NoteViewSet, basename="note")

REDOC_POLICY = {
    "style-src": ["'unsafe-inline'"],
    "worker-src": ["'self'", "blob:"],
    "img-src": ["https://cdn.redoc.ly"],
}

urlpatterns = [
    path("organization/", CurrentOrganizationView.as_view(), name="organization"),
    path("invoices/<int:pk>/remind/", InvoiceRemindView.as_view(), name="invoice-remind"),
    path("reports/<slug:name>/", ReportApiView.as_view(), name="report"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: no inline script under the CSP.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html", permission_classes=[], authentication_classes=[]
        ),
        name="docs",
    ),
    path(
        "redoc/",
        # Redoc writes its styles into <style> elements at run time (styled-components): this page alone
        # allows inline styles, its search worker from a blob: URL and its vendor's logo; scripts stay 'self'.
        csp_update(REDOC_POLICY)(
            SpectacularRedocView.as_view(
                url_name="api:schema", template_name="api/redoc.html", permission_classes=[], authentication_classes=[]
            )
        ),
        name="redoc",
    ),
    *router.urls,
]
