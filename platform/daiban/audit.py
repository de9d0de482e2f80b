"""The audit trail: every login, change, submission, approval, publication and export."""

from __future__ import annotations

import json

from daiban.db import database, is_postgres
from daiban.models import AuditLog
from daiban.security import audit_chain

OUTCOME_LABELS = {"success": "成功", "failure": "失败", "denied": "拒绝"}
ADVISORY_LOCK = 0x0A0D17  # serialises appends to the chain on PostgreSQL
CHAIN_FIELDS = [getattr(AuditLog, name) for name in audit_chain.CHAINED_FIELDS] + [
    AuditLog.prev_hash, AuditLog.row_hash]


def _audit_key() -> bytes:
    """The HMAC key of the chain: the keyring's audit key (DAIBAN_KEYS_FILE, never the database)."""
    from daiban.security.keys import keyring

    return keyring().audit_key


def _row_dict(row) -> dict:
    return {name: getattr(row, name) for name in audit_chain.CHAINED_FIELDS} | {
        "prev_hash": row.prev_hash, "row_hash": row.row_hash}


def seal(entry: AuditLog, key: bytes | None = None) -> None:
    """Set prev_hash/row_hash of a just-inserted row (inside the caller's transaction)."""
    key = key or _audit_key()
    previous = (AuditLog.select(AuditLog.row_hash).where(AuditLog.id < entry.id)
                .order_by(AuditLog.id.desc()).first())
    prev = (previous.row_hash if previous else None) or audit_chain.GENESIS
    stored = AuditLog.select(*CHAIN_FIELDS).where(AuditLog.id == entry.id).dicts().get()
    digest = audit_chain.row_hash(key, prev, stored)
    (AuditLog.update(prev_hash=prev, row_hash=digest)
     .where(AuditLog.id == entry.id, AuditLog.row_hash.is_null()).execute())
    entry.prev_hash, entry.row_hash = prev, digest


def iter_rows(batch: int = 5000):
    """Every audit row in id order as dicts, read in batches."""
    last = 0
    while True:
        rows = list(AuditLog.select(*CHAIN_FIELDS).where(AuditLog.id > last)
                    .order_by(AuditLog.id).limit(batch).dicts())
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]

ACTION_LABELS = {
    "login": "登录成功", "login_failed": "登录失败", "logout": "退出登录",
    "create": "新建", "update": "修改", "edit": "修改", "delete": "删除", "deactivate": "停用",
    "submit": "提交审核", "approve": "审核通过", "return": "退回修改", "publish": "发布",
    "withdraw": "撤销", "export": "导出", "reveal": "查看完整个人信息",
    "request": "提交操作", "read": "访问",
}


def _dump(values) -> str | None:
    if values is None:
        return None
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def _request_defaults(roles: str, ip: str) -> tuple[str, str]:
    try:
        from flask import g, has_request_context, request
    except ImportError:  # pragma: no cover
        return roles, ip
    if not has_request_context():
        return roles, ip
    g.audit_written = True
    if not ip:
        ip = request.remote_addr or ""
    if not roles:
        try:
            from flask_login import current_user

            user = getattr(current_user, "user", None)
            roles = getattr(user, "roles", "") or ""
        except Exception:  # noqa: BLE001 - no login manager on this app
            pass
    return roles, ip


def record(action: str, actor: str, *, roles: str = "", ip: str = "", object_type: str = "",
           object_id="", summary: str = "", before=None, after=None,
           outcome: str = "success") -> AuditLog:
    """Append one audit record (values are stored as JSON) and seal it into the hash chain.
    Texts are cut to their columns: a failed sign-in records whatever username was typed."""
    roles, ip = _request_defaults(roles, ip)
    with database.atomic():
        if is_postgres(database):
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
        entry = AuditLog.create(
            actor=(actor or "-")[:64], roles=roles[:255], ip=(ip or "")[:64], action=action,
            object_type=object_type[:64], object_id=str(object_id or "")[:64], summary=summary[:255],
            before=_dump(before), after=_dump(after), outcome=outcome,
        )
        seal(entry)
    return entry
