"""Who may do what: the single place services ask."""

from __future__ import annotations

from qa_app.i18n import gettext as _
from qa_app.models import Role, User
from qa_app.services.errors import PermissionDenied

STAFF_ROLES = frozenset(Role)


def ensure_role(actor: User | None, *roles: Role) -> User:
    """The actor, if active and holding one of ``roles`` (admins hold every role); else PermissionDenied."""
    if actor is None or not actor.active:
        raise PermissionDenied(_("You need to log in to do this."))
    if actor.role is Role.ADMIN or actor.role in roles:
        return actor
    raise PermissionDenied(_("Your role does not allow this action."))


def ensure_department_access(actor: User, department_id: int | None) -> None:
    """Officers act only on their own department; other staff roles are not bound to one."""
    if actor.role is Role.OFFICER and (department_id is None or actor.department_id != department_id):
        raise PermissionDenied(_("This item belongs to another department."))
