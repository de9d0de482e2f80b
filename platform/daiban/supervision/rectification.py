"""Rectification after a bad rating (差评整改): the follow-up call, the measures, the reply to the
citizen and closure by whoever answers for the case; or an appeal the bureau decides.

States: open → closed; open → appealed → appeal_upheld (the rating is judged mistaken or
malicious and leaves the statistics) or appeal_rejected (the rectification goes on and is closed
as usual). Every step checks `lock_version`, so two people acting at once cannot overwrite each
other.
"""

from __future__ import annotations

import datetime

from daiban import audit
from daiban.cases.service import CaseError, _write_transaction
from daiban.models import User
from daiban.supervision.models import RECTIFICATION_STATUSES, Rectification

WORKING = ("open", "appeal_rejected")  # states in which the rectification itself goes on


class RectificationRefused(CaseError):
    """A rectification step that did not happen; the message is for the user, in Chinese."""


def _fresh(rectification: Rectification, expected: int | None) -> Rectification:
    current = Rectification.get_or_none(Rectification.id == rectification.id)
    if current is None:
        raise RectificationRefused("整改记录不存在")
    if expected is not None and current.lock_version != expected:
        raise RectificationRefused(f"该整改记录已被他人更新（现为“{current.status_label}”），请刷新后重试")
    return current


def _write(current: Rectification, user: User, summary: str, **changes) -> Rectification:
    changes["lock_version"] = current.lock_version + 1
    updated = (Rectification.update(**changes)
               .where((Rectification.id == current.id) & (Rectification.lock_version == current.lock_version))
               .execute())
    if updated != 1:
        raise RectificationRefused("该整改记录已被他人更新，请刷新后重试")
    audit.record("edit", user.username, roles=user.roles, object_type="rectification",
                 object_id=current.id, summary=summary)
    return Rectification.get_by_id(current.id)


def _refuse_unless_working(current: Rectification, what: str) -> None:
    if current.status not in WORKING:
        raise RectificationRefused(f"整改“{RECTIFICATION_STATUSES[current.status]}”，不能再{what}")


def record_call(rectification: Rectification, user: User, day: datetime.date, note: str,
                expected: int | None = None) -> Rectification:
    """Record the follow-up call to the citizen (every real-name bad rating gets one)."""
    note = (note or "").strip()
    if not note:
        raise RectificationRefused("请写明回访情况（群众反映的问题、诉求）")
    with _write_transaction():
        current = _fresh(rectification, expected)
        _refuse_unless_working(current, "登记回访")
        if day < current.opened_on:
            raise RectificationRefused(f"回访日期 {day} 早于差评日期 {current.opened_on}")
        return _write(current, user, "登记差评回访", call_on=day, call_note=note)


def record_measures(rectification: Rectification, user: User, measures: str, reply: str,
                    expected: int | None = None) -> Rectification:
    """Record the measures taken and the reply given to the citizen."""
    measures, reply = (measures or "").strip(), (reply or "").strip()
    if not measures or not reply:
        raise RectificationRefused("请写明整改措施和答复群众的内容")
    with _write_transaction():
        current = _fresh(rectification, expected)
        _refuse_unless_working(current, "登记整改措施")
        return _write(current, user, "登记整改措施和答复", measures=measures, reply=reply)


def close(rectification: Rectification, user: User, day: datetime.date,
          expected: int | None = None) -> Rectification:
    """Close the rectification once the call, the measures and the reply are recorded."""
    with _write_transaction():
        current = _fresh(rectification, expected)
        _refuse_unless_working(current, "办结")
        missing = [label for label, value in (("回访记录", current.call_on), ("整改措施", current.measures),
                                              ("答复群众", current.reply)) if not value]
        if missing:
            raise RectificationRefused("整改还不能办结：缺少" + "、".join(missing))
        return _write(current, user, "差评整改办结", status="closed", closed_on=day, closed_by=user.id)


def appeal(rectification: Rectification, user: User, reason: str,
           expected: int | None = None) -> Rectification:
    """Appeal against a rating the responsible side holds mistaken or malicious; the bureau decides."""
    reason = (reason or "").strip()
    if not reason:
        raise RectificationRefused("请写明申诉理由和依据（如误评、恶意差评的情况）")
    with _write_transaction():
        current = _fresh(rectification, expected)
        if current.status != "open":
            raise RectificationRefused(f"整改“{current.status_label}”，不能申诉（每条差评只能申诉一次）")
        return _write(current, user, "差评申诉", status="appealed", appeal_reason=reason)


def decide_appeal(rectification: Rectification, user: User, upheld: bool, note: str, day: datetime.date,
                  expected: int | None = None) -> Rectification:
    """The bureau's decision on an appeal: upheld (the rating leaves the statistics) or rejected."""
    note = (note or "").strip()
    if not note:
        raise RectificationRefused("请写明审核意见")
    with _write_transaction():
        current = _fresh(rectification, expected)
        if current.status != "appealed":
            raise RectificationRefused(f"整改“{current.status_label}”，没有待审核的申诉")
        status = "appeal_upheld" if upheld else "appeal_rejected"
        return _write(current, user, f"申诉审核：{RECTIFICATION_STATUSES[status]}", status=status,
                      appeal_decision_note=note, appeal_decided_by=user.id, appeal_decided_on=day,
                      closed_on=day if upheld else None)
