"""Who acts for the applicant (办理人): the applicant in person (本人), a guardian (监护人) or the
agent as commissioned representative (委托代理人).

Every intake form carries this block beside the matter's own fields, because the law, not the
matter, decides it: a minor (under 18 by the ID number) or a person recorded as lacking capacity
(无民事行为能力或限制民事行为能力) cannot apply in person. A guardian, with relation and ID number,
applies for them where the matter's `guardian_allowed` is true, and is refused where it is false.
A proxy case (代办) is acted by the agent, whose name comes from their own account; the guardian
of a minor still stands behind it (they sign the commission). Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from daiban.catalog import idnumbers
from daiban.catalog.model import Matter

ACTING_ROLES = {"self": "本人", "guardian": "监护人", "agent": "委托代理人"}
GUARDIAN_RELATIONS = {
    "parent": "父母",
    "spouse": "配偶",
    "adult_child": "成年子女",
    "relative": "其他近亲属",
    "appointed": "依法指定的监护人（村（居）民委员会、民政部门等）",
}
ADULT_AGE = 18
# Names of the block's controls on the form: a prefix no matter field id can take (ids are
# snake_case, and groups post `group-INDEX-field`), so a matter's own guardian_* fields do not clash.
PREFIX = "acting-"
FIELDS = ("role", "incapable", "guardian_name", "guardian_relation", "guardian_id_number")
TRUE_WORDS = ("true", "on", "1", "yes", "是")


@dataclass(frozen=True)
class AgentIdentity:
    """The signed-in agent, as their account knows them (an ID number only where one is kept)."""

    name: str
    username: str
    id_number: str | None = None


@dataclass(frozen=True)
class Acting:
    """Who acts, checked: the role, whether the applicant lacks capacity, the guardian, the agent."""

    role: str
    lacks_capacity: bool
    applicant_age: int | None
    guardian_name: str | None = None
    guardian_relation: str | None = None
    guardian_id_number: str | None = None
    agent: AgentIdentity | None = None

    @property
    def label(self) -> str:
        """The role in Chinese."""
        return ACTING_ROLES[self.role]

    def record(self) -> dict:
        """The block as the case keeps it (the guardian's ID number still in clear: seal it)."""
        kept: dict = {"role": self.role, "lacks_capacity": self.lacks_capacity}
        if self.guardian_name:
            kept["guardian"] = {"name": self.guardian_name, "relation": self.guardian_relation,
                                "id_number": self.guardian_id_number}
        if self.agent is not None:
            kept["agent"] = {"name": self.agent.name, "username": self.agent.username,
                             "id_number": self.agent.id_number}
        return kept


def raw_acting(form: Mapping) -> dict:
    """The block's raw values from a posted form (missing controls stay missing)."""
    return {name: str(form.get(PREFIX + name, "")).strip() for name in FIELDS if PREFIX + name in form}


def default_role(matter: Matter, values: Mapping, mode: str) -> str:
    """The role a form starts with: the agent for a proxy case, else what the matter's own
    `applicant_type` says when it names a role, else the applicant in person."""
    if mode == "proxy":
        return "agent"
    chosen = values.get("applicant_type")
    if matter.field("applicant_type") is not None and chosen in ("self", "guardian"):
        return chosen
    return "self"


def applicant_age(matter: Matter, values: Mapping, today: datetime.date) -> int | None:
    """The applicant's age from the form's first ID number, None while it is missing or wrong."""
    field = next((f for f in matter.fields if f.type == "id_number"), None)
    number = values.get(field.id) if field is not None else None
    if not isinstance(number, str) or idnumbers.id_number_problem(number, today) is not None:
        return None
    return idnumbers.age_on(number, today)


def needs_guardian(role: str, age: int | None, lacks_capacity: bool) -> bool:
    """True when a guardian must be named: they act, or they stand behind the agent of a minor."""
    return role == "guardian" or (role == "agent" and _cannot_act(age, lacks_capacity))


def _cannot_act(age: int | None, lacks_capacity: bool) -> bool:
    return lacks_capacity or (age is not None and age < ADULT_AGE)


def _why_not_self(age: int | None, lacks_capacity: bool) -> str:
    if age is not None and age < ADULT_AGE:
        return f"申请人未满 {ADULT_AGE} 周岁（按公民身份号码为 {age} 周岁）"
    return "申请人为无民事行为能力或限制民事行为能力人"


def check_acting(matter: Matter, values: Mapping, raw: Mapping, mode: str, today: datetime.date,
                 agent: AgentIdentity) -> tuple[Acting | None, dict[str, list[str]]]:
    """Check the block against the matter, the mode and the applicant's age on `today`; return the
    checked block (None when it has errors) and the errors by path (`acting.role` …)."""
    errors: dict[str, list[str]] = {}
    role = raw.get("role") or default_role(matter, values, mode)
    lacks_capacity = raw.get("incapable", "").lower() in TRUE_WORDS
    age = applicant_age(matter, values, today)
    if role not in ACTING_ROLES:
        errors["acting.role"] = ["请选择办理人：本人、监护人或委托代理人"]
        return None, errors
    problem = _role_problem(matter, values, role, mode, age, lacks_capacity)
    if problem:
        errors["acting.role"] = [problem]
    guardian: dict = {}
    if needs_guardian(role, age, lacks_capacity) and matter.guardian_allowed:
        guardian = _check_guardian(matter, values, raw, today, errors)
    if errors:
        return None, errors
    return Acting(role, lacks_capacity, age, agent=agent if role == "agent" else None,
                  guardian_name=guardian.get("name"), guardian_relation=guardian.get("relation"),
                  guardian_id_number=guardian.get("id_number")), {}


def _role_problem(matter: Matter, values: Mapping, role: str, mode: str, age: int | None,
                  lacks_capacity: bool) -> str | None:
    """Why this role cannot act here, or None."""
    if mode == "proxy" and role != "agent":
        return "代办（凭委托书）由代办员作为委托代理人办理，请选择“委托代理人”，或把办理方式改为帮办"
    if mode != "proxy" and role == "agent":
        return "委托代理人办理须选择“代办”办理方式（凭委托书）"
    if role == "guardian" and not matter.guardian_allowed:
        return f"事项“{matter.name}”不接受监护人代为申请"
    cannot = _cannot_act(age, lacks_capacity)
    if cannot and role == "self":
        if matter.guardian_allowed:
            return f"{_why_not_self(age, lacks_capacity)}，不能本人申请，须由监护人申请"
        return f"{_why_not_self(age, lacks_capacity)}，不能本人申请；本事项不接受监护人代为申请，不能受理"
    if cannot and role == "agent" and not matter.guardian_allowed:
        return f"{_why_not_self(age, lacks_capacity)}；本事项不接受监护人代为申请，也就无人能签委托书"
    chooser = matter.field("applicant_type")
    chosen = values.get("applicant_type")
    if chooser is not None and chosen in ACTING_ROLES and chosen != role:
        return (f"与表单中“{chooser.label}”所选的“{chooser.option_label(chosen)}”不一致，"
                f"请改成一致")
    return None


def _check_guardian(matter: Matter, values: Mapping, raw: Mapping, today: datetime.date,
                    errors: dict) -> dict:
    """The guardian's name, relation and ID number, each required and checked."""
    name = raw.get("guardian_name", "")
    relation = raw.get("guardian_relation", "")
    number = "".join(raw.get("guardian_id_number", "").split()).upper()
    if not name:
        errors["acting.guardian_name"] = ["请填写监护人姓名"]
    elif len(name) > 50:
        errors["acting.guardian_name"] = ["监护人姓名最多只能填 50 个字"]
    if relation not in GUARDIAN_RELATIONS:
        errors["acting.guardian_relation"] = ["请选择监护人与申请人的关系"]
    problem = idnumbers.id_number_problem(number, today) if number else "请填写监护人公民身份号码"
    if problem is None:
        applicant_field = next((f for f in matter.fields if f.type == "id_number"), None)
        applicant = values.get(applicant_field.id) if applicant_field is not None else None
        if isinstance(applicant, str) and applicant.strip().upper() == number:
            problem = "监护人公民身份号码与申请人的相同，请填写监护人本人的号码"
        elif idnumbers.age_on(number, today) < ADULT_AGE:
            problem = f"监护人须年满 {ADULT_AGE} 周岁（按号码为 {idnumbers.age_on(number, today)} 周岁）"
    elif number:
        problem = problem.replace("公民身份号码", "监护人公民身份号码", 1)
    if problem:
        errors["acting.guardian_id_number"] = [problem]
    return {"name": name, "relation": relation, "id_number": number}
