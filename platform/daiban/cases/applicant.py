"""Who acts on a case (办理人): the applicant in person, a guardian or the agent as 委托代理人.

The intake form's 办理人 block (`daiban.intake.acting`) is kept with the case under the reserved
key ``$acting`` of its form values (no matter field id starts with ``$``), the guardian's ID number
sealed like every other ID number (`cases.personal`). Slips, the commission and the case page read
it only through `acting_person` (masked) and `reveal_guardian_id_number` (audited). A case opened
before the block existed reads as acted by the applicant, or by its first agent when it is a proxy
case.
"""

from __future__ import annotations

from dataclasses import dataclass

from daiban.cases import personal
from daiban.intake.acting import ACTING_ROLES, GUARDIAN_RELATIONS, Acting

ACTING_KEY = "$acting"


@dataclass(frozen=True)
class ActingPerson:
    """Who acts on a case, as anyone may see it: the guardian's ID number masked."""

    role: str  # self, guardian or agent
    name: str
    lacks_capacity: bool = False
    relation: str | None = None  # the guardian's relation to the applicant, in Chinese
    id_number_masked: str = ""
    username: str | None = None  # the agent's account, when the agent acts

    @property
    def label(self) -> str:
        """The role in Chinese: 本人, 监护人 or 委托代理人."""
        return ACTING_ROLES.get(self.role, self.role)

    @property
    def guardian(self) -> bool:
        """True when a guardian is named (they act, or stand behind the agent of a minor)."""
        return self.relation is not None


def with_acting(values: dict, acting: Acting) -> dict:
    """The form values to store with the 办理人 block added, its ID numbers sealed."""
    kept = acting.record()
    for person in ("guardian", "agent"):
        entry = kept.get(person)
        if entry and entry.get("id_number"):
            number = personal.normalize_id_number(entry["id_number"])
            entry["id_number"] = {personal.SEALED_KEY: personal.seal(number, "id_number"),
                                  "kind": "id_number"}
        elif entry:
            entry.pop("id_number", None)
    return {**values, ACTING_KEY: kept}


def _stored(case) -> dict | None:
    block = case.form_values.get(ACTING_KEY)
    return block if isinstance(block, dict) else None


def acting_person(case) -> ActingPerson:
    """Who acts on `case`, the guardian's or agent's ID number masked."""
    block = _stored(case)
    if block is None:
        if case.mode == "proxy":
            agent = case.first_agent
            return ActingPerson("agent", agent.display_name, username=agent.username)
        return ActingPerson("self", case.applicant_name)
    masked = personal._open_values(block, lambda kind, v: personal.mask_id_number(v))
    role = masked.get("role", "self")
    guardian = masked.get("guardian") or {}
    agent = masked.get("agent") or {}
    relation = GUARDIAN_RELATIONS.get(guardian.get("relation", ""), guardian.get("relation")) \
        if guardian else None
    if role == "agent":
        name, number = agent.get("name", ""), agent.get("id_number", "")
    elif role == "guardian":
        name, number = guardian.get("name", ""), guardian.get("id_number", "")
    else:
        name, number = case.applicant_name, ""
    return ActingPerson(role, name, bool(masked.get("lacks_capacity")), relation, number or "",
                        agent.get("username"))


def guardian_of(case) -> ActingPerson | None:
    """The guardian named on the case (acting, or behind the agent of a minor), masked; or None."""
    block = _stored(case)
    guardian = (block or {}).get("guardian")
    if not guardian:
        return None
    masked = personal._open_values(guardian, lambda kind, v: personal.mask_id_number(v))
    return ActingPerson("guardian", masked.get("name", ""), bool(block.get("lacks_capacity")),
                        GUARDIAN_RELATIONS.get(masked.get("relation", ""), masked.get("relation")),
                        masked.get("id_number", ""))


def reveal_guardian_id_number(case, *, by, reason: str = "") -> str | None:
    """The guardian's ID number in full; `by` and `reason` are written to the audit log."""
    guardian = (_stored(case) or {}).get("guardian") or {}
    sealed = guardian.get("id_number")
    if not isinstance(sealed, dict):
        return None
    personal._log_reveal(case, by, "监护人公民身份号码", reason)
    return personal._unseal(sealed[personal.SEALED_KEY], "id_number")
