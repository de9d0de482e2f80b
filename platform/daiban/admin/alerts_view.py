"""Time-limit alerts in the browser (时限预警): the due-soon and overdue queues of the user's scope, and
each user's own in-app messages.

The queues need the case view permission; the messages are for every signed-in user and are
scoped to their recipient (`access.scoped`), so another user's message is simply not found.
"""

from __future__ import annotations

import datetime

from flask import abort, current_app, flash, redirect, request
from flask_admin import BaseView, expose

from daiban.access import scoped
from daiban.admin.base import RoleGuard, current_principal, in_scope_or_404
from daiban.admin.case_view import MODE_LABELS, matter_names
from daiban.supervision import outbox
from daiban.supervision.alerts import Alert, queue_summary
from daiban.supervision.models import NOTIFICATION_KINDS, Notification

LISTED = 300  # cases listed per queue, most urgent first; the ledger filters the rest
MESSAGES_SHOWN = 200  # the newest; older messages are history nobody pages through
SCOPE_LABELS = {"own_cases": "本人首问的办件", "center": "本服务中心（站）",
                "township": "本苏木乡镇及所辖嘎查村", "department": "本部门", "all": "全旗"}


def _group_key(scope: str):
    """Agents and centers look at their people; wider scopes look at their centers."""
    if scope in ("own_cases", "center"):
        return lambda alert: f"首问负责人：{alert.case.first_agent.display_name}"
    return lambda alert: alert.case.center.name


def grouped(alerts: list[Alert], scope: str) -> list[tuple[str, list[Alert]]]:
    """The alerts in groups that fit the scope (per agent, or per center), keeping their order."""
    key = _group_key(scope)
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(key(alert), []).append(alert)
    return list(groups.items())


class AlertsView(RoleGuard, BaseView):
    """时限预警: queues of the user's scope and the user's messages."""

    resource = "case"

    def is_accessible(self):
        """Any signed-in user reaches their messages; the queues check the case permission themselves."""
        return current_principal() is not None

    def is_visible(self):
        """In the menu for those who may see the queues."""
        return self.allowed("view")

    def _unread(self) -> int:
        query = outbox.inbox(current_principal().user_id).where(Notification.read_at.is_null())
        return scoped(query, Notification, current_principal()).count()

    @expose("/")
    def index(self):
        """Due-soon and overdue cases of the user's scope, with their escalation level."""
        if not self.allowed("view"):
            abort(403)
        ref = current_app.extensions["daiban"]
        principal = current_principal()
        today = datetime.date.today()
        summary = queue_summary(principal, today, ref.supervision, ref.calendar, ref.workflow, LISTED)
        overdue, due_soon = summary.queues.overdue, summary.queues.due_soon
        cases = [a.case for a in overdue + due_soon]
        return self.render(
            "admin/supervision/alerts.html", today=today, settings=ref.supervision, levels=summary.levels,
            overdue=grouped(overdue, principal.scope),
            due_soon=grouped(due_soon, principal.scope), listed=LISTED,
            overdue_count=summary.overdue_count, due_soon_count=summary.due_soon_count,
            scope_label=SCOPE_LABELS.get(principal.scope, principal.scope),
            names=matter_names({c.matter_code for c in cases}), modes=MODE_LABELS,
            workflow=ref.workflow, unread=self._unread(),
        )

    @expose("/messages")
    def messages(self):
        """My in-app messages, newest first; unread ones in bold."""
        principal = current_principal()
        rows = list(scoped(outbox.inbox(principal.user_id), Notification, principal).limit(MESSAGES_SHOWN))
        return self.render("admin/supervision/messages.html", messages=rows, kinds=NOTIFICATION_KINDS,
                           unread=sum(1 for m in rows if m.read_at is None), can_queues=self.allowed("view"))

    @expose("/messages/<int:message_id>/read", methods=("POST",))
    def read(self, message_id: int):
        """Mark one of my messages read."""
        principal = current_principal()
        message = in_scope_or_404(Notification, message_id)
        outbox.mark_read(principal.user_id, [message.id])
        return redirect(request.referrer or self.get_url(".messages"))

    @expose("/messages/read-all", methods=("POST",))
    def read_all(self):
        """Mark all my messages read."""
        count = outbox.mark_read(current_principal().user_id)
        flash(f"已将 {count} 条消息标为已读" if count else "没有未读消息", "success")
        return redirect(self.get_url(".messages"))
