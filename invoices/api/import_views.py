"""/api/v1/imports/: upload a customer or invoice file, read what it would do, confirm (a background job), follow it.

The same steps as the Import page: nothing is written until the import is confirmed, a file with bad rows imports
only with `skip_invalid`, and `rows` (the number of valid rows the caller saw) guards against data that changed in
between. The import runs in one transaction: poll the batch until `status` is `imported`, or back to `pending`
with `failure` saying why nothing was imported.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from invoices.batches import (
    failure_text,
    import_batch_cancel,
    import_batch_create,
    import_batch_queue,
    import_progress,
    refusal_text,
)
from invoices.import_forms import check_upload, unreadable_message
from invoices.models import ImportBatch, ImportKind, ImportStatus
from organizations.api.bases import OrganizationScopedMixin
from tabular.reading import UnreadableFile


class ImportRefused(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "import_refused"


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportCountsSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Rows that held what the record already had: not written.")
    skipped = serializers.IntegerField()


class ImportProgressSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=["waiting", "checking", "writing"])
    done = serializers.IntegerField(help_text="Rows written so far (visible only once the import commits).")
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ImportBatchSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(source="original_filename", read_only=True)
    total = serializers.SerializerMethodField(help_text="Rows in the file.")
    new = serializers.SerializerMethodField()
    updated = serializers.SerializerMethodField()
    unchanged = serializers.SerializerMethodField(help_text="Rows whose record already holds these values.")
    invalid = serializers.SerializerMethodField()
    valid = serializers.SerializerMethodField(help_text="Rows that would be imported: send this as `rows`.")
    errors = serializers.SerializerMethodField(help_text="The first 200 problems that make a row invalid.")
    errors_total = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    imported = serializers.SerializerMethodField(help_text="What was imported, once `status` is `imported`.")
    failure = serializers.SerializerMethodField(help_text="Why the last confirmation imported nothing, if it did not.")
    progress = serializers.SerializerMethodField(help_text="While `status` is `importing`.")

    class Meta:
        model = ImportBatch
        fields = ["id", "kind", "file_name", "status", "created_at", "confirmed_at", "imported_at", "total", "new",
                  "updated", "unchanged", "invalid", "valid", "errors", "errors_total", "warnings", "imported",
                  "failure", "progress"]  # fmt: skip
        read_only_fields = fields

    def _summary(self, batch: ImportBatch) -> dict:
        return batch.summary or {}

    def get_total(self, batch) -> int:
        return self._summary(batch).get("total", 0)

    def get_new(self, batch) -> int:
        return self._summary(batch).get("new", 0)

    def get_updated(self, batch) -> int:
        return self._summary(batch).get("updated", 0)

    def get_unchanged(self, batch) -> int:
        return self._summary(batch).get("unchanged", 0)

    def get_invalid(self, batch) -> int:
        return self._summary(batch).get("invalid", 0)

    def get_valid(self, batch) -> int:
        return self._summary(batch).get("valid", 0)

    @extend_schema_field(ProblemSerializer(many=True))
    def get_errors(self, batch) -> list[dict]:
        return self._summary(batch).get("errors", [])

    def get_errors_total(self, batch) -> int:
        return self._summary(batch).get("errors_total", 0)

    @extend_schema_field(ProblemSerializer(many=True))
    def get_warnings(self, batch) -> list[dict]:
        return self._summary(batch).get("warnings", [])

    @extend_schema_field(ImportCountsSerializer(allow_null=True))
    def get_imported(self, batch) -> dict | None:
        return self._summary(batch).get("imported")

    def get_failure(self, batch) -> str:
        return failure_text(self._summary(batch)) if batch.status == ImportStatus.PENDING else ""

    @extend_schema_field(ImportProgressSerializer(allow_null=True))
    def get_progress(self, batch) -> dict | None:
        return import_progress(batch) or None


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(help_text="CSV (comma or semicolon) or XLSX, at most 20 MB; the first row names "
                                           "the columns.")  # fmt: skip

    def validate_file(self, upload):
        try:
            check_upload(name=upload.name, size=upload.size)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return upload


class ImportConfirmSerializer(serializers.Serializer):
    skip_invalid = serializers.BooleanField(default=False, help_text="Import the valid rows of a file with errors.")
    rows = serializers.IntegerField(
        min_value=0, required=False, allow_null=True,
        help_text="The `valid` count you saw; a different count now refuses (409).",
    )  # fmt: skip


class ImportBatchViewSet(OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):  # fmt: skip
    """Imports of customers or invoices from a file: upload, check, confirm, follow."""

    model = ImportBatch
    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportBatchSerializer})
    def create(self, request):
        """Upload a file and check it; nothing is imported yet. The answer says what it would do, row by row."""
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            batch = import_batch_create(organization=self.organization, kind=upload.validated_data["kind"],
                                        content=file.read(), filename=file.name, actor=self.actor)  # fmt: skip
        except UnreadableFile as problem:
            raise serializers.ValidationError({"file": [unreadable_message(problem)]}) from problem
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportConfirmSerializer, responses={202: ImportBatchSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Import the checked file in a background job (202); 409 when it would not import what was confirmed."""
        batch = self.get_object()
        options = ImportConfirmSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        outcome = import_batch_queue(batch=batch, skip_invalid=options.validated_data["skip_invalid"],
                                     expected_rows=options.validated_data.get("rows"), actor=self.actor)  # fmt: skip
        if not outcome.queued:
            raise ImportRefused(refusal_text(outcome.refusal))
        return Response(ImportBatchSerializer(outcome.batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Drop a checked file that is waiting for confirmation; 409 once it is importing or imported."""
        batch = self.get_object()
        if not import_batch_cancel(batch=batch, actor=self.actor):
            raise ImportRefused(_("Only a file waiting for confirmation can be cancelled."))
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data)
