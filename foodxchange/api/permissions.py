"""Role and staff-area permissions reused by every app. Object ownership is enforced
by scoping querysets to the caller (a foreign object is then a 404, not a 403).

Staff are not all-powerful: an admin endpoint names its area (``support``, ``finance``,
``operations``) and a staff user needs that area's permission (held through the Django
group of the same name; superusers hold all). See ``foodxchange.models.StaffArea``."""

from rest_framework.permissions import BasePermission

STAFF_AREAS = ("support", "finance", "operations")


def is_admin(user) -> bool:
    """Any staff account (whatever its areas): for "staff may see this object" checks."""
    return bool(user and user.is_authenticated and (user.is_staff or user.role == "admin"))


def has_staff_area(user, area: str) -> bool:
    """True for an active staff user holding ``area`` (superusers hold every area)."""
    if area not in STAFF_AREAS:
        raise ValueError(f"Unknown staff area {area!r}; expected one of {STAFF_AREAS}.")
    if not is_admin(user) or not user.is_active:
        return False
    return bool(user.is_superuser or user.has_perm(f"foodxchange.{area}"))


class HasRole(BasePermission):
    """Allows authenticated users whose role is one of ``roles``. ``staff_area`` lets
    staff through only when they hold that area (``admin`` in ``roles`` with no area:
    any staff account)."""

    roles: tuple[str, ...] = ()
    staff_area: str | None = None
    message = "Your role may not use this endpoint."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if is_admin(user):
            if self.staff_area is not None:
                if has_staff_area(user, self.staff_area):
                    return True
                self.message = f"This endpoint needs the staff permission '{self.staff_area}'."
                return False
            if "admin" in self.roles:
                return True
        return user.role in self.roles


def role_permission(*roles: str, staff_area: str | None = None) -> type[HasRole]:
    """A permission class for ``roles``; with ``staff_area``, staff need that area."""
    name = "Is" + "Or".join(r.capitalize() for r in roles) + (f"{staff_area.capitalize()}Staff" if staff_area else "")
    doc = f"Role is one of {roles}" + (f"; staff need the '{staff_area}' area." if staff_area else ".")
    return type(name, (HasRole,), {"roles": tuple(roles), "staff_area": staff_area, "__doc__": doc})


def staff_permission(area: str) -> type[HasRole]:
    """Staff holding ``area`` only."""
    if area not in STAFF_AREAS:
        raise ValueError(f"Unknown staff area {area!r}.")
    return role_permission(staff_area=area)


class HasAnyStaffArea(BasePermission):
    """Staff holding at least one of ``areas``."""

    areas: tuple[str, ...] = ()
    message = "This endpoint needs a staff permission."

    def has_permission(self, request, view) -> bool:
        return any(has_staff_area(request.user, area) for area in self.areas)


def any_staff_area(*areas: str) -> type[HasAnyStaffArea]:
    """Staff holding any of ``areas`` (e.g. the audit log: support or operations)."""
    for area in areas:
        if area not in STAFF_AREAS:
            raise ValueError(f"Unknown staff area {area!r}.")
    name = "Is" + "Or".join(a.capitalize() for a in areas) + "Staff"
    message = "This endpoint needs one of the staff permissions: " + ", ".join(f"'{a}'" for a in areas) + "."
    return type(name, (HasAnyStaffArea,), {"areas": tuple(areas), "message": message})


IsClient = role_permission("client")
IsExpert = role_permission("expert")
IsAgent = role_permission("agent")
IsAdmin = role_permission("admin")
IsAgentOrAdmin = role_permission("agent", "admin")
IsExpertOrAdmin = role_permission("expert", "admin")

IsSupportStaff = staff_permission("support")
IsFinanceStaff = staff_permission("finance")
IsOperationsStaff = staff_permission("operations")
IsAgentOrSupportStaff = role_permission("agent", staff_area="support")
IsSupportOrOperationsStaff = any_staff_area("support", "operations")
