"""How a bench case goes: the steps of the shipped workflow with their days, as of the fill's day.

A case is planned whole (accepted, materials collected, relayed, received by the department,
sometimes sent back for correction or suspended, decided, returned, followed up and rated,
closed; or terminated), then cut at the fill's day: what lies after it has not happened, so
recent cases are still in progress where the cut falls. Gaps are counted in working days of the
shipped calendar (weekends where a year has no file), and the decision falls within the
promised limit for most cases and after it for some (超期).
"""

from __future__ import annotations

import bisect
import datetime
import random
from dataclasses import dataclass, field

from daiban.catalog.calendar import WorkCalendar

LATE_SHARE = 0.07  # decided after the promised date
CORRECTION_SHARE = 0.06  # sent back once for correction (退回补正)
SUSPENSION_SHARE = 0.02  # suspended for a special procedure (中止)
TERMINATED_SHARE = 0.05  # withdrawn or refused on the way (终止)
ABANDONED_SHARE = 0.03  # a consultation the applicant never came back for
ABANDONED_AFTER = 20  # working days after which an abandoned consultation is terminated


class Workdays:
    """Working days between two dates, indexed, so that adding n of them is a list lookup."""

    def __init__(self, calendar: WorkCalendar, first: datetime.date, last: datetime.date):
        days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
        self.days = [d for d in days if calendar.is_workday(d)]
        self.first = first

    def index(self, day: datetime.date) -> int:
        """The position of `day`, or of the next working day when it is not one."""
        return bisect.bisect_left(self.days, day)

    def add(self, day: datetime.date, n: int) -> datetime.date:
        """The working day `n` working days after `day` (0: `day` itself, or the next working day)."""
        return self.days[min(self.index(day) + n, len(self.days) - 1)]

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after `start` up to and including `end`."""
        return max(0, bisect.bisect_right(self.days, end) - bisect.bisect_right(self.days, start))


@dataclass(frozen=True)
class Step:
    """One planned transition: its id, who makes it (agent, liaison, township, system) and when."""

    transition: str
    who: str
    day: datetime.date
    note: str = ""


@dataclass
class Plan:
    """A case's steps up to the fill's day, and what else the fill needs to know about it."""

    steps: list[Step] = field(default_factory=list)
    rating: int | None = None  # the level given at 回访评价, if reached
    late: bool = False


NOTES = {
    "return_for_correction": ("户口簿复印件不清晰，请重新提供", "缺少申请表签字，请本人签字后补正",
                              "银行卡复印件与申请人不一致，请补正"),
    "suspend": ("需入户核查家庭经济状况，中止办理", "等待残疾等级评定结果，中止办理"),
    "terminate": ("申请人撤回申请", "经核查不符合受理条件，不予受理", "申请人已在外地办理"),
}
RATING_WEIGHTS = ((5, 4, 3, 2, 1), (58, 26, 9, 4, 3))


def _note(rng: random.Random, transition: str) -> str:
    return rng.choice(NOTES[transition])


def plan_case(rng: random.Random, accepted: datetime.date, due_on: datetime.date | None,
              workdays: Workdays, cut: datetime.date, village: bool) -> Plan:
    """The steps of one case accepted on `accepted` with the given due date, as of the day `cut`.
    A village station's case passes its township's center on the way to the departments."""
    steps: list[Step] = []
    day = accepted

    def step(transition: str, who: str, gap: int = 0, note: str = "") -> None:
        nonlocal day
        day = workdays.add(day, gap) if gap else day
        steps.append(Step(transition, who, day, note))

    plan = Plan()
    limit = workdays.between(accepted, due_on) if due_on else 10
    quick = limit == 0  # 即办: decided at the counter, every step the same day

    def gap(*choices: int) -> int:
        return 0 if quick else rng.choice(choices)

    step("open", "agent")
    roll = rng.random()
    if roll < ABANDONED_SHARE:
        step("terminate", "agent", ABANDONED_AFTER, "申请人未再来办理，终止")
        return _cut(plan, steps, cut)
    step("accept", "agent", gap(0, 0, 0, 1))
    if roll < ABANDONED_SHARE + TERMINATED_SHARE:
        step("terminate", "agent", rng.randint(0, 6), _note(rng, "terminate"))
        return _cut(plan, steps, cut)
    step("collect_materials", "agent", gap(0, 0, 1, 2))
    step("submit", "agent", gap(0, 0, 1))
    if village:
        step("pass_on", "township", gap(1))  # the township's center sends it to the departments
    step("receive", "liaison", gap(0, 1, 1, 2))
    if not quick and rng.random() < CORRECTION_SHARE:
        step("return_for_correction", "liaison", rng.randint(1, 3), _note(rng, "return_for_correction"))
        step("resubmit", "agent", rng.randint(1, 5))
        step("receive", "liaison", rng.choice((0, 1, 1)))
    plan.late = rng.random() < LATE_SHARE
    target = limit + rng.randint(1, 12) if plan.late else rng.randint(min(1, limit), limit)
    spent = workdays.between(accepted, day)
    if not quick and rng.random() < SUSPENSION_SHARE:
        step("suspend", "liaison", 1, _note(rng, "suspend"))
        step("result_fed_back_after_suspension", "system", rng.randint(3, 15))
    else:
        step("result_fed_back", "system", max(0, target - spent))
    step("return_materials", "agent", rng.choice((0, 1, 1, 2, 3)))
    step("follow_up", "agent", rng.randint(1, 5))
    plan.rating = rng.choices(*RATING_WEIGHTS)[0]
    step("close", "agent", rng.choice((0, 0, 1, 2)))
    return _cut(plan, steps, cut)


def _cut(plan: Plan, steps: list[Step], cut: datetime.date) -> Plan:
    """Keep the steps made by `cut`; a rating only if its follow-up was made."""
    plan.steps = [s for s in steps if s.day <= cut]
    if not any(s.transition == "follow_up" for s in plan.steps):
        plan.rating = None
    return plan
