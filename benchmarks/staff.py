"""The people and places of the bench fill: the shipped organisation and catalog, the accounts
that work in it and the agent roster.

The organisation (config/org/) and the catalog (config/matters/) go in through the platform's
own `sync_organisation` and `publish_catalog`. Every service center gets its agents (village
stations two, township centers three, the banner's center four), every department a liaison;
the bench's sign-in accounts are among them, so their workbenches hold real cases. All accounts
share one password: it is hashed once and the hash is copied.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.models import Agent, Department, ServiceCenter, User
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog

PASSWORD = "Load-Test-2026"  # contains no username: the policy refuses that
AGENT_ROLES = {"village": "village_agent", "township": "township_agent", "banner": "banner_agent"}
AGENTS_PER_CENTER = {"village": 2, "township": 3, "banner": 4}
# The accounts the benchmarks sign in with: username -> (role, center code, department code).
SIGN_INS = {
    "bench": ("bureau", "banner-center", "banner-government-service-bureau"),
    "bench_banner": ("banner_agent", "banner-center", None),
    "bench_township": ("township_agent", "yinde-er-center", None),
    "bench_village": ("village_agent", "yinde-er-hongxing-station", None),
    "bench_liaison": ("department_liaison", None, "banner-civil-affairs-bureau"),
    "bench_inspector": ("inspector", None, "banner-government-service-bureau"),
    "bench_admin": ("system_admin", "banner-center", None),
}
SURNAMES = "孙钱周赵冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛"


@dataclass(frozen=True)
class Person:
    """An account as the fill uses it: id, username, display name and roles (comma-separated)."""

    id: int
    username: str
    display_name: str
    roles: str


@dataclass
class Staff:
    """The fill's organisation: centers, departments, accounts by center and by department."""

    catalog: object
    centers: dict[int, ServiceCenter]
    departments: dict[str, Department]  # by code
    agents: dict[int, list[Person]] = field(default_factory=dict)  # center id -> its agents
    liaisons: dict[int, Person] = field(default_factory=dict)  # department id -> its liaison
    township_center: dict[int, int] = field(default_factory=dict)  # village station -> township center

    @cached_property
    def departments_by_id(self) -> dict[int, Department]:
        """The departments by id."""
        return {d.id: d for d in self.departments.values()}


def _insert_user(username, display_name, password_hash, role, center, department) -> User:
    User.insert(username=username, display_name=display_name, password_hash=password_hash, roles=role,
                center=center, department=department, created_at=datetime.datetime.now()).execute()
    return User.get(User.username == username)


def set_up(config: Path) -> Staff:
    """Sync the organisation, publish the catalog, and create the accounts and the agent roster."""
    catalog = load_catalog(config).catalog
    sync_organisation(catalog.organisation)
    publish_catalog(catalog, "bench")
    centers = {c.id: c for c in ServiceCenter.select().order_by(ServiceCenter.id)}
    departments = {d.code: d for d in Department.select().order_by(Department.id)}
    by_code = {c.code: c for c in centers.values()}
    first = create_user("bench", "压测（政务服务局）", PASSWORD, ["bureau"], center=by_code["banner-center"],
                        department=departments["banner-government-service-bureau"])
    staff = Staff(catalog, centers, departments)
    names = iter(f"{s}{g}" for g in ("代办", "专员", "干事") for s in SURNAMES)
    made = {"bench": first}
    for username, (role, center_code, department_code) in SIGN_INS.items():
        if username not in made:
            center = by_code.get(center_code) if center_code else None
            department = departments.get(department_code) if department_code else None
            made[username] = _insert_user(username, f"{next(names)}（压测）", first.password_hash, role,
                                          center, department)
    for center in centers.values():
        role = AGENT_ROLES[center.level]
        own = [u for u in made.values() if u.center_id == center.id and u.roles == role]
        for n in range(AGENTS_PER_CENTER[center.level] - len(own)):
            own.append(_insert_user(f"agent-{center.code}-{n + 1}", next(names), first.password_hash, role,
                                    center, None))
        staff.agents[center.id] = [Person(u.id, u.username, u.display_name, u.roles) for u in own]
    for department in departments.values():
        user = next((u for u in made.values() if u.department_id == department.id
                     and u.roles == "department_liaison"), None)
        if user is None:
            user = _insert_user(f"liaison-{department.code}", next(names), first.password_hash,
                                "department_liaison", None, department)
        staff.liaisons[department.id] = Person(user.id, user.username, user.display_name, user.roles)
    for center in centers.values():
        if center.level == "village":
            township = center.unit.parent
            staff.township_center[center.id] = next(
                c.id for c in centers.values() if c.level == "township" and c.unit_id == township.id)
    _roster(staff)
    return staff


def _roster(staff: Staff) -> None:
    """The agent roster (代办员): one entry per agent account, its mobile sealed as the model seals it."""
    rows = []
    for center_id, people in staff.agents.items():
        for n, person in enumerate(people):
            rows.append({"name": person.display_name, "center": center_id, "user": person.id,
                         "phone": f"1390482{center_id:02d}{n:02d}",  # the column seals it
                         "status": "active", "duties": "政策咨询\n帮办代办\n材料收集报送\n回访",
                         "created_at": datetime.datetime.now()})
    Agent.insert_many(rows).execute()
