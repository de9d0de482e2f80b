"""Supervision settings (督查考评设置) compiled from `config/supervision.yaml`.

Pure: no Flask, no peewee. The thresholds the alerts, ratings, reports and the center standard
read: due soon, escalation levels, the rectification deadline, the rating link's lifetime, the
quarterly report's deadline and the least number of agents a center should have.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Escalation:
    """One escalation level (一级督办 …): reached after `overdue_working_days` past the due date."""

    level: int
    label: str
    overdue_working_days: int
    notify: tuple[str, ...] = ("center",)


DEFAULT_ESCALATIONS = (
    Escalation(1, "一级督办", 1, ("center", "township")),
    Escalation(2, "二级督办", 5, ("center", "township", "bureau")),
)


@dataclass(frozen=True)
class SupervisionSettings:
    """The thresholds of supervision; the defaults are those of the schema."""

    due_soon_working_days: int = 2
    escalations: tuple[Escalation, ...] = field(default=DEFAULT_ESCALATIONS)
    rectification_working_days: int = 5
    rating_link_valid_days: int = 30
    report_deadline_day: int = 15
    min_agents_per_center: int = 2

    def escalation(self, overdue_working_days: int) -> Escalation | None:
        """The highest escalation level reached after this many working days overdue, or None."""
        reached = [e for e in self.escalations if overdue_working_days >= e.overdue_working_days]
        return max(reached, key=lambda e: e.level) if reached else None

    def report_deadline(self, year: int, quarter: int) -> datetime.date:
        """The day a quarter's report is due: `report_deadline_day` of the quarter's last month."""
        return datetime.date(year, quarter * 3, self.report_deadline_day)


def compile_settings(doc: dict) -> SupervisionSettings:
    """Build the settings from a default-filled, checked supervision document."""
    return SupervisionSettings(
        due_soon_working_days=doc["due_soon_working_days"],
        escalations=tuple(
            Escalation(e["level"], e["label"], e["overdue_working_days"], tuple(e.get("notify", ["center"])))
            for e in sorted(doc["escalations"], key=lambda e: e["level"])
        ),
        rectification_working_days=doc["rectification_working_days"],
        rating_link_valid_days=doc["rating_link_valid_days"],
        report_deadline_day=doc["report_deadline_day"],
        min_agents_per_center=doc["min_agents_per_center"],
    )


def check_settings(doc: dict) -> list[tuple[str, str]]:
    """Meaning checks beyond the schema: escalation levels unique and later levels later."""
    found = []
    levels = [e["level"] for e in doc["escalations"]]
    for i, level in enumerate(levels):
        if level in levels[:i]:
            found.append((f"/escalations/{i}/level", f"督办等级 {level} 重复"))
    ordered = sorted(doc["escalations"], key=lambda e: e["level"])
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after["overdue_working_days"] <= before["overdue_working_days"]:
            index = doc["escalations"].index(after)
            found.append((f"/escalations/{index}/overdue_working_days",
                          f"{after['label']}的超期天数（{after['overdue_working_days']}）应大于"
                          f"{before['label']}的（{before['overdue_working_days']}）"))
    return found
