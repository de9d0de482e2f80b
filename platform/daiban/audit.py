"""The audit trail: every login, change, submission, approval, publication and export."""

from __future__ import annotations

import json

from daiban.models import AuditLog

ACTION_LABELS = {
    "login": "登录成功", "login_failed": "登录失败", "logout": "退出登录",
    "create": "新建", "update": "修改", "delete": "删除", "deactivate": "停用",
    "submit": "提交审核", "approve": "审核通过", "return": "退回修改", "publish": "发布",
    "withdraw": "撤销", "export": "导出", "reveal": "查看完整个人信息",
}


def _dump(values) -> str | None:
    if values is None:
        return None
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def record(action: str, actor: str, *, roles: str = "", ip: str = "", object_type: str = "",
           object_id="", summary: str = "", before=None, after=None) -> AuditLog:
    """Append one audit record (values are stored as JSON). Texts are cut to their columns: a
    failed sign-in records whatever username was typed, and PostgreSQL refuses a longer one."""
    return AuditLog.create(
        actor=(actor or "-")[:64], roles=roles[:255], ip=(ip or "")[:64], action=action,
        object_type=object_type[:64], object_id=str(object_id or "")[:64], summary=summary[:255],
        before=_dump(before), after=_dump(after),
    )
