"""Role permissions reused by every app. Object ownership is enforced by scoping
querysets to the caller (a foreign object is then a 404, not a 403)."""

from rest_framework.permissions import BasePermission


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.role == "admin"))


class HasRole(BasePermission):
    """Allows authenticated users whose role is one of ``roles``; admins pass when
    ``admin`` is listed."""

    roles: tuple[str, ...] = ()
    message = "Your role may not use this endpoint."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if "admin" in self.roles and is_admin(user):
            return True
        return user.role in self.roles


def role_permission(*roles: str) -> type[HasRole]:
    name = "Is" + "Or".join(r.capitalize() for r in roles)
    return type(name, (HasRole,), {"roles": tuple(roles), "__doc__": f"Role is one of {roles}."})


IsClient = role_permission("client")
IsExpert = role_permission("expert")
IsAgent = role_permission("agent")
IsAdmin = role_permission("admin")
IsAgentOrAdmin = role_permission("agent", "admin")
IsExpertOrAdmin = role_permission("expert", "admin")
