from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import LoginThrottle, User
from foodxchange.admin import StaffAreaAdmin
from foodxchange.errors import DomainError, message_of

# Fields that grant powers: only a superuser changes them (support staff would
# otherwise promote themselves).
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(StaffAreaAdmin, DjangoUserAdmin):
    """People: the support area. Activation goes through the account services (audited,
    tokens revoked, the user told), never through the form."""

    view_area = "support"
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    date_hierarchy = "date_joined"
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("first_name", "last_name", "role", "timezone", "phone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)
    actions = ["deactivate_and_revoke", "activate"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["is_active", "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += PRIVILEGE_FIELDS
        return readonly

    def _set_active(self, request, queryset: QuerySet, active: bool) -> None:
        try:
            changed = services.set_users_active(actor=request.user, users=queryset, active=active, request=request)
        except DomainError as exc:
            self.message_user(request, message_of(exc), messages.ERROR)
            return
        verb = "activated" if active else "deactivated and signed out"
        self.message_user(request, f"{len(changed)} account(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Deactivate and sign out everywhere (revoke refresh tokens)")
    def deactivate_and_revoke(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Activate")
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)


@admin.register(LoginThrottle)
class LoginThrottleAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["email", "failures", "locked_until", "ip_address", "created_at", "updated_at"]
    search_fields = ["email", "ip_address"]
    list_filter = ["locked_until", "created_at"]
    readonly_fields = ["email", "failures", "locked_until", "ip_address", "created_at", "updated_at"]
    actions = ["unlock"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Unlock selected accounts")
    def unlock(self, request, queryset):
        count = services.unlock_logins(actor=request.user, throttles=queryset, request=request)
        self.message_user(request, f"{count} account(s) unlocked.", messages.SUCCESS)
