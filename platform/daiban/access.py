"""Roles and data scope: who may do what, and which records each user sees.

Roles come from `config/roles/`. A user's permissions are the union of their roles'; their data
scope is the widest of their roles'. `scope_filter` turns a scope into a peewee condition per
model, and is the one place every admin entry point asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from daiban.catalog.org import Role
from daiban.models import (
    Agent,
    AuditLog,
    Case,
    Department,
    Handoff,
    Matter,
    MatterVersion,
    OrgUnit,
    ServiceCenter,
    User,
)
from daiban.supervision.models import CenterAssessment, Notification, Rating, Rectification

SCOPE_WIDTH = {"all": 4, "township": 3, "center": 2, "department": 2, "own_cases": 1}
ACTIONS = ("view", "create", "edit", "delete", "export", "submit", "approve", "publish")
ACTION_LABELS = {
    "view": "查看", "create": "新建", "edit": "编辑", "delete": "删除", "export": "导出",
    "submit": "提交审核", "approve": "审核", "publish": "发布",
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user as access control sees them."""

    user_id: int
    username: str
    roles: tuple[Role, ...]
    center_id: int | None
    department_id: int | None
    department_code: str | None
    unit_ids: frozenset[int]  # org units the user's scope covers (township scope and below)

    @property
    def scope(self) -> str:
        """The widest data scope among the user's roles."""
        if not self.roles:
            return "own_cases"
        return max((r.scope for r in self.roles), key=lambda s: SCOPE_WIDTH[s])

    def can(self, resource: str, action: str) -> bool:
        """True when any of the user's roles allows `action` on `resource`."""
        return any(role.allows(resource, action) for role in self.roles)

    @property
    def role_names(self) -> str:
        """Chinese names of the user's roles."""
        return "、".join(r.name for r in self.roles)


def principal_for(user: User, roles: dict[str, Role]) -> Principal:
    """Build the Principal of a user from the configured roles (unknown role ids are ignored)."""
    held = tuple(roles[r] for r in user.role_ids if r in roles)
    unit_ids: set[int] = set()
    center = user.center
    if center is not None:
        unit = center.unit
        unit_ids.add(unit.id)
        if unit.level == "township":
            unit_ids.update(u.id for u in OrgUnit.select(OrgUnit.id).where(OrgUnit.parent == unit))
    department = user.department
    return Principal(
        user_id=user.id, username=user.username, roles=held,
        center_id=center.id if center else None,
        department_id=department.id if department else None,
        department_code=department.code if department else None,
        unit_ids=frozenset(unit_ids),
    )


NOTHING = peewee.SQL("1 = 0")


def _center_ids(principal: Principal):
    """The service centers the principal's scope covers: a subquery, a one-id list, or []."""
    if principal.scope == "township":
        if not principal.unit_ids:
            return []
        return ServiceCenter.select(ServiceCenter.id).where(ServiceCenter.unit.in_(principal.unit_ids))
    if principal.scope in ("center", "own_cases") and principal.center_id:
        return [principal.center_id]
    return []


def _center_condition(principal: Principal, center_field):
    """Records tied to a service center, by the principal's scope."""
    ids = _center_ids(principal)
    return NOTHING if isinstance(ids, list) and not ids else center_field.in_(ids)


def scope_filter(model, principal: Principal):
    """A peewee condition selecting the records of `model` the principal may see, or None for all."""
    scope = principal.scope
    if model is Notification:  # messages are personal, whatever the scope
        return Notification.recipient == principal.user_id
    if scope == "all":
        return None
    if model is OrgUnit:
        if scope == "department":
            return NOTHING
        return OrgUnit.id.in_(principal.unit_ids) if principal.unit_ids else NOTHING
    if model is ServiceCenter:
        if scope == "department":
            return NOTHING
        return _center_condition(principal, ServiceCenter.id)
    if model in (Agent, User):
        if scope == "department":
            return model.department == principal.department_id if principal.department_id else NOTHING
        return _center_condition(principal, model.center)
    if model is Department:
        if scope == "department":
            return Department.id == principal.department_id if principal.department_id else NOTHING
        return None  # departments are reference data for everyone who may view them
    if model in (Matter,):
        if scope == "department":
            codes = MatterVersion.select(MatterVersion.code).where(
                MatterVersion.responsible_unit == principal.department_code
            )
            return Matter.code.in_(codes)
        return None
    if model is MatterVersion:
        if scope == "department":
            return MatterVersion.responsible_unit == principal.department_code
        return None
    if model is AuditLog:
        return AuditLog.actor == principal.username
    if model is Case:
        if scope == "own_cases":
            return Case.first_agent == principal.user_id
        if scope == "department":
            codes = MatterVersion.select(MatterVersion.code).where(
                MatterVersion.responsible_unit == principal.department_code
            )
            # Joint units see the cases relayed to them for parallel handling.
            relayed = Handoff.select(Handoff.case).where(Handoff.to_department == principal.department_id)
            return Case.matter_code.in_(codes) | Case.id.in_(relayed)
        relayed = Handoff.select(Handoff.case).where(
            Handoff.to_center.in_(_center_ids(principal)))
        return _center_condition(principal, Case.center) | Case.id.in_(relayed)
    if model in (Rating, Rectification):
        # A rating and its rectification go with their case: whoever sees the case sees them.
        case_condition = scope_filter(Case, principal)
        return model.case.in_(Case.select(Case.id).where(case_condition))
    if model is CenterAssessment:
        if scope == "department":
            return NOTHING
        return _center_condition(principal, CenterAssessment.center)
    return NOTHING  # a model nobody declared a scope for is closed, not open


def scoped(query, model, principal: Principal):
    """Apply the principal's scope to a select query of `model`."""
    condition = scope_filter(model, principal)
    return query if condition is None else query.where(condition)
