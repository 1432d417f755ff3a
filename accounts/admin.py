from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import LoginThrottle, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
    actions = ["deactivate_and_revoke"]

    @admin.action(description="Deactivate and sign out everywhere (revoke refresh tokens)")
    def deactivate_and_revoke(self, request, queryset):
        count = 0
        for user in queryset:
            user.is_active = False
            user.save(update_fields=["is_active"])
            services.revoke_all_refresh_tokens(user)
            count += 1
        self.message_user(request, f"{count} account(s) deactivated and signed out.", messages.SUCCESS)


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    list_display = ["email", "failures", "locked_until", "updated_at"]
    search_fields = ["email"]
    list_filter = ["locked_until"]
    actions = ["unlock"]

    @admin.action(description="Unlock selected accounts")
    def unlock(self, request, queryset):
        updated = queryset.update(failures=0, locked_until=None)
        self.message_user(request, f"{updated} account(s) unlocked.", messages.SUCCESS)
