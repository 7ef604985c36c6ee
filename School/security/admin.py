"""The school's admin: its API tokens (revocable) and its audit trail (read-only)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from School.security import tokens
from School.security.models import ApiToken, AuditEvent


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A key is shown once when made: `drf_create_token` or POST /api/tokens/.
        return False

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = tokens.revoke(queryset)
        self.message_user(
            request, ngettext("Revoked %(count)s token.", "Revoked %(count)s tokens.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "target", "format", "rows", "file_name", "result", "address"]
    list_filter = ["action", "at"]
    search_fields = ["username", "target", "file_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
