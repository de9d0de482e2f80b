"""The organisation, roles and domains, compiled from `config/org/`, `roles/` and `domains.yaml`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Unit:
    """An administrative unit: the banner, a township (苏木乡镇) or a village/community (嘎查村/社区)."""

    id: str
    name: str
    level: str
    kind: str
    parent: str | None = None


@dataclass(frozen=True)
class ServiceCenter:
    """A 帮办代办 service center (banner, township) or service station (village)."""

    id: str
    name: str
    level: str
    unit: str
    address: str | None = None
    phone: str | None = None
    hours: str | None = None


@dataclass(frozen=True)
class Department:
    """A responsible unit (责任单位) that decides matters."""

    id: str
    name: str
    short_name: str | None = None
    in_hall: bool = True
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Organisation:
    """The whole organisation of the banner."""

    units: dict[str, Unit] = field(default_factory=dict)
    service_centers: dict[str, ServiceCenter] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    sample: bool = False

    @property
    def banner(self) -> Unit | None:
        """The banner unit, if configured."""
        return next((u for u in self.units.values() if u.level == "banner"), None)

    def children(self, unit_id: str) -> list[Unit]:
        """Units directly under `unit_id`."""
        return [u for u in self.units.values() if u.parent == unit_id]


@dataclass(frozen=True)
class Role:
    """A role: allowed actions per resource and the data scope of its users."""

    id: str
    name: str
    scope: str
    permissions: dict[str, frozenset[str]]
    levels: tuple[str, ...] = ()
    description: str | None = None

    def allows(self, resource: str, action: str) -> bool:
        """True when the role may do `action` on `resource`."""
        return action in self.permissions.get(resource, frozenset())


@dataclass(frozen=True)
class Domain:
    """A service domain (领域)."""

    id: str
    name: str
    description: str | None = None


def compile_organisation(documents: list[dict]) -> Organisation:
    """Merge default-filled org documents into one Organisation."""
    units: dict[str, Unit] = {}
    centers: dict[str, ServiceCenter] = {}
    departments: dict[str, Department] = {}
    sample = False
    banner_id = None
    for doc in documents:
        sample = sample or doc.get("sample", False)
        if "banner" in doc:
            b = doc["banner"]
            banner_id = b["id"]
            units[b["id"]] = Unit(b["id"], b["name"], "banner", "banner")
    for doc in documents:
        for t in doc.get("townships", ()):
            units[t["id"]] = Unit(t["id"], t["name"], "township", t.get("kind", "town"), banner_id)
            for v in t.get("villages", ()):
                units[v["id"]] = Unit(v["id"], v["name"], "village", v.get("kind", "village"), t["id"])
        for c in doc.get("service_centers", ()):
            centers[c["id"]] = ServiceCenter(
                c["id"], c["name"], c["level"], c["unit"], c.get("address"), c.get("phone"),
                c.get("hours"),
            )
        for d in doc.get("departments", ()):
            departments[d["id"]] = Department(
                d["id"], d["name"], d.get("short_name"), d.get("in_hall", True), d.get("phone"),
                d.get("address"),
            )
    return Organisation(units, centers, departments, sample)


def compile_role(doc: dict) -> Role:
    """Build a Role from a default-filled role document."""
    return Role(
        id=doc["id"], name=doc["name"], scope=doc["scope"],
        permissions={res: frozenset(actions) for res, actions in doc["permissions"].items()},
        levels=tuple(doc.get("levels", ())), description=doc.get("description"),
    )


def compile_domains(doc: dict) -> dict[str, Domain]:
    """Build the domain registry from the default-filled domains document."""
    return {d["id"]: Domain(d["id"], d["name"], d.get("description")) for d in doc["domains"]}
