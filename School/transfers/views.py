"""The transfer pages of a school: send, the list (outgoing and incoming), cancel, accept, decline.

Only staff of the school with the `School.transfer_student` permission. A
transfer id that is not this school's (forged, or another school's) is a 404;
a refusal (state, registration number, an unreachable school) shows its reason
with a 400.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST

from School.models import Student
from School.records.table import StudentTableQuery
from School.security.bounds import object_ids
from School.transfers import protocol, records
from School.transfers.protocol import TransferError, TransferNotFound

TRANSFER_STUDENTS = "School.transfer_student"
OFFERED = 200  # students the send page offers from a table's filter


def may_transfer(user):
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(TRANSFER_STUDENTS))


def transfer_staff(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_transfer(request.user):
            raise PermissionDenied(_("You may not transfer this school's students."))
        return view(request, *args, **kwargs)

    return guarded


def actor(request):
    return protocol.Actor(request.user.get_username(), request.school.name, request)


def this_school(request):
    return protocol.school_named(request.school.name)


@transfer_staff
def transfer_list(request, error=None, status=200):
    school = this_school(request)
    context = {
        "outgoing": records.outgoing_of(school),
        "incoming": records.incoming_to(school),
        "arrived": records.arrived_at(school),
        "error": error,
    }
    return render(request, "transfers/transfers.html", context, status=status)


def refused(request, error):
    if isinstance(error, TransferNotFound):
        raise Http404(str(error))
    return transfer_list(request, error=str(error), status=400)


@transfer_staff
def send(request):
    school = this_school(request)
    params = request.POST if request.method == "POST" else request.GET
    chosen = object_ids(Student, [pk for pk in params.getlist("student") if pk])
    students = list(Student.objects.filter(pk__in=chosen))
    offered = students
    if request.method == "GET" and not chosen:
        query = StudentTableQuery.from_params(request.GET, hide_transferred=True)
        offered = list(query.queryset().filter(status=Student.Status.ACTIVE)[:OFFERED])
    error = None
    if request.method == "POST":
        try:
            if not students:
                raise TransferError(_("Choose at least one student."))
            target = protocol.find_school(request.POST.get("to", ""))
            rows = protocol.send(school, target, students, actor(request), request.POST.get("note", "").strip())
        except TransferError as failure:
            error = str(failure)
        else:
            messages.success(request, ngettext(
                "%(count)d transfer sent to %(school)s: it waits for their answer.",
                "%(count)d transfers sent to %(school)s: they wait for their answer.", len(rows),
            ) % {"count": len(rows), "school": target.display_name})
            return redirect("transfers")
    context = {"offered": offered, "chosen": {str(pk) for pk in chosen}, "error": error,
               "to": params.get("to", ""), "note": params.get("note", "")}
    return render(request, "transfers/send.html", context, status=400 if error else 200)


def answered(request, step, done):
    """Run one step on a transfer: back to the list with `done`, or the refusal's reason."""
    try:
        step()
    except TransferError as error:
        return refused(request, error)
    messages.success(request, done)
    return redirect("transfers")


@require_POST
@transfer_staff
def cancel(request, key):
    return answered(request, lambda: protocol.cancel(this_school(request), key, actor(request)),
                    _("The transfer was cancelled."))


@require_POST
@transfer_staff
def accept(request, key):
    number = request.POST.get("registration_no", "").strip()
    return answered(request, lambda: protocol.accept(this_school(request), [key], actor(request), {key: number} if number else None),
                    _("The transfer was accepted: the record is now this school's."))


@require_POST
@transfer_staff
def decline(request, key):
    return answered(request, lambda: protocol.decline(this_school(request), key, actor(request), request.POST.get("reason", "")),
                    _("The transfer was declined."))
