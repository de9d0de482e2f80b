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


@dataclass(frozen=True)
class SecuritySettings:
    """Password policy, sign-in lockout, session lifetimes and audit retention; defaults are the schema's."""

    password_min_length: int = 10
    password_min_kinds: int = 3
    password_history: int = 5
    max_failures: int = 5
    lockout_minutes: int = 15
    max_failures_per_address: int = 20
    address_window_minutes: int = 15
    idle_minutes: int = 30
    absolute_hours: int = 12
    audit_retention_days: int = 365


def compile_security(doc: dict) -> SecuritySettings:
    """Build the security settings from a default-filled security document."""
    password, sign_in, session = doc["password"], doc["sign_in"], doc["session"]
    return SecuritySettings(
        password_min_length=password["min_length"], password_min_kinds=password["min_kinds"],
        password_history=password["history"], max_failures=sign_in["max_failures"],
        lockout_minutes=sign_in["lockout_minutes"],
        max_failures_per_address=sign_in["max_failures_per_address"],
        address_window_minutes=sign_in["address_window_minutes"],
        idle_minutes=session["idle_minutes"], absolute_hours=session["absolute_hours"],
        audit_retention_days=doc["audit"]["retention_days"],
    )


def check_security(doc: dict) -> list[tuple[str, str]]:
    """Meaning checks beyond the schema: the idle timeout fits inside the absolute lifetime."""
    session = doc["session"]
    if session["idle_minutes"] > session["absolute_hours"] * 60:
        return [("/session/idle_minutes", f"无操作超时（{session['idle_minutes']} 分钟）不能长于"
                 f"最长登录时长（{session['absolute_hours']} 小时）")]
    return []
