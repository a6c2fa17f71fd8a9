from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from mandates.api.serializers import (
    CancelSerializer,
    MandateCreateSerializer,
    MandateProfileSerializer,
    MandateSerializer,
)
from mandates.models import Mandate, MandateDocument, MandateProfile
from mandates.selectors import MandateFilter
from mandates.services import MandateError, mandate_cancel, mandate_prepare, profile_save
from mandates.states import TransitionError
from mandates.views import pdf_response
from organizations.api.bases import OrganizationScopedMixin, OrganizationScopedViewSet


class PdfRenderer(BaseRenderer):
    """Lets clients ask for `Accept: application/pdf`; the PDF itself is returned as a plain response."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if not isinstance(data, bytes) else data


class MandateProfileViewSet(OrganizationScopedViewSet):
    """SEPA mandate profiles: scheme, creditor identity and account, pain.008 version. Owners and admins write."""

    model = MandateProfile
    serializer_class = MandateProfileSerializer
    configure_refusal = _("Only owners and admins can change mandate profiles.")

    def perform_create(self, serializer):
        self.require_configure()
        serializer.instance = profile_save(organization=self.organization, profile=None,
                                           data=serializer.validated_data, actor=self.actor)  # fmt: skip

    def perform_update(self, serializer):
        self.require_configure()
        data = dict(serializer.validated_data)
        archived = data.pop("archived", None)
        profile = profile_save(organization=self.organization, profile=serializer.instance, data=data,
                               actor=self.actor)  # fmt: skip
        if archived is not None:
            from mandates.services import profile_set_archived

            profile_set_archived(profile=profile, archived=archived, actor=self.actor)
        serializer.instance = profile


def _raise_validation(error: MandateError) -> None:
    raise ValidationError({field or "non_field_errors": messages for field, messages in error.errors.items()})


class MandateViewSet(
    OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """SEPA mandates. Creating one prepares it for a customer under a profile; the debtor signs at `signing_url`."""

    model = Mandate
    filterset_class = MandateFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("document").defer("document__pdf")

    def get_serializer_class(self):
        return MandateCreateSerializer if self.action == "create" else MandateSerializer

    @extend_schema(request=MandateCreateSerializer, responses={201: MandateSerializer})
    def create(self, request, *args, **kwargs):
        serializer = MandateCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            mandate = mandate_prepare(organization=self.organization, actor=self.actor, **serializer.validated_data)
        except MandateError as error:
            _raise_validation(error)
        return Response(MandateSerializer(mandate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={200: MandateSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        mandate = self.get_object()  # first: a foreign id is a 404, whatever the body says
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            mandate = mandate_cancel(mandate=mandate, reason=serializer.validated_data["reason"], actor=self.actor)
        except TransitionError as error:
            raise ValidationError({"state": [str(error)]}) from error
        except MandateError as error:
            _raise_validation(error)
        return Response(MandateSerializer(mandate).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, "The signed mandate")})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        mandate = self.get_object()
        document = MandateDocument.objects.filter(organization=self.organization, mandate=mandate).first()
        if document is None:
            raise Http404
        return pdf_response(document, mandate)
