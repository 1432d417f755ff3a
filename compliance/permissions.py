from rest_framework.permissions import BasePermission

from foodxchange.api.permissions import has_staff_area, is_admin


class IsLedgerStaff(BasePermission):
    """Staff holding the operations or the support area."""

    message = "The ledger needs the staff permission 'operations' or 'support'."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return is_admin(user) and (has_staff_area(user, "operations") or has_staff_area(user, "support"))
