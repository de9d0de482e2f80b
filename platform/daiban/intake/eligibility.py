"""Acceptance conditions (受理条件) and exclusions (不予受理情形) checked against the form.

Each condition or exclusion is decided by its rule, by its `any_of` alternatives, or by a person:

- a rule decides while every top-level field it reads is filled in and correct; while one is
  missing or wrong, or when the rule cannot be evaluated, it is `undecided`;
- without a rule a person decides (`judgement`): these items are the agent's checklist. The agent
  confirms an item in the applicant's favour: a condition holds, an exclusion does not apply.
  Confirmation never overrides a rule;
- `any_of` holds when one alternative holds, fails only when all fail, needs judgement when
  the rest fail or are undecided and an alternative awaits a person, and is undecided otherwise.

Rules read the values typed as CEL expects (validation's `rule_values`): groups are lists of maps.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from daiban.catalog.model import Condition, Matter
from daiban.intake.decide import decide_on_form
from daiban.intake.validation import IntakeResult, validate_intake

MET, UNMET = "met", "unmet"
APPLIES, DOES_NOT_APPLY = "applies", "does_not_apply"
UNDECIDED, JUDGEMENT = "undecided", "judgement"

_HOLDS = {"condition": MET, "exclusion": APPLIES}
_FAILS = {"condition": UNMET, "exclusion": DOES_NOT_APPLY}


@dataclass(frozen=True)
class Check:
    """How one condition or exclusion (or one `any_of` alternative) stands on the form.

    `status`: met / unmet for a condition, applies / does_not_apply for an exclusion, or
    undecided, or judgement (a person must confirm). `by_person`: it rests on an agent's
    confirmation (a checklist item); `confirmed`: the agent has confirmed it. `waiting_for`:
    labels of the fields to fill in or correct before its rule can decide.
    """

    id: str
    text: str
    kind: str
    status: str
    by_person: bool = False
    confirmed: bool = False
    waiting_for: tuple[str, ...] = ()
    alternatives: tuple[Check, ...] = ()
    basis: str | None = None

    @property
    def holds(self) -> bool | None:
        """True when the condition is met or the exclusion applies, False for the opposite, else None."""
        if self.status == _HOLDS[self.kind]:
            return True
        if self.status == _FAILS[self.kind]:
            return False
        return None


@dataclass(frozen=True)
class Eligibility:
    """All conditions and exclusions of a matter, checked against the form."""

    conditions: tuple[Check, ...]
    exclusions: tuple[Check, ...]
    intake: IntakeResult

    @property
    def eligible(self) -> bool:
        """True only when every condition is met (or confirmed) and no exclusion can apply.

        An exclusion still undecided, or awaiting the agent's confirmation that it does not
        apply, keeps this False: eligibility is a finding, not the absence of objections.
        """
        return (all(c.status == MET for c in self.conditions)
                and all(e.status == DOES_NOT_APPLY for e in self.exclusions))

    @property
    def unmet(self) -> list[str]:
        """Texts of the conditions that are not met."""
        return [c.text for c in self.conditions if c.status == UNMET]

    @property
    def applies(self) -> list[str]:
        """Texts of the exclusions that apply (an `any_of` names the alternatives that do)."""
        texts = []
        for e in self.exclusions:
            if e.status != APPLIES:
                continue
            which = [a.text for a in e.alternatives if a.status == APPLIES]
            texts.append(f"{e.text}：{'；'.join(which)}" if which else e.text)
        return texts

    @property
    def checklist(self) -> list[Check]:
        """Items an agent decides (conditions first), each with whether it is confirmed yet."""
        return [c for c in (*self.conditions, *self.exclusions) if c.by_person]

    @property
    def undecided(self) -> list[Check]:
        """Items whose rules wait for fields still missing or wrong (see each `waiting_for`)."""
        return [c for c in (*self.conditions, *self.exclusions) if c.status == UNDECIDED]

    @property
    def verdict(self) -> str:
        """'ineligible' when a condition fails or an exclusion applies, 'eligible', else 'pending'."""
        if self.unmet or self.applies:
            return "ineligible"
        return "eligible" if self.eligible else "pending"


def _either(outcomes: list) -> object:
    # Outcomes are True, False, None (undecided) or JUDGEMENT; alternatives combine as "or".
    if any(o is True for o in outcomes):
        return True
    if all(o is False for o in outcomes):
        return False
    if any(o == JUDGEMENT for o in outcomes):
        return JUDGEMENT
    return None


def _status(kind: str, outcome) -> str:
    if outcome is True:
        return _HOLDS[kind]
    if outcome is False:
        return _FAILS[kind]
    return UNDECIDED if outcome is None else JUDGEMENT


def _check(item: Condition, kind: str, matter: Matter, intake: IntakeResult, today: datetime.date,
           confirmed: Collection[str]) -> Check:
    favourable = kind == "condition"  # a confirmation: the condition holds / the exclusion does not
    waiting: tuple[str, ...] = ()
    alternatives: tuple[Check, ...] = ()
    if item.any_of:
        alternatives = tuple(_check(a, kind, matter, intake, today, confirmed) for a in item.any_of)
        # Would a person decide it, confirmations left aside? Then it is a checklist item.
        by_person = _either([JUDGEMENT if a.by_person else _outcome(a) for a in alternatives]) == JUDGEMENT
        outcome = _either([_outcome(a) for a in alternatives])
        waiting = tuple(dict.fromkeys(label for a in alternatives for label in a.waiting_for))
    elif item.rule is None:
        by_person = True
        outcome = JUDGEMENT
    else:
        by_person = False
        outcome, waiting = decide_on_form(item.rule, matter, intake, today)
    if by_person and outcome == JUDGEMENT and item.id in confirmed:
        outcome = favourable
    return Check(
        id=item.id, text=item.text, kind=kind, status=_status(kind, outcome), by_person=by_person,
        confirmed=by_person and outcome != JUDGEMENT, waiting_for=waiting, alternatives=alternatives,
        basis=item.basis,
    )


def _outcome(check: Check):
    return JUDGEMENT if check.status == JUDGEMENT else check.holds


def assess(matter: Matter, intake: IntakeResult, today: datetime.date,
           confirmed: Collection[str] = ()) -> Eligibility:
    """Check conditions and exclusions on an already validated form."""
    confirmed = frozenset(confirmed)
    return Eligibility(
        conditions=tuple(_check(c, "condition", matter, intake, today, confirmed) for c in matter.conditions),
        exclusions=tuple(_check(e, "exclusion", matter, intake, today, confirmed) for e in matter.exclusions),
        intake=intake,
    )


def check_eligibility(matter: Matter, values: Mapping, today: datetime.date,
                      confirmed: Collection[str] = ()) -> Eligibility:
    """Validate the raw form values and check every condition and exclusion on `today`.

    `confirmed` holds the ids of checklist items (or of their `any_of` alternatives) the agent
    has confirmed in the applicant's favour.
    """
    return assess(matter, validate_intake(matter, values, today), today, confirmed)
