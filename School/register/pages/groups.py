"""The groups other than a class (a trip, a team): their list and a new one, and one group's members.

/register/groups/                    the current year's groups (a teacher: those in their charge); registrars and
                                     School admins add one (name, teacher in charge, days), then choose its members
/register/groups/members/?group=NAME the group: its members (tick to remove), a search of the school's active
                                     students (by name, number or class; tick to add), its registers; removing
                                     it while no register was taken
The checks are School/register/groups.py's, as `register_groups`'s.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.models import Student
from School.register import groups, service
from School.register.models import GroupRegister
from School.register.pages.guard import guarded
from School.security.bounds import search_text

REFUSAL = gettext_lazy("You may not take registers at this school.")
SHOWN = 50  # students a search lists at once: narrow it by name, number or class


def _takers(using):
    """Active users who take registers (the groups holding the register's permissions), for the teacher's list."""
    holding = Group.objects.using(using).filter(
        permissions__content_type__app_label="register",
        permissions__codename__in=[permission.split(".")[1] for permission in (service.TAKE_OWN, service.TAKE_ANY)])
    ids = list(holding.values_list("pk", flat=True))
    users = get_user_model().objects.using(using).filter(is_active=True).filter(Q(groups__in=ids) | Q(is_superuser=True))
    return sorted(set(users.values_list("username", flat=True)))


def _day(text):
    text = str(text or "")[:10]
    return service.parse_day(text) if text else None


@guarded((service.TAKE_OWN, service.TAKE_ANY, groups.MANAGE), REFUSAL)
def groups_page(request, actor):
    using = current_alias()
    manage = groups.may_manage(actor)
    form = {"name": "", "teacher": "", "first": "", "last": ""}
    error, status = "", 200
    if request.method == "POST":
        if not manage:
            raise PermissionDenied(str(REFUSAL))
        form = {key: str(request.POST.get(key, ""))[:groups.NAME_LENGTH + 10] for key in form}
        try:
            group = groups.create(using, actor.username, form["name"], teacher=form["teacher"],
                                  first=_day(form["first"]), last=_day(form["last"]))
        except service.RegisterError as refusal:
            error, status = str(refusal), 400
        else:
            messages.success(request, _("The group %(name)s was added: now choose its members.") % {"name": group.name})
            return redirect(f"{reverse('register-group')}?{urlencode({'group': group.name})}")
    try:
        found = groups.year_groups(using, None if manage else actor)
    except service.RegisterError as refusal:
        raise Http404(str(refusal)) from None
    return render(request, "register/groups.html", {
        "groups": found, "manage": manage, "form": form, "error": error,
        "takers": _takers(using) if manage else [],
    }, status=status)


@guarded((service.TAKE_OWN, service.TAKE_ANY, groups.MANAGE), REFUSAL)
def group_page(request, actor):
    using = current_alias()
    source = request.POST if request.method == "POST" else request.GET
    if not source.get("group"):
        return redirect("register-groups")
    try:
        ref = groups.find_group(using, str(source.get("group", ""))[:groups.NAME_LENGTH])
    except service.RegisterError as error:
        raise Http404(str(error)) from None
    manage = groups.may_manage(actor)
    if not (manage or service.may_take(actor, ref)):
        raise PermissionDenied(str(REFUSAL))
    error, status = "", 200
    if request.method == "POST":
        if not manage:
            raise PermissionDenied(str(REFUSAL))
        if request.POST.get("delete"):
            try:
                groups.remove(using, ref)
            except service.RegisterError as refusal:
                messages.error(request, str(refusal))
                return redirect(f"{reverse('register-group')}?{urlencode({'group': ref.name})}")
            messages.success(request, _("The group %(name)s was removed.") % {"name": ref.name})
            return redirect("register-groups")
        try:
            added, removed = groups.change_members(using, ref, add=request.POST.getlist("add")[:500],
                                                   remove=request.POST.getlist("remove")[:500])
        except service.RegisterError as refusal:
            error, status = str(refusal), 400
        else:
            messages.success(request, _("Members changed: %(added)d added, %(removed)d removed.") % {
                "added": added, "removed": removed})
            return redirect(f"{reverse('register-group')}?{urlencode({'group': ref.name})}")
    members = groups.members_of(using, ref)
    search = search_text(request.GET.get("q", ""))
    found = []
    if manage and search:
        inside = {student.pk for student in members}
        matching = Student.objects.using(using).filter(status=Student.Status.ACTIVE).filter(
            Q(registration_no__icontains=search) | Q(first_name__icontains=search) | Q(second_name__icontains=search)
            | Q(grade=search)).order_by("grade", "second_name", "first_name").only(
            "pk", "registration_no", "first_name", "second_name", "grade")
        found = [student for student in matching[:SHOWN + len(inside)] if student.pk not in inside][:SHOWN]
    registers = GroupRegister.objects.using(using).filter(group_id=ref.pk).order_by("-date")[:20]
    return render(request, "register/group.html", {
        "ref": ref, "days": groups.days_text(ref), "members": members, "manage": manage, "search": search,
        "found": found, "shown": SHOWN, "registers": registers, "error": error,
        "active": Student.Status.ACTIVE, "today": service.school_today(),
    }, status=status)
