from django.urls import path

from School.register.pages import groups, settings, sheet, take, today

urlpatterns = [
    path("register/", take.register_page, name="register"),
    path("register/today/", today.today_page, name="register-today"),
    path("register/sheet/", sheet.sheet_page, name="register-sheet"),
    path("register/settings/", settings.settings_page, name="register-settings"),
    path("register/groups/", groups.groups_page, name="register-groups"),
    path("register/groups/members/", groups.group_page, name="register-group"),
]
