"""/api/students/ on every school host: the school's students as JSON.

Lists, filters and searches through the same StudentTableQuery as the
student table and the CSV export. Ids are strings (integers on SQLite,
ObjectIds on MongoDB).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.parsers import JSONParser

from School.fields import TextLineField
from School.context import current_school
from School.identity.enrolment import REASON_LENGTH, active_elsewhere, record_enrolled_anyway, warning
from School.identity.guardians import replace_guardians
from School.identity.sex import FILTER_VALUES as SEX_VALUES
from School.records.api_schema import ERRORS, OPERATIONS, PATTERNS, STUDENT_FIELDS, TextLine, stating

from School.locale.activation import PlatformLocaleMixin
from School.models import Student
from School.records.files import STUDENT_COLUMNS
from School.records.guardians_api import GuardiansField
from School.records.table import SORTABLE, StudentTableQuery
from School.security.access import StudentDataPermission
from School.security.audit import AuditedReads
from School.transfers.records import STATUS_SET_BY_TRANSFERS, enters_transferred, is_sent, is_transferred_out
from School.views import get_student_or_404


class NotTransferredOut(permissions.BasePermission):
    """The API reads a sent record but changes (and deletes) it no more, as the admin."""

    message = _("This record was transferred to another school, or is being transferred: it is read-only.")

    def has_object_permission(self, request, view, obj):
        if request.method == "DELETE":
            return not is_sent(obj)
        return request.method in permissions.SAFE_METHODS or not is_transferred_out(obj)


class StudentSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, TextLineField: TextLine}
    id = serializers.CharField(source="pk", read_only=True)
    guardians = GuardiansField(required=False)
    enrol_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_LENGTH,
        help_text="On creation only: why a child already active at another school (same learner number, or same "
                  "names, date of birth and sex) is enrolled here anyway; without it such a creation is refused "
                  "with 400 naming the other school. Kept in the audit trail.")

    class Meta:
        model = Student
        fields = ["id", *STUDENT_COLUMNS, "guardians", "enrol_reason", "created_at", "updated_at"]
        # Issued by the platform when the student is created, carried by transfers; never changed through the API.
        read_only_fields = ["learner_no", "created_at", "updated_at"]
        # What the validators enforce, stated in the schema (patterns, lengths, descriptions).
        extra_kwargs = STUDENT_FIELDS

    def validate_status(self, value):
        if enters_transferred(self.instance.status if self.instance else None, value):
            raise serializers.ValidationError(STATUS_SET_BY_TRANSFERS)
        return value

    def validate(self, attrs):
        # The rules that involve several fields live in Student.clean().
        values = {field: getattr(self.instance, field) for field in STUDENT_COLUMNS} if self.instance else {}
        candidate = Student(**{**values, **{k: v for k, v in attrs.items() if k not in ("guardians", "enrol_reason")}})
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        self.elsewhere = []
        if self.instance is None:
            school = current_school()
            self.elsewhere = active_elsewhere(candidate, school.name if school else "")
            if self.elsewhere and not attrs.get("enrol_reason", "").strip():
                raise serializers.ValidationError({"enrol_reason": [warning(self.elsewhere)]})
        return attrs

    def create(self, validated_data):
        guardians = validated_data.pop("guardians", None)
        reason = validated_data.pop("enrol_reason", "").strip()
        student = super().create(validated_data)
        if self.elsewhere:
            record_enrolled_anyway(self.context.get("request"), student, self.elsewhere, reason, using=student._state.db)
        if guardians is not None:
            replace_guardians(student._state.db, [(student.pk, guardians)])
        return student

    def update(self, instance, validated_data):
        guardians = validated_data.pop("guardians", None)
        validated_data.pop("enrol_reason", None)
        student = super().update(instance, validated_data)
        if guardians is not None:
            replace_guardians(student._state.db, [(student.pk, guardians)])
        return student

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in PATTERNS:
            kwargs["validators"] = stating(kwargs.get("validators", []), PATTERNS[field_name])
        return field_class, kwargs


def refuse_bad_parameters(params):
    """400 for a status, sex or sort the API does not know (a typo must not widen the answer to every student),
    and for a page that is not a whole number (an empty one must not quietly mean the first; a number
    outside the pages is DRF's 404)."""
    problems = {}
    for name, known in (("status", Student.Status.values), ("sex", list(SEX_VALUES)), ("sort", SORT_VALUES)):
        if name in params and params[name] not in known:
            problems[name] = [_("%(value)s is not one of %(known)s.") % {"value": repr(params[name]), "known": ", ".join(known)}]
    page = params.get("page")
    if page is not None and not (page.isascii() and page.lstrip("-").isdigit()):
        problems["page"] = [_("%(value)s is not a page number: use a whole number from 1.") % {"value": repr(page)}]
    if problems:
        raise serializers.ValidationError(problems)


SORT_VALUES = [*SORTABLE, *(f"-{key}" for key in SORTABLE)]
LIST_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Names or registration numbers starting with this text (any case)."),
    OpenApiParameter("grade", OpenApiTypes.STR, description="Only this class."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Student.Status.values, description="Only this status."),
    OpenApiParameter("sex", OpenApiTypes.STR, enum=list(SEX_VALUES),
                     description="Only this sex; `unrecorded` is the students whose record does not say."),
    OpenApiParameter(
        "sort", OpenApiTypes.STR, enum=SORT_VALUES,
        description="Column to sort by; a leading - reverses.",
    ),
]


@extend_schema_view(**{
    action: extend_schema(
        description=description, responses={success: None if action == "destroy" else StudentSerializer, **ERRORS},
        **({"parameters": LIST_PARAMETERS} if action == "list" else {}),
    )
    for action, (success, description) in OPERATIONS.items()
})
class StudentViewSet(PlatformLocaleMixin, AuditedReads, viewsets.ModelViewSet):
    serializer_class = StudentSerializer
    # JSON only: a form body cannot say null (date_of_birth), so the schema
    # would promise what such a body cannot carry.
    parser_classes = [JSONParser]
    permission_classes = [permissions.DjangoModelPermissions, StudentDataPermission, NotTransferredOut]
    lookup_value_regex = "[^/]+"
    queryset = Student.objects.none()  # for permissions and the schema; see get_queryset

    def list(self, request, *args, **kwargs):
        refuse_bad_parameters(request.query_params)
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        return StudentTableQuery.from_params(self.request.query_params).queryset()

    def get_object(self):
        student = get_student_or_404(self.kwargs["pk"])
        self.check_object_permissions(self.request, student)
        return student


