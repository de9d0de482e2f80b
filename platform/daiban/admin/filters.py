"""Filters of the admin lists in words: choices read at each request, roles by name, days."""

from __future__ import annotations

import datetime

from flask import current_app, has_app_context
from flask_admin.contrib.peewee.filters import BasePeeweeFilter

from daiban.accounts import people_labels
from daiban.models import User


def role_choices() -> list[tuple[str, str]]:
    """(id, Chinese name) of every configured role; none outside a request (at start-up)."""
    if not has_app_context():
        return []
    return [(r.id, r.name) for r in current_app.extensions["daiban"].roles.values()]


def account_choices() -> list[tuple[str, str]]:
    """(username, 名（单位）) of every account, by name; none outside a request (at start-up)."""
    if not has_app_context():
        return []
    labels = people_labels(u for u, in User.select(User.username).tuples())
    return sorted(labels.items(), key=lambda pair: pair[1])


class LiveFilters:
    """Mixin: filter choices read at each request (accounts and roles change after start-up)."""

    def _get_filter_groups(self):
        self._refresh_filters_cache()
        return super()._get_filter_groups()


class RoleFilter(BasePeeweeFilter):
    """用户 by role: the role picked by its Chinese name."""

    def __init__(self):
        super().__init__(User.roles, "角色", options=role_choices)

    def apply(self, query, value):
        """Accounts holding the role (roles are stored comma-separated)."""
        return query.where((User.roles == value) | (User.roles ** f"{value},%")
                           | (User.roles ** f"%,{value}") | (User.roles ** f"%,{value},%"))

    def operation(self):
        """The word between the filter's name and its value."""
        return "包含"


class DayFilter(BasePeeweeFilter):
    """审计日志 on one day, from 00:00:00 to 23:59:59."""

    words = "是"

    def __init__(self, column, name: str):
        super().__init__(column, name, data_type="datepicker")

    def validate(self, value):
        """Only a real date (YYYY-MM-DD)."""
        try:
            datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            return False
        return True

    def clean(self, value):
        """The date, as a datetime at the day's start."""
        return datetime.datetime.combine(datetime.date.fromisoformat(str(value).strip()), datetime.time.min)

    def apply(self, query, value):
        """Rows of that day."""
        return query.where((self.column >= value) & (self.column < value + datetime.timedelta(days=1)))

    def operation(self):
        """The word between the filter's name and its value."""
        return self.words


class FromDayFilter(DayFilter):
    """审计日志 from the start of a day on."""

    words = "起始于"

    def apply(self, query, value):
        """Rows from 00:00:00 of that day."""
        return query.where(self.column >= value)


class UntilDayFilter(DayFilter):
    """审计日志 up to the end of a day."""

    words = "截至"

    def apply(self, query, value):
        """Rows up to 23:59:59 of that day."""
        return query.where(self.column < value + datetime.timedelta(days=1))
