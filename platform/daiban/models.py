"""Persistent records. Published matter versions are immutable: the database refuses changes too."""

from __future__ import annotations

import datetime
import json

import peewee

from daiban.db import database
from daiban.security.fields import SealedCharField


class ImmutableRecordError(RuntimeError):
    """An attempt to change or delete a record that history depends on."""


class BaseModel(peewee.Model):
    """Base of every model: bound to the database proxy."""

    class Meta:
        database = database


class Matter(BaseModel):
    """A matter's identity across its versions (事项)."""

    code = peewee.CharField(max_length=40, unique=True)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "matter"


class MatterVersion(BaseModel):
    """One published version of a matter: content, hash, who and when, effective dates."""

    matter = peewee.ForeignKeyField(Matter, backref="versions", on_delete="RESTRICT")
    code = peewee.CharField(max_length=40, index=True)
    version = peewee.IntegerField()
    status = peewee.CharField(max_length=16)
    name = peewee.CharField(max_length=200)
    everyday_name = peewee.CharField(max_length=200, null=True)
    domain = peewee.CharField(max_length=64, index=True)
    levels = peewee.CharField(max_length=64)
    responsible_unit = peewee.CharField(max_length=64)
    effective_from = peewee.DateField(index=True)
    effective_until = peewee.DateField(null=True)
    content = peewee.TextField()
    content_hash = peewee.CharField(max_length=64)
    source_path = peewee.CharField(max_length=255, null=True)
    published_at = peewee.DateTimeField(default=datetime.datetime.now)
    published_by = peewee.CharField(max_length=64)
    search_initials = peewee.CharField(max_length=255, default="", index=True)
    search_pinyin = peewee.TextField(default="")

    class Meta:
        table_name = "matter_version"
        indexes = ((("code", "version"), True),)

    @property
    def document(self) -> dict:
        """The matter document as its author wrote it."""
        return json.loads(self.content)

    @property
    def level_list(self) -> list[str]:
        """Levels at which the version is accepted."""
        return self.levels.split(",") if self.levels else []

    def save(self, *args, **kwargs):
        """Insert a new version; refuse to rewrite a published one."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError("已发布的事项版本不能修改；请发布新版本")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refuse: published versions are history."""
        raise ImmutableRecordError("已发布的事项版本不能删除；撤销事项请发布状态为 withdrawn 的新版本")



class OrgUnit(BaseModel):
    """An administrative unit: the banner, a township (苏木乡镇) or a village (嘎查村/社区)."""

    code = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=100)
    level = peewee.CharField(max_length=16, index=True)
    kind = peewee.CharField(max_length=16)
    parent = peewee.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    active = peewee.BooleanField(default=True, index=True)

    class Meta:
        table_name = "org_unit"

    def __str__(self):
        return self.name


class ServiceCenter(BaseModel):
    """A 帮办代办 service center (banner, township) or service station (village)."""

    code = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=100, index=True)
    level = peewee.CharField(max_length=16, index=True)
    unit = peewee.ForeignKeyField(OrgUnit, backref="centers", on_delete="RESTRICT")
    address = peewee.CharField(max_length=200, null=True)
    phone = peewee.CharField(max_length=30, null=True)
    hours = peewee.CharField(max_length=100, null=True)
    active = peewee.BooleanField(default=True, index=True)

    class Meta:
        table_name = "service_center"

    def __str__(self):
        return self.name


class Department(BaseModel):
    """A responsible unit (责任单位) that decides matters."""

    code = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=100)
    short_name = peewee.CharField(max_length=50, null=True)
    in_hall = peewee.BooleanField(default=True)
    phone = peewee.CharField(max_length=30, null=True)
    address = peewee.CharField(max_length=200, null=True)
    active = peewee.BooleanField(default=True, index=True)

    class Meta:
        table_name = "department"

    def __str__(self):
        return self.name


def person_label(display_name: str, unit_name: str = "") -> str:
    """How a person appears on every screen: by name and unit, never by account name."""
    return f"{display_name}（{unit_name}）" if unit_name else display_name


class User(BaseModel):
    """An account: belongs to a service center or a department, holds one or more roles."""

    username = peewee.CharField(max_length=64, unique=True)
    display_name = peewee.CharField(max_length=64, index=True)
    password_hash = peewee.CharField(max_length=255)
    center = peewee.ForeignKeyField(ServiceCenter, null=True, backref="users", on_delete="RESTRICT")
    department = peewee.ForeignKeyField(Department, null=True, backref="users", on_delete="RESTRICT")
    roles = peewee.CharField(max_length=255)  # comma-separated role ids from config/roles/
    active = peewee.BooleanField(default=True, index=True)
    failed_logins = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    last_login_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)
    # Raised to end every session of the account (logout, password change, disabled, locked).
    session_version = peewee.IntegerField(default=0)

    class Meta:
        table_name = "app_user"

    def __str__(self):
        return person_label(self.display_name, self.unit_name)

    @property
    def unit_name(self) -> str:
        """The name of the service center or department the account belongs to, or ""."""
        unit = self.center if self.center_id else self.department if self.department_id else None
        return unit.name if unit is not None else ""

    @property
    def role_ids(self) -> list[str]:
        """The role ids this user holds."""
        return [r for r in (self.roles or "").split(",") if r]

    @role_ids.setter
    def role_ids(self, values) -> None:
        self.roles = ",".join(values or [])


class Agent(BaseModel):
    """An agent (代办员) at a service center or named by a department."""

    name = peewee.CharField(max_length=64, index=True)
    center = peewee.ForeignKeyField(ServiceCenter, null=True, backref="agents", on_delete="RESTRICT")
    department = peewee.ForeignKeyField(Department, null=True, backref="agents", on_delete="RESTRICT")
    phone = SealedCharField(null=True)  # a mobile: sealed at rest (SM4-GCM)
    # 公民身份号码, sealed: an agent acting as 委托代理人 is named by it on the case and commission.
    id_number = SealedCharField(kind="id_number", null=True)
    status = peewee.CharField(max_length=16, default="active", index=True)
    duties = peewee.TextField(default="")  # 代办员责任清单, one duty per line
    user = peewee.ForeignKeyField(User, null=True, backref="agent_profiles", on_delete="RESTRICT")
    created_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "agent"
        indexes = ((("center", "status"), False),)

    def __str__(self):
        return self.name


class PasswordHistory(BaseModel):
    """A password an account used before (its hash only), so a new one cannot repeat the last few."""

    user = peewee.ForeignKeyField(User, backref="password_history", on_delete="CASCADE")
    password_hash = peewee.CharField(max_length=255)
    replaced_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "password_history"
        indexes = ((("user", "id"), False),)


class AuditLog(BaseModel):
    """One audited event: who, in which role, from where, when, on what, values before and after."""

    at = peewee.DateTimeField(default=datetime.datetime.now, index=True)
    actor = peewee.CharField(max_length=64, index=True)
    roles = peewee.CharField(max_length=255, default="")
    ip = peewee.CharField(max_length=64, default="")
    action = peewee.CharField(max_length=32, index=True)
    object_type = peewee.CharField(max_length=64, default="", index=True)
    object_id = peewee.CharField(max_length=64, default="")
    summary = peewee.CharField(max_length=255, default="")
    before = peewee.TextField(null=True)
    after = peewee.TextField(null=True)
    outcome = peewee.CharField(max_length=16, default="success", index=True)
    prev_hash = peewee.CharField(max_length=64, null=True)
    row_hash = peewee.CharField(max_length=64, null=True)

    class Meta:
        table_name = "audit_log"
        indexes = ((("object_type", "object_id"), False),)  # a case's own rows (办理记录)

    def save(self, *args, **kwargs):
        """Insert a new record; audit records are never rewritten."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError("审计记录不能修改")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refuse: audit records are kept."""
        raise ImmutableRecordError("审计记录不能删除")


MODELS = (Matter, MatterVersion, OrgUnit, ServiceCenter, Department, User, PasswordHistory, Agent, AuditLog)
OPEN_DRAFT_STATUSES = ("draft", "in_review", "returned")


class MatterDraft(BaseModel):
    """A matter being edited in the browser: draft → in review → published (or returned)."""

    code = peewee.CharField(max_length=40, index=True)
    name = peewee.CharField(max_length=200)
    responsible_unit = peewee.CharField(max_length=64, default="")
    base_version = peewee.IntegerField(null=True)
    status = peewee.CharField(max_length=16, default="draft", index=True)
    content = peewee.TextField()
    author = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)
    updated_at = peewee.DateTimeField(default=datetime.datetime.now)
    submitted_at = peewee.DateTimeField(null=True)
    reviewer = peewee.CharField(max_length=64, null=True)
    reviewed_at = peewee.DateTimeField(null=True)
    review_comment = peewee.TextField(null=True)
    published_version = peewee.IntegerField(null=True)

    class Meta:
        table_name = "matter_draft"

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def document(self) -> dict:
        """The edited matter document."""
        return json.loads(self.content)


# Labels live here, once, as model metadata; admin lists, forms and filters all read them.
FIELD_LABELS = {
    "code": "编码", "name": "名称", "level": "层级", "kind": "类型", "parent": "上级单位",
    "active": "启用", "unit": "所属单位", "address": "地址", "phone": "联系电话",
    "hours": "办公时间", "short_name": "简称", "in_hall": "进驻政务大厅", "username": "用户名",
    "display_name": "姓名", "password_hash": "密码哈希", "center": "所属服务中心（站）",
    "department": "所属部门", "roles": "角色", "failed_logins": "连续登录失败次数",
    "locked_until": "锁定至", "last_login_at": "最近登录",
    "session_version": "会话版本", "created_at": "创建时间",
    "status": "状态", "duties": "代办员责任清单", "user": "登录账号", "at": "时间",
    "actor": "操作人", "ip": "IP 地址", "action": "操作", "object_type": "对象类型",
    "object_id": "对象编号", "summary": "摘要", "before": "修改前", "after": "修改后",
    "matter": "事项", "version": "版本", "everyday_name": "俗称", "domain": "领域",
    "levels": "受理层级", "responsible_unit": "责任单位", "effective_from": "生效日期",
    "effective_until": "失效日期", "content": "内容", "content_hash": "内容哈希",
    "source_path": "来源文件", "published_at": "发布时间", "published_by": "发布人",
    "search_initials": "拼音首字母", "search_pinyin": "全拼", "base_version": "基于版本",
    "author": "编辑人", "updated_at": "更新时间", "submitted_at": "提交时间", "reviewer": "审核人",
    "reviewed_at": "审核时间", "review_comment": "审核意见", "published_version": "发布版本",
}
MODEL_LABELS = {
    Matter: "事项", MatterVersion: "事项版本", OrgUnit: "行政区划", ServiceCenter: "服务中心（站）",
    Department: "部门", User: "用户", Agent: "代办员", AuditLog: "审计日志", MatterDraft: "事项草稿",
}
_OVERRIDES = {(Agent, "name"): "姓名", (Agent, "id_number"): "公民身份号码",
              (MatterVersion, "name"): "事项名称", (Matter, "code"): "事项编码",
              (MatterVersion, "code"): "事项编码"}

for _model in (*MODELS, MatterDraft):
    for _name, _field in _model._meta.fields.items():
        _field.verbose_name = _OVERRIDES.get((_model, _name), FIELD_LABELS.get(_name, _name))


def model_label(model) -> str:
    """The Chinese name of a model."""
    return MODEL_LABELS.get(model, model.__name__)


# ---------------------------------------------------------------------------------------------
# Cases (办件). `daiban.cases.service` is their only writer: `Case.save` refuses, so every change
# goes through its optimistic-locked UPDATE and leaves a CaseEvent. The applicant's ID number and
# phone are stored sealed, only through `daiban.cases.personal`.

CASE_MODES = {"assist": "帮办", "proxy": "代办"}
CASE_CHANNELS = ("window", "home_visit", "mobile_point", "postal", "online", "app", "hotline")


class Case(BaseModel):
    """One 帮办代办 case: a matter handled for an applicant, owned to the end by its first agent."""

    number = peewee.CharField(max_length=40, unique=True)
    matter_code = peewee.CharField(max_length=40, index=True)
    matter_version = peewee.IntegerField()
    mode = peewee.CharField(max_length=8)
    channel = peewee.CharField(max_length=16)
    status = peewee.CharField(max_length=32, index=True)
    first_agent = peewee.ForeignKeyField(User, backref="first_cases", on_delete="RESTRICT")
    center = peewee.ForeignKeyField(ServiceCenter, backref="cases", on_delete="RESTRICT")
    applicant_name = peewee.CharField(max_length=100, default="", index=True)
    applicant_id_number_sealed = peewee.CharField(max_length=255, null=True)  # via cases.personal only
    applicant_phone_sealed = peewee.CharField(max_length=255, null=True)  # via cases.personal only
    applicant_id_number_index = peewee.CharField(max_length=64, null=True, index=True)  # blind index
    applicant_phone_index = peewee.CharField(max_length=64, null=True, index=True)  # blind index
    values = peewee.TextField(column_name="form_values", default="{}")  # JSON; sensitive leaves sealed
    accepted_on = peewee.DateField()
    due_on = peewee.DateField(null=True, index=True)
    due_provisional = peewee.BooleanField(default=False)
    clock_stopped_on = peewee.DateField(null=True)
    stopped_working_days = peewee.IntegerField(default=0)
    result_on = peewee.DateField(null=True)
    result_decision = peewee.CharField(max_length=16, null=True)
    result_number = peewee.CharField(max_length=100, null=True)
    closed_on = peewee.DateField(null=True)
    lock_version = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)
    updated_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "case_file"
        indexes = ((("center", "status"), False), (("first_agent", "status"), False))

    def __str__(self):
        return self.number

    @property
    def form_values(self) -> dict:
        """The intake form as stored (ID numbers and phones sealed; see cases.personal)."""
        return json.loads(self.values or "{}")

    def pinned_version(self) -> MatterVersion | None:
        """The published matter version the case was opened under (None if it was never published)."""
        return MatterVersion.get_or_none((MatterVersion.code == self.matter_code)
                                         & (MatterVersion.version == self.matter_version))

    def save(self, *args, **kwargs):
        """Refuse: cases change only through daiban.cases.service (locking, events, clock)."""
        raise ImmutableRecordError("办件只能通过 daiban.cases.service 新建和流转")

    def delete_instance(self, *args, **kwargs):
        """Refuse: a case is never deleted; it is terminated (终止)."""
        raise ImmutableRecordError("办件不能删除；不再办理的请终止")


class CaseEvent(BaseModel):
    """One step in a case's history: who, in which role, which transition, from and to. Immutable."""

    case = peewee.ForeignKeyField(Case, backref="events", on_delete="RESTRICT")
    at = peewee.DateTimeField(default=datetime.datetime.now, index=True)
    day = peewee.DateField()  # the working day the step counts for (clock, due date)
    actor = peewee.ForeignKeyField(User, backref="case_events", on_delete="RESTRICT")
    role = peewee.CharField(max_length=64)
    transition = peewee.CharField(max_length=64)
    from_status = peewee.CharField(max_length=32, null=True)
    to_status = peewee.CharField(max_length=32)
    note = peewee.TextField(default="")
    due_on = peewee.DateField(null=True)  # the case's due date after this step
    lock_version = peewee.IntegerField()  # the case's lock_version after this step

    class Meta:
        table_name = "case_event"

    def save(self, *args, **kwargs):
        """Insert a new event; history is never rewritten."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError("办件记录不能修改")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refuse: history is kept."""
        raise ImmutableRecordError("办件记录不能删除")


FIELD_LABELS.update({
    "number": "办件编号", "matter_code": "事项编码", "matter_version": "事项版本", "mode": "办理方式",
    "channel": "受理渠道", "first_agent": "首问代办员", "applicant_name": "申请人姓名",
    "applicant_id_number_sealed": "申请人公民身份号码", "applicant_phone_sealed": "申请人联系电话",
    "values": "申请表内容", "accepted_on": "受理日期", "due_on": "到期日",
    "due_provisional": "到期日为暂定", "clock_stopped_on": "停止计时日期",
    "stopped_working_days": "累计停止计时工作日", "result_on": "出结果日期", "closed_on": "终结日期",
    "lock_version": "修改版本号", "case": "办件", "day": "业务日期", "role": "角色",
    "transition": "流转", "from_status": "原状态", "to_status": "新状态", "note": "说明",
})
MODEL_LABELS.update({Case: "办件", CaseEvent: "办件流转记录"})
_OVERRIDES.update({(Case, "center"): "受理服务中心（站）", (CaseEvent, "actor"): "操作人"})

for _model in (Case, CaseEvent):
    for _name, _field in _model._meta.fields.items():
        _field.verbose_name = _OVERRIDES.get((_model, _name), FIELD_LABELS.get(_name, _name))


# ---------------------------------------------------------------------------------------------
# A case's materials (收件清单), their scans and the commission (代办服务委托书). Their only
# writers are `daiban.cases.materials`, `.uploads` and `.commission`: `save` refuses to rewrite a
# row, the services change rows by guarded UPDATEs, and every step leaves an immutable
# CaseMaterialEvent. The database refuses changes to the columns fixed when a row is made.

MATERIAL_STATUSES = {
    "pending": "待收取", "short": "份数不足", "received": "已收取", "deferred": "容缺待补",
    "supplied": "已补齐", "not_needed": "经核实不需要", "verified": "部门核验",
}
COMMISSION_KINDS = {"commission": "代办服务委托书", "renewal": "续办委托书", "termination": "终止代办委托"}
COMMISSION_STATUSES = {"drafted": "待签署", "signed": "已签署", "terminated": "已终止", "void": "已作废"}


class _WrittenByService(BaseModel):
    """A row that its service inserts and then changes only by guarded UPDATE queries."""

    _refusal = "记录只能通过办件服务修改"

    def save(self, *args, **kwargs):
        """Insert a new row; refuse to rewrite one (the service changes rows)."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError(self._refusal)
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refuse: the case's history depends on the row."""
        raise ImmutableRecordError(self._refusal)


class CaseMaterial(_WrittenByService):
    """One material on a case's checklist, as the one-time notice resolved it, and what came in."""

    _refusal = "办件材料只能通过 daiban.cases.materials 登记"

    case = peewee.ForeignKeyField(Case, backref="materials", on_delete="RESTRICT")
    material_id = peewee.CharField(max_length=64)
    name = peewee.CharField(max_length=200)
    position = peewee.IntegerField(default=0)
    notice_status = peewee.CharField(max_length=16)  # needed / depends, as the notice said
    optional = peewee.BooleanField(default=False)
    verified_by_department = peewee.BooleanField(default=False)
    exempt_with_electronic_licence = peewee.BooleanField(default=False)
    originals_required = peewee.IntegerField(default=0)
    copies_required = peewee.IntegerField(default=0)
    options = peewee.TextField(default="[]")  # JSON: alternatives and fallback with their counts
    deferrable_amount = peewee.IntegerField(null=True)
    deferrable_unit = peewee.CharField(max_length=16, null=True)
    deferrable_label = peewee.CharField(max_length=100, null=True)
    status = peewee.CharField(max_length=16, index=True)
    originals_received = peewee.IntegerField(default=0)
    copies_received = peewee.IntegerField(default=0)
    received_as = peewee.CharField(max_length=64, null=True)  # an alternative's or fallback's id
    received_as_name = peewee.CharField(max_length=200, null=True)
    via_electronic_licence = peewee.BooleanField(default=False)
    received_on = peewee.DateField(null=True)
    deferred_on = peewee.DateField(null=True)
    promised_on = peewee.DateField(null=True, index=True)
    promised_provisional = peewee.BooleanField(default=False)
    supplied_on = peewee.DateField(null=True)
    note = peewee.TextField(default="")
    lock_version = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)
    updated_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "case_material"
        indexes = ((("case", "material_id"), True),)

    def __str__(self):
        return self.name

    @property
    def option_list(self) -> list[dict]:
        """Alternatives and fallback: dicts with id, name, originals, copies, kind."""
        return json.loads(self.options or "[]")

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return MATERIAL_STATUSES.get(self.status, self.status)


class CaseUpload(_WrittenByService):
    """A scan of a case material, stored outside the web root under its SHA-256. Immutable."""

    _refusal = "已上传的扫描件不能修改或删除"

    case = peewee.ForeignKeyField(Case, backref="uploads", on_delete="RESTRICT")
    case_material = peewee.ForeignKeyField(CaseMaterial, backref="uploads", on_delete="RESTRICT")
    filename = peewee.CharField(max_length=200)
    content_type = peewee.CharField(max_length=64)  # as detected from the content
    declared_type = peewee.CharField(max_length=100, default="")
    size = peewee.IntegerField()
    sha256 = peewee.CharField(max_length=64, index=True)
    stored_path = peewee.CharField(max_length=500)
    uploaded_by = peewee.ForeignKeyField(User, backref="uploads", on_delete="RESTRICT")
    uploaded_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "case_upload"
        indexes = ((("case_material", "sha256"), True),)

    def __str__(self):
        return self.filename


class CaseMaterialEvent(BaseModel):
    """One step on a case's checklist: built, received, deferred, supplied, uploaded. Immutable."""

    case = peewee.ForeignKeyField(Case, backref="material_events", on_delete="RESTRICT")
    case_material = peewee.ForeignKeyField(CaseMaterial, null=True, backref="events", on_delete="RESTRICT")
    at = peewee.DateTimeField(default=datetime.datetime.now, index=True)
    day = peewee.DateField()
    actor = peewee.ForeignKeyField(User, backref="material_events", on_delete="RESTRICT")
    role = peewee.CharField(max_length=64, default="")
    action = peewee.CharField(max_length=32)  # material:build, material:receive …
    from_status = peewee.CharField(max_length=16, null=True)
    to_status = peewee.CharField(max_length=16, null=True)
    originals = peewee.IntegerField(default=0)
    copies = peewee.IntegerField(default=0)
    received_as = peewee.CharField(max_length=64, null=True)
    promised_on = peewee.DateField(null=True)
    upload = peewee.ForeignKeyField(CaseUpload, null=True, backref="events", on_delete="RESTRICT")
    note = peewee.TextField(default="")

    class Meta:
        table_name = "case_material_event"

    def save(self, *args, **kwargs):
        """Insert a new event; history is never rewritten."""
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError("材料记录不能修改")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        """Refuse: history is kept."""
        raise ImmutableRecordError("材料记录不能删除")


class Commission(_WrittenByService):
    """A 代办服务委托书, 续办委托书 or 终止 record of a proxy case: parties, scope, limits, validity.

    What was drafted is what gets signed: the content columns never change (the database refuses);
    signing fixes the validity, and the dates of signing never change afterwards either."""

    _refusal = "委托书只能通过 daiban.cases.commission 起草、签署、续办或终止"

    case = peewee.ForeignKeyField(Case, backref="commissions", on_delete="RESTRICT")
    kind = peewee.CharField(max_length=16)
    previous = peewee.ForeignKeyField("self", null=True, backref="followers", on_delete="RESTRICT")
    status = peewee.CharField(max_length=16, index=True)
    citizen_name = peewee.CharField(max_length=100)
    citizen_id_masked = peewee.CharField(max_length=40, default="")
    agent = peewee.ForeignKeyField(User, backref="commissions", on_delete="RESTRICT")
    agent_name = peewee.CharField(max_length=64)
    center_name = peewee.CharField(max_length=100, default="")
    matter_code = peewee.CharField(max_length=40)
    matter_version = peewee.IntegerField()
    matter_name = peewee.CharField(max_length=200)
    scope = peewee.TextField(default="")
    prohibitions = peewee.TextField(default="[]")  # JSON list of what the agent may not do
    valid_days = peewee.IntegerField(default=0)
    reason = peewee.TextField(default="")  # a termination's reason
    drafted_on = peewee.DateField()
    drafted_by = peewee.ForeignKeyField(User, backref="drafted_commissions", on_delete="RESTRICT")
    valid_from = peewee.DateField(null=True)
    valid_until = peewee.DateField(null=True, index=True)
    signed_on = peewee.DateField(null=True)
    recorded_by = peewee.ForeignKeyField(User, null=True, backref="recorded_commissions",
                                         on_delete="RESTRICT")
    terminated_on = peewee.DateField(null=True)
    lock_version = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=datetime.datetime.now)

    class Meta:
        table_name = "commission"
        indexes = ((("case", "kind", "status"), False),)

    def __str__(self):
        return f"{COMMISSION_KINDS.get(self.kind, self.kind)}（{self.case.number}）"

    @property
    def prohibition_list(self) -> list[str]:
        """What the agent may not do, one item each."""
        return json.loads(self.prohibitions or "[]")

    @property
    def kind_label(self) -> str:
        """The kind in Chinese."""
        return COMMISSION_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return COMMISSION_STATUSES.get(self.status, self.status)


FIELD_LABELS.update({
    "material_id": "材料编号", "position": "序号", "notice_status": "告知结果", "optional": "非必要",
    "verified_by_department": "部门核验", "exempt_with_electronic_licence": "可用电子证照免交",
    "originals_required": "应收原件份数", "copies_required": "应收复印件份数", "options": "可替代材料",
    "deferrable_amount": "容缺期限", "deferrable_unit": "容缺期限单位", "deferrable_label": "容缺期限",
    "originals_received": "已收原件份数", "copies_received": "已收复印件份数",
    "received_as": "以替代材料收取", "received_as_name": "替代材料名称",
    "via_electronic_licence": "以电子证照核验", "received_on": "收取日期", "deferred_on": "容缺日期",
    "promised_on": "承诺补交日期", "promised_provisional": "承诺补交日期为暂定", "supplied_on": "补交日期",
    "case_material": "办件材料", "filename": "文件名", "content_type": "文件类型",
    "declared_type": "上传时声明的类型", "size": "大小（字节）", "sha256": "SHA-256",
    "stored_path": "存放位置", "uploaded_by": "上传人", "uploaded_at": "上传时间",
    "originals": "原件份数", "copies": "复印件份数", "upload": "扫描件",
    "previous": "原委托书", "citizen_name": "委托人", "citizen_id_masked": "委托人公民身份号码",
    "agent": "受托代办员", "agent_name": "受托代办员姓名", "center_name": "服务中心（站）",
    "matter_name": "事项名称", "scope": "委托事项和权限", "prohibitions": "代办员不得从事的行为",
    "valid_days": "有效天数", "reason": "终止原因", "drafted_on": "起草日期", "drafted_by": "起草人",
    "valid_from": "有效期自", "valid_until": "有效期至", "signed_on": "签署日期",
    "recorded_by": "签署登记人", "terminated_on": "终止日期",
})
MODEL_LABELS.update({CaseMaterial: "办件材料", CaseUpload: "材料扫描件", CaseMaterialEvent: "材料收取记录",
                     Commission: "代办服务委托书"})
_OVERRIDES.update({(CaseMaterial, "status"): "收取状态", (CaseMaterial, "note"): "备注",
                   (CaseMaterialEvent, "actor"): "操作人", (CaseMaterialEvent, "action"): "操作",
                   (Commission, "kind"): "文书类型", (Commission, "status"): "委托状态"})

for _model in (CaseMaterial, CaseUpload, CaseMaterialEvent, Commission):
    for _name, _field in _model._meta.fields.items():
        _field.verbose_name = _OVERRIDES.get((_model, _name), FIELD_LABELS.get(_name, _name))


class Consultation(BaseModel):
    """A visit that ended without a case (咨询): counted in ledgers and reports."""

    at = peewee.DateTimeField(default=datetime.datetime.now, index=True)
    agent = peewee.ForeignKeyField(User, backref="consultations", on_delete="RESTRICT")
    center = peewee.ForeignKeyField(ServiceCenter, null=True, backref="consultations", on_delete="RESTRICT")
    matter_code = peewee.CharField(max_length=40, null=True, index=True)
    channel = peewee.CharField(max_length=16, default="window")
    note = peewee.TextField(default="")

    class Meta:
        table_name = "consultation"


Consultation.at.verbose_name = "时间"
Consultation.agent.verbose_name = "接待代办员"
Consultation.center.verbose_name = "服务中心（站）"
Consultation.matter_code.verbose_name = "咨询事项"
Consultation.channel.verbose_name = "渠道"
Consultation.note.verbose_name = "咨询内容"
MODEL_LABELS[Consultation] = "咨询记录"

Case.result_decision.verbose_name = "办理结果"
Case.result_number.verbose_name = "证件/文书编号"


HANDOFF_STATUSES = {"sent": "已转出", "received": "已接收", "done": "已办结"}


class Handoff(BaseModel):
    """One leg of a relay (接力办): a case sent to a higher service center or to a department.

    Legs sent together to several departments share a `group`; the case waits for all of them.
    """

    case = peewee.ForeignKeyField(Case, backref="handoffs", on_delete="RESTRICT")
    group = peewee.IntegerField(default=1)
    from_center = peewee.ForeignKeyField(ServiceCenter, null=True, backref="handoffs_out",
                                         on_delete="RESTRICT")
    to_center = peewee.ForeignKeyField(ServiceCenter, null=True, backref="handoffs_in", on_delete="RESTRICT")
    to_department = peewee.ForeignKeyField(Department, null=True, backref="handoffs_in",
                                           on_delete="RESTRICT")
    status = peewee.CharField(max_length=16, default="sent", index=True)
    sent_by = peewee.CharField(max_length=64)
    sent_at = peewee.DateTimeField(default=datetime.datetime.now)
    received_by = peewee.CharField(max_length=64, null=True)
    received_at = peewee.DateTimeField(null=True)
    result_decision = peewee.CharField(max_length=16, null=True)
    result_number = peewee.CharField(max_length=100, null=True)
    note = peewee.TextField(default="")

    class Meta:
        table_name = "handoff"
        # (target, case): the data scope reads "cases relayed to us" from the index alone (018).
        indexes = ((("to_center", "status"), False), (("to_department", "status"), False),
                   (("to_center", "case"), False), (("to_department", "case"), False))

    @property
    def target_name(self) -> str:
        """Where the leg goes, in Chinese."""
        return (self.to_department or self.to_center).name

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return HANDOFF_STATUSES.get(self.status, self.status)


for _name, _label in {"case": "办件", "group": "批次", "from_center": "转出服务中心（站）",
                      "to_center": "接收服务中心", "to_department": "接收部门", "sent_by": "转出人",
                      "sent_at": "转出时间", "received_by": "接收人", "received_at": "接收时间",
                      "result_decision": "办理结果", "result_number": "证件/文书编号",
                      "note": "说明", "status": "状态"}.items():
    Handoff._meta.fields[_name].verbose_name = _label
MODEL_LABELS[Handoff] = "接力记录"
