"""/api/registers/: read and write one register, for a tablet app or an SMS gateway, with the page's rules.

GET ?class=&date=&session= answers the register as stored (everyone present
when it has not been taken); POST takes it through School/register/service.py:
the marks not present, the version the client saw (0: none yet), and for an
earlier day the correction's reason. Refusals: 400 with the one-line message,
403 for a register the caller may not take; nothing written.

/api/students/<id>/attendance/ answers one student's figures this term and
this year (reading.student_attendance, as their page shows them).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from School.context import current_alias
from School.locale.activation import PlatformLocaleMixin
from School.register import reading, service
from School.register.codes import CODES
from School.records.api_schema import ERRORS, PROBLEM, TextLine
from School.register.models import RegisterTaken
from School.security import audit
from School.security.access import StudentDataPermission
from School.views import get_student_or_404


class MarkSerializer(serializers.Serializer):
    registration_no = TextLine(max_length=50)
    code = serializers.ChoiceField(choices=[code for code in CODES])
    reason = TextLine(max_length=60, required=False, allow_blank=True, default="")


class RegisterSerializer(serializers.Serializer):
    class_name = TextLine(max_length=40, help_text="The class as its page names it (or the grade).")
    date = serializers.DateField()
    session = serializers.ChoiceField(choices=["day", "am", "pm"], default="day")
    version = serializers.IntegerField(min_value=0, default=0, help_text="The version the client last read; 0 when none.")
    correction = TextLine(max_length=200, required=False, allow_blank=True, default="",
                                       help_text="Why an earlier day's register is changed (required then).")
    marks = MarkSerializer(many=True, help_text="The students not simply present; everyone else is present.")


ANSWER = inline_serializer("RegisterAnswer", {
    "class_name": serializers.CharField(), "date": serializers.DateField(), "session": serializers.CharField(),
    "taken": serializers.BooleanField(), "taken_by": serializers.CharField(), "version": serializers.IntegerField(),
    "marks": MarkSerializer(many=True), "changed": serializers.BooleanField(required=False),
    "replaced": serializers.CharField(required=False, help_text="Who had saved a newer version this save replaced."),
})


# The students API's error answers, with what 400 and 403 mean here; there is no 404 (an unknown class is a 400).
REFUSALS = {
    **{status: response for status, response in ERRORS.items() if status != 404},
    400: OpenApiResponse(response=ERRORS[400].response, description=(
        "Not taken: `detail` says why in one line (a closed day or one in the future, a class not of the current "
        "year, a student not in the class, an unknown mark or reason, a missing correction reason), or each "
        "named field with its problems. Nothing was written.")),
    403: OpenApiResponse(response=PROBLEM, description=(
        "The token's user may not take or read this class's register (a teacher: only their own classes; "
        "after the day: registrars only). Nothing was written.")),
}


def answer(ref_name, day, session, register, marks):
    return {"class_name": ref_name, "date": day.isoformat(), "session": session, "taken": register is not None,
            "taken_by": register.taken_by if register else "", "version": register.version if register else 0,
            "marks": [{"registration_no": regno, "code": code, "reason": reason} for regno, (code, reason) in sorted(marks.items())]}


def flat(problems, where=""):
    """A field's problems as the one list of strings the schema promises (the marks' are nested: "4.code: ...")."""
    if isinstance(problems, dict):
        return [text for key, inner in problems.items() for text in flat(inner, f"{where}{key}.")]
    if isinstance(problems, (list, tuple)):
        return [text for inner in problems for text in flat(inner, where)]
    return [f"{where[:-1]}: {problems}" if where else str(problems)]


class HoldsARegisterPermission(permissions.BasePermission):
    """Only those who take or read registers get as far as the request's checks; which class is service.may_take's."""

    message = "You may not take or read registers at this school."

    def has_permission(self, request, view):
        actor = service.Actor(request.user)
        return bool(request.user and request.user.is_authenticated) and any(
            actor.may(permission) for permission in (service.TAKE_OWN, service.TAKE_ANY, service.READ))


class RegisterView(PlatformLocaleMixin, APIView):
    parser_classes = [JSONParser]
    permission_classes = [permissions.IsAuthenticated, HoldsARegisterPermission]

    @extend_schema(parameters=[OpenApiParameter("class", str, required=True), OpenApiParameter("date", str),
                               OpenApiParameter("session", str, enum=["day", "am", "pm"])], responses={200: ANSWER, **REFUSALS})
    def get(self, request):
        using = current_alias()
        actor = service.Actor(request.user)
        try:
            ref = service.find_class(using, str(request.query_params.get("class", ""))[:40])
            day = service.parse_day(str(request.query_params.get("date", ""))[:10])
        except service.RegisterError as error:
            raise ValidationError({"detail": str(error)}) from None
        if not (actor.may(service.READ) or service.may_take(actor, ref)):
            raise PermissionDenied(f"{actor.username} may not read the register of {ref.name}")
        session = str(request.query_params.get("session", "")) or str(service.sessions(using)[0])
        register = RegisterTaken.objects.using(using).filter(year=ref.year, class_name=ref.name, date=day, session=session).first()
        return Response(answer(ref.name, day, session, register, service.stored_marks(register, service.class_students(using, ref))))

    @extend_schema(request=RegisterSerializer, responses={200: ANSWER, **REFUSALS})
    def post(self, request):
        given = RegisterSerializer(data=request.data)
        if not given.is_valid():
            raise ValidationError({field: flat(problems) for field, problems in given.errors.items()})
        data = given.validated_data
        marks = {}
        for mark in data["marks"]:
            if mark["registration_no"] in marks:
                raise ValidationError({"detail": f"student {mark['registration_no']} is named twice"})
            marks[mark["registration_no"]] = (mark["code"], mark["reason"])
        try:
            result = service.take(current_alias(), service.Actor(request.user), data["class_name"], data["date"], marks,
                                  session=data["session"], version=data["version"], correction=data["correction"])
        except service.RegisterRefused as error:
            raise PermissionDenied(str(error)) from None
        except service.RegisterError as error:
            raise ValidationError({"detail": str(error)}) from None
        register = result.register
        body = answer(register.class_name, register.date, register.session, register, result.marks)
        body["changed"] = result.changed
        if result.replaced:
            body["replaced"] = f"{result.replaced[0]} at {result.replaced[1].isoformat()}"
        return Response(body)


PERIOD = inline_serializer("AttendancePeriod", many=True, fields={
    "period": serializers.CharField(help_text="The term's or the year's name."),
    "school": serializers.CharField(help_text="Empty for this school; an earlier school's name for a year carried by a transfer."),
    "first": serializers.DateField(allow_null=True),
    "last": serializers.DateField(allow_null=True, help_text="The period's last day so far (null for an earlier school's year)."),
    "expected": serializers.IntegerField(help_text="Registers (sessions) the student was expected at."),
    "present": serializers.IntegerField(help_text="Present, late arrivals included."),
    "late": serializers.IntegerField(), "absent": serializers.IntegerField(help_text="Excused and unexcused."),
    "excused": serializers.IntegerField(), "unexcused": serializers.IntegerField(),
    "not_expected": serializers.IntegerField(help_text="Registers left out (an approved leave)."),
    "rate": serializers.FloatField(allow_null=True, help_text="Present / expected in percent; null with nothing expected."),
})
ATTENDANCE = inline_serializer("StudentAttendance", {
    "id": serializers.CharField(), "registration_no": serializers.CharField(), "class_name": serializers.CharField(),
    "periods": PERIOD,
})


class StudentAttendanceView(PlatformLocaleMixin, APIView):
    """/api/students/<id>/attendance/: the student's figures this term and this year, as on their page (a read, audited)."""

    permission_classes = [permissions.IsAuthenticated, StudentDataPermission]

    @extend_schema(responses={200: ATTENDANCE, **{status: ERRORS[status] for status in (401, 403, 404) if status in ERRORS}})
    def get(self, request, pk):
        student = get_student_or_404(pk)
        periods = reading.student_attendance(current_alias(), student)
        audit.record(request, audit.API_READ, target=request.get_full_path(), format="json", rows=1)
        return Response({"id": str(student.pk), "registration_no": student.registration_no, "class_name": student.grade,
                         "periods": [{**period, "first": period["first"] and period["first"].isoformat(),
                                      "last": period["last"] and period["last"].isoformat()} for period in periods]})
