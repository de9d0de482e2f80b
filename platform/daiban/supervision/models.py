"""Supervision records: ratings (好差评), rating links, rectifications, the notification outbox,
quarterly report submissions and center standard assessments (八有一能).

Created by migration 011. Ratings and assessments are history: never rewritten, only added to.
"""

from __future__ import annotations

import datetime

import peewee

from daiban.models import (
    MODEL_LABELS,
    BaseModel,
    Case,
    ImmutableRecordError,
    ServiceCenter,
    User,
)

RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_LEVELS = (1, 2)  # 差评 (GB/T 39734-2020)
RATING_INDICATORS = {"efficiency": "服务效率", "skill": "服务水平", "attitude": "服务态度"}
RATING_CHANNELS = {"on_site": "现场评价", "follow_up_call": "回访电话", "link": "评价链接/二维码",
                   "hotline": "热线评价"}
RECTIFICATION_STATUSES = {"open": "整改中", "closed": "已整改", "appealed": "申诉审核中",
                          "appeal_upheld": "申诉成立（评价不计）", "appeal_rejected": "申诉驳回"}
NOTIFICATION_KINDS = {"due_soon": "临期提醒", "overdue": "超期督办", "rectification": "差评整改",
                      "rectification_due": "整改临期", "result": "结果反馈"}
NOTIFICATION_CHANNELS = {"in_app": "站内消息", "sms": "短信"}
REPORT_UNIT_KINDS = {"banner": "全旗", "township": "苏木乡镇", "department": "部门"}
STANDARD_ITEMS = {
    "window": "有帮办代办窗口",
    "agents": "有帮办代办人员",
    "equipment": "有办公设备",
    "guide": "有办事指南",
    "matter_list": "有帮办代办政务服务事项清单",
    "duty_list": "有代办员责任清单",
    "rules": "有制度机制",
    "ledger": "有工作台账",
    "can_handle": "能办事",
}


class _History(BaseModel):
    """A record that is written once and then kept as it is."""

    def save(self, *args, **kwargs):
        """Insert only: a stored record is history and is not rewritten."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError(f"{MODEL_LABELS.get(type(self), type(self).__name__)}不能修改")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refused: history is not deleted."""
        raise ImmutableRecordError(f"{MODEL_LABELS.get(type(self), type(self).__name__)}不能删除")


class Rating(_History):
    """One rating (好差评) of a case by its citizen, one per case per visit."""

    case = peewee.ForeignKeyField(Case, backref="ratings", on_delete="RESTRICT")
    visit = peewee.IntegerField(default=1)  # 一次一评: the visit this rating is for
    level = peewee.IntegerField()  # 1–5, RATING_LEVELS
    efficiency = peewee.IntegerField(null=True)  # 服务效率 1–5
    skill = peewee.IntegerField(null=True)  # 服务水平 1–5
    attitude = peewee.IntegerField(null=True)  # 服务态度 1–5
    channel = peewee.CharField(max_length=16)
    comment = peewee.TextField(default="")
    staff = peewee.ForeignKeyField(User, backref="ratings_received", on_delete="RESTRICT")
    center = peewee.ForeignKeyField(ServiceCenter, backref="ratings", on_delete="RESTRICT")
    recorded_by = peewee.ForeignKeyField(User, null=True, backref="ratings_recorded", on_delete="RESTRICT")
    rated_on = peewee.DateField(index=True)
    rated_at = peewee.DateTimeField(default=datetime.datetime.now)
    bad = peewee.BooleanField(default=False, index=True)

    class Meta:
        table_name = "rating"
        indexes = ((("case", "visit"), True),)

    @property
    def level_label(self) -> str:
        """The level in Chinese."""
        return RATING_LEVELS.get(self.level, str(self.level))

    @property
    def channel_label(self) -> str:
        """The channel in Chinese."""
        return RATING_CHANNELS.get(self.channel, self.channel)


class RatingLink(BaseModel):
    """A per-case link (or QR code) the citizen opens without signing in; only its hash is kept."""

    case = peewee.ForeignKeyField(Case, backref="rating_links", on_delete="RESTRICT")
    visit = peewee.IntegerField(default=1)
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_by = peewee.ForeignKeyField(User, backref="rating_links", on_delete="RESTRICT")
    created_at = peewee.DateTimeField(default=datetime.datetime.now)
    expires_on = peewee.DateField()
    used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "rating_link"


class Rectification(BaseModel):
    """What a bad rating sets in motion (差评整改): a deadline, a call, measures, a reply, closure;
    or an appeal the bureau decides."""

    rating = peewee.ForeignKeyField(Rating, unique=True, backref="rectifications", on_delete="RESTRICT")
    case = peewee.ForeignKeyField(Case, backref="rectifications", on_delete="RESTRICT")
    responsible = peewee.ForeignKeyField(User, backref="rectifications", on_delete="RESTRICT")
    center = peewee.ForeignKeyField(ServiceCenter, backref="rectifications", on_delete="RESTRICT")
    status = peewee.CharField(max_length=16, default="open", index=True)
    opened_on = peewee.DateField(index=True)
    due_on = peewee.DateField(index=True)
    due_provisional = peewee.BooleanField(default=False)
    call_on = peewee.DateField(null=True)
    call_note = peewee.TextField(default="")
    measures = peewee.TextField(default="")
    reply = peewee.TextField(default="")
    closed_on = peewee.DateField(null=True)
    closed_by = peewee.ForeignKeyField(User, null=True, backref="rectifications_closed", on_delete="RESTRICT")
    appeal_reason = peewee.TextField(default="")
    appeal_decision_note = peewee.TextField(default="")
    appeal_decided_by = peewee.ForeignKeyField(User, null=True, backref="appeals_decided",
                                               on_delete="RESTRICT")
    appeal_decided_on = peewee.DateField(null=True)
    lock_version = peewee.IntegerField(default=0)

    class Meta:
        table_name = "rectification"

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return RECTIFICATION_STATUSES.get(self.status, self.status)


class Notification(BaseModel):
    """One message in the outbox; `key` makes computing the alerts twice send nothing twice."""

    key = peewee.CharField(max_length=160)
    kind = peewee.CharField(max_length=24, index=True)
    channel = peewee.CharField(max_length=8, default="in_app")
    recipient = peewee.ForeignKeyField(User, backref="notifications", on_delete="RESTRICT")
    case = peewee.ForeignKeyField(Case, null=True, backref="notifications", on_delete="RESTRICT")
    level = peewee.IntegerField(default=0)  # escalation level, 0 for plain reminders
    title = peewee.CharField(max_length=200)
    body = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=datetime.datetime.now, index=True)
    sent_at = peewee.DateTimeField(null=True, index=True)
    read_at = peewee.DateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.TextField(default="")

    class Meta:
        table_name = "notification"
        indexes = ((("key", "recipient", "channel"), True), (("recipient", "read_at"), False))


class ReportSubmission(BaseModel):
    """A unit's quarterly report as submitted: the figures frozen at submission."""

    unit_kind = peewee.CharField(max_length=16)  # banner / township / department
    unit_code = peewee.CharField(max_length=64)  # the org unit's or the department's code
    unit_name = peewee.CharField(max_length=100)
    year = peewee.IntegerField()
    quarter = peewee.IntegerField()
    figures = peewee.TextField(default="{}")  # JSON
    note = peewee.TextField(default="")
    submitted_by = peewee.ForeignKeyField(User, backref="report_submissions", on_delete="RESTRICT")
    submitted_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "report_submission"
        indexes = ((("unit_kind", "unit_code", "year", "quarter"), True),)


class CenterAssessment(_History):
    """An assessor's finding on one item of the center standard (八有一能), with evidence."""

    center = peewee.ForeignKeyField(ServiceCenter, backref="assessments", on_delete="RESTRICT")
    item = peewee.CharField(max_length=16, index=True)  # STANDARD_ITEMS
    met = peewee.BooleanField()
    note = peewee.TextField(default="")
    evidence_path = peewee.CharField(max_length=255, null=True)  # a photo, stored outside the web root
    evidence_sha256 = peewee.CharField(max_length=64, null=True)
    evidence_type = peewee.CharField(max_length=40, null=True)
    assessed_on = peewee.DateField(index=True)
    assessor = peewee.ForeignKeyField(User, backref="assessments", on_delete="RESTRICT")
    created_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "center_assessment"
        indexes = ((("center", "item", "assessed_on"), False),)

    @property
    def item_label(self) -> str:
        """The item in Chinese."""
        return STANDARD_ITEMS.get(self.item, self.item)


SUPERVISION_MODELS = (Rating, RatingLink, Rectification, Notification, ReportSubmission, CenterAssessment)
MODEL_LABELS.update({Rating: "好差评", RatingLink: "评价链接", Rectification: "差评整改",
                     Notification: "消息", ReportSubmission: "季度报告报送",
                     CenterAssessment: "八有一能评估"})
_LABELS = {
    "case": "办件", "visit": "评价次序", "level": "评价等级", "efficiency": "服务效率", "skill": "服务水平",
    "attitude": "服务态度", "channel": "渠道", "comment": "评价内容", "staff": "被评价人员",
    "center": "服务中心（站）", "recorded_by": "登记人", "rated_on": "评价日期", "rated_at": "评价时间",
    "bad": "差评", "token_hash": "链接指纹", "created_by": "生成人", "created_at": "生成时间",
    "expires_on": "有效期至", "used_at": "使用时间", "rating": "评价", "responsible": "整改责任人",
    "status": "状态", "opened_on": "开始日期", "due_on": "整改期限", "due_provisional": "期限为暂定",
    "call_on": "回访日期", "call_note": "回访记录", "measures": "整改措施", "reply": "答复群众",
    "closed_on": "办结日期", "closed_by": "办结人", "appeal_reason": "申诉理由",
    "appeal_decision_note": "申诉审核意见", "appeal_decided_by": "审核人", "appeal_decided_on": "审核日期",
    "lock_version": "版本", "key": "去重键", "kind": "类型", "recipient": "接收人", "title": "标题",
    "body": "内容", "sent_at": "发送时间", "read_at": "阅读时间", "attempts": "发送次数",
    "last_error": "发送错误", "unit_kind": "报送单位类型", "unit_code": "单位编码", "unit_name": "报送单位",
    "year": "年度", "quarter": "季度", "figures": "报表数据", "note": "说明", "submitted_by": "报送人",
    "submitted_at": "报送时间", "item": "评估项目", "met": "达标", "evidence_path": "佐证照片",
    "evidence_sha256": "照片指纹", "evidence_type": "照片类型", "assessed_on": "评估日期",
    "assessor": "评估人",
}
for _model in SUPERVISION_MODELS:
    for _name, _field in _model._meta.fields.items():
        _field.verbose_name = _LABELS.get(_name, _name)
