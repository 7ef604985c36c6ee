"""/api/years/, /api/classes/ and /api/enrolments/: a school's calendar, classes and enrolments as JSON.

Read by anyone who may read the school's students; written where a
registrar would: classes (created and changed, with the school_year
permissions of the Registrars group) and an enrolment's class. Lists show
the current year unless `year` names another. Names, not ids, for a year,
a grade, a class and a teacher (a user's username): they are what a
registrar types, and reading them needs no join per row (MongoDB).
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.parsers import JSONParser

from School.locale.activation import PlatformLocaleMixin
from School.models import Student
from School.records.api import refuse_bad_parameters
from School.records.api_schema import ERRORS, TextLine
from School.school_year.models import ClosedDay, Enrolment, Grade, SchoolClass, SchoolYear, Term
from School.security.access import StudentDataPermission
from School.security.audit import AuditedReads

YEAR_PARAMETER = OpenApiParameter("year", OpenApiTypes.STR, description="A year's name, e.g. 2026; the current year if not given.")


def chosen_year(request):
    """The year `?year=` names, or the current one; 400 for a year the school does not have."""
    name = request.query_params.get("year")
    years = SchoolYear.objects.all()
    year = years.filter(name=name).first() if name else years.filter(is_current=True).first()
    if name and year is None:
        raise serializers.ValidationError({"year": [_("%(value)s is not a year of this school.") % {"value": repr(name)}]})
    return year


class TermSerializer(serializers.ModelSerializer):
    class Meta:
        model = Term
        fields = ["name", "first_day", "last_day"]


class ClosedDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = ClosedDay
        fields = ["reason", "first_day", "last_day"]


class YearSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="pk", read_only=True)
    terms = TermSerializer(many=True, read_only=True)
    closed_days = ClosedDaySerializer(many=True, read_only=True)

    class Meta:
        model = SchoolYear
        fields = ["id", "name", "first_day", "last_day", "is_current", "terms", "closed_days"]


class ReadOnlyParameters:
    def list(self, request, *args, **kwargs):
        refuse_bad_parameters(request.query_params)
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(description="The school's years, oldest first, with their terms and closed days.",
                       responses={200: YearSerializer, **ERRORS}),
    retrieve=extend_schema(description="One year, by the `id` the list gives.", responses={200: YearSerializer, **ERRORS}),
)
class YearViewSet(PlatformLocaleMixin, AuditedReads, ReadOnlyParameters, viewsets.ReadOnlyModelViewSet):
    serializer_class = YearSerializer
    permission_classes = [permissions.DjangoModelPermissions, StudentDataPermission]
    lookup_value_regex = "[^/]+"
    queryset = SchoolYear.objects.none()  # for permissions and the schema

    def get_queryset(self):
        return SchoolYear.objects.order_by("first_day").prefetch_related("terms", "closed_days")


@extend_schema_field({"type": "string", "minLength": 1})
class NameOf(serializers.SlugRelatedField):
    """A row named by its name (or a user by username); an empty text is no name (DRF reads it as null)."""


class ClassSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="pk", read_only=True)
    year = NameOf(slug_field="name", queryset=SchoolYear.objects.all(), help_text="The year's name.")
    grade = NameOf(slug_field="name", queryset=Grade.objects.all(), help_text="A grade of the ladder.")
    name = TextLine(max_length=40, help_text="Unique in its year, e.g. Form 2 East.")
    teacher = NameOf(
        slug_field="username", queryset=get_user_model().objects.all(), allow_null=True, required=False,
        help_text="The class teacher's username (a user of the school), or null.",
    )

    class Meta:
        model = SchoolClass
        fields = ["id", "year", "grade", "name", "teacher", "capacity"]
        validators = []  # the unique name in its year is checked in validate(), with a message that says so

    def validate(self, attrs):
        year = attrs.get("year", getattr(self.instance, "year", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        others = SchoolClass.objects.filter(year=year, name=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
            moved = any(field in attrs and attrs[field] != getattr(self.instance, field) for field in ("year", "grade"))
            if moved and Enrolment.objects.filter(school_class=self.instance).exists():
                raise serializers.ValidationError({"grade": [_("The class has enrolments: its year and grade stay.")]})
        if others.exists():
            raise serializers.ValidationError({"name": [_("A class of that name already exists in that year.")]})
        return attrs


@extend_schema_view(
    list=extend_schema(description="The classes of the current year (or of `year`), by name.", parameters=[YEAR_PARAMETER],
                       responses={200: ClassSerializer, **ERRORS}),
    retrieve=extend_schema(description="One class, by the `id` the list gives.", responses={200: ClassSerializer, **ERRORS}),
    create=extend_schema(description="Create a class of one grade in one year.", responses={201: ClassSerializer, **ERRORS}),
    update=extend_schema(description="Change a class (its year and grade only while it has no enrolments).",
                         responses={200: ClassSerializer, **ERRORS}),
    partial_update=extend_schema(description="Change some of a class's details.", responses={200: ClassSerializer, **ERRORS}),
)
class ClassViewSet(PlatformLocaleMixin, AuditedReads, ReadOnlyParameters, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                   viewsets.ReadOnlyModelViewSet):
    serializer_class = ClassSerializer
    parser_classes = [JSONParser]
    permission_classes = [permissions.DjangoModelPermissions, StudentDataPermission]
    lookup_value_regex = "[^/]+"
    queryset = SchoolClass.objects.none()

    def get_queryset(self):
        classes = SchoolClass.objects.select_related("year", "grade", "teacher").order_by("name")
        if self.action == "list":
            return classes.filter(year=chosen_year(self.request))
        return classes


class EnrolmentSerializer(serializers.ModelSerializer):
    """Names are looked up once per page (the view's context), not joined per row."""

    id = serializers.CharField(source="pk", read_only=True)
    student = serializers.CharField(source="student_id", read_only=True, help_text="The student's id (/api/students/).")
    year = serializers.SerializerMethodField()
    grade = serializers.SerializerMethodField()
    school_class = serializers.CharField(
        source="school_class_id", allow_blank=True, max_length=40,
        help_text="The class's name, a class of the enrolment's year and grade; empty for none.")

    class Meta:
        model = Enrolment
        fields = ["id", "student", "year", "grade", "school_class", "first_day", "last_day", "outcome"]
        read_only_fields = ["first_day", "last_day", "outcome"]

    def _names(self, model):
        cache = self.context.setdefault("names", {})
        if model not in cache:
            cache[model] = dict(model.objects.values_list("pk", "name"))
        return cache[model]

    def get_year(self, enrolment) -> str:
        return self._names(SchoolYear).get(enrolment.year_id, "")

    def get_grade(self, enrolment) -> str:
        return self._names(Grade).get(enrolment.grade_id, "")

    def to_representation(self, enrolment):
        data = super().to_representation(enrolment)
        data["school_class"] = self._names(SchoolClass).get(enrolment.school_class_id, "")
        return data

    def validate_school_class(self, name):
        if not name:
            return None
        enrolment = self.instance
        found = SchoolClass.objects.filter(year_id=enrolment.year_id, name=name).first()
        if found is None:
            raise serializers.ValidationError(_("%(value)s is not a class of this enrolment's year.") % {"value": repr(name)})
        if enrolment.grade_id is not None and found.grade_id != enrolment.grade_id:
            raise serializers.ValidationError(_("%(value)s is a class of another grade.") % {"value": repr(name)})
        return found

    def update(self, enrolment, validated):
        enrolment.school_class = validated.get("school_class_id", enrolment.school_class)
        enrolment.save(update_fields=["school_class", "updated_at"])
        if SchoolYear.objects.filter(pk=enrolment.year_id, is_current=True).exists():
            # The student row shows the current class (the table and promotion read it there).
            shown = enrolment.school_class.name if enrolment.school_class else self._names(Grade).get(enrolment.grade_id, "")
            Student.objects.filter(pk=enrolment.student_id).update(grade=shown)
        self.context.pop("names", None)
        return enrolment


class NotTransferredOutEnrolment(permissions.BasePermission):
    """A transferred-out student's years are read-only, as its record is."""

    message = _("This record was transferred to another school, or is being transferred: it is read-only.")

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.outcome != Enrolment.Outcome.TRANSFERRED_OUT


@extend_schema_view(
    list=extend_schema(description="The enrolments of the current year (or of `year`), in the order of their first day.",
                       parameters=[YEAR_PARAMETER], responses={200: EnrolmentSerializer, **ERRORS}),
    retrieve=extend_schema(description="One enrolment, by the `id` the list gives.", responses={200: EnrolmentSerializer, **ERRORS}),
    update=extend_schema(description="Place the student in another class of its year and grade (only the class changes).",
                         responses={200: EnrolmentSerializer, **ERRORS}),
    partial_update=extend_schema(description="Place the student in another class of its year and grade.",
                                 responses={200: EnrolmentSerializer, **ERRORS}),
)
class EnrolmentViewSet(PlatformLocaleMixin, AuditedReads, ReadOnlyParameters, mixins.UpdateModelMixin,
                       viewsets.ReadOnlyModelViewSet):
    serializer_class = EnrolmentSerializer
    parser_classes = [JSONParser]
    permission_classes = [permissions.DjangoModelPermissions, StudentDataPermission, NotTransferredOutEnrolment]
    lookup_value_regex = "[^/]+"
    queryset = Enrolment.objects.none()

    def get_queryset(self):
        enrolments = Enrolment.objects.order_by("first_day", "pk")
        if self.action == "list":
            return enrolments.filter(year=chosen_year(self.request))
        return enrolments
