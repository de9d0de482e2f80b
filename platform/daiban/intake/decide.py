"""Rules on a form that is still being filled in: true, false, or not decidable yet (None)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING

from daiban.catalog import rules
from daiban.catalog.model import Matter

if TYPE_CHECKING:  # validation imports this module
    from daiban.intake.validation import IntakeResult


def decide(source: str, values: Mapping[str, object], today: datetime.date) -> bool | None:
    """The rule's boolean outcome on these values, or None when it cannot be evaluated on them."""
    try:
        outcome = rules.evaluate(source, values, today)
    # The CEL library reports a rule it cannot evaluate on these values (an ordering comparison
    # with null, a missing map key, a helper given an empty ID number …) as TypeError, KeyError,
    # RuntimeError and others; all of them mean "not decidable yet" here.
    except Exception:
        return None
    return outcome if isinstance(outcome, bool) else None


def inputs_of(source: str) -> frozenset[str]:
    """The names a rule reads (its variables), empty for a rule that does not parse."""
    try:
        return rules.compile_rule(source).variables
    except rules.RuleError:
        return frozenset()


def waiting_for(source: str, matter: Matter, intake: IntakeResult) -> tuple[str, ...]:
    """Labels of the top-level fields a rule reads that are still missing or wrong on the form."""
    names = inputs_of(source)
    return tuple(f.label for f in matter.fields if f.id in names and intake.has_errors(f.id))


def decide_on_form(source: str, matter: Matter, intake: IntakeResult, today: datetime.date
                   ) -> tuple[bool | None, tuple[str, ...]]:
    """Decide a top-level rule on validated input: undecided (None) while an input it reads has errors.

    An empty field the form does not require is an answer (null: "not stated"), so a rule such as
    `in_school == true` decides on it; a required field still empty, or a wrong value, is not.
    Returns the outcome and the labels of the fields it waits for.
    """
    waiting = waiting_for(source, matter, intake)
    if waiting:
        return None, waiting
    return decide(source, intake.rule_values, today), ()
