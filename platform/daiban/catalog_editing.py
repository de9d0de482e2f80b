"""Editing the catalog in the browser: drafts, review by a second person, publication, withdrawal.

The only writer of `matter_draft`. Validation is `check_matter_source`, the code behind
`daiban catalog validate`; publication is `publishing.publish_version`, the path the CLI uses.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from daiban import audit
from daiban.catalog.loader import Catalog, check_matter_source
from daiban.catalog.problems import Problem
from daiban.catalog.schemas import load_schema
from daiban.catalog.sources import Source, parse_text
from daiban.db import database
from daiban.models import OPEN_DRAFT_STATUSES, MatterDraft, MatterVersion
from daiban.publishing import PublishRefused, history, publish_version

EDITOR_PATH = "编辑器"
# catalog.schemas.translate's words for a required key absent, and for a required text left blank
MISSING_REQUIRED = "缺少必填项"
LEFT_BLANK = "不能为空"
STATUS_LABELS = {"draft": "草稿", "in_review": "审核中", "returned": "已退回", "published": "已发布",
                 "withdrawn": "已撤销", "active": "已发布"}


class EditingRefused(RuntimeError):
    """A workflow step that is not allowed now or for this user; the message says why."""


class DraftIncomplete(EditingRefused):
    """A draft with a required element missing: not saved; `problems` say which, by pointer."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"草稿未保存：还有 {len(problems)} 个必填项没有填写（见各项旁的提示）")
        self.problems = problems


def missing_required(problems: list[Problem]) -> list[Problem]:
    """The problems that are a required element missing (the rest may wait in a draft)."""
    return [p for p in problems if p.message.startswith(MISSING_REQUIRED) or p.message == LEFT_BLANK]


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit trail records them."""

    username: str
    roles: str = ""
    ip: str = ""


def _audit(action: str, actor: Actor, draft: MatterDraft, summary: str, before=None, after=None):
    audit.record(action, actor.username, roles=actor.roles, ip=actor.ip, object_type="matter_draft",
                 object_id=draft.id, summary=summary, before=before, after=after)


def open_draft(code: str) -> MatterDraft | None:
    """The draft of a matter still being edited or reviewed, if any."""
    return (MatterDraft.select().where((MatterDraft.code == code)
                                       & MatterDraft.status.in_(OPEN_DRAFT_STATUSES))
            .order_by(MatterDraft.id.desc()).first())


def latest_version(code: str) -> MatterVersion | None:
    """The most recently published version of a matter."""
    rows = history(code)
    return rows[-1] if rows else None


def _listed(document: dict, name: str) -> dict:
    """The draft's name and unit for the list, cut to their columns (work in progress may be far
    too long; the full text stays in the document, where the checks report it)."""
    unit = str(document.get("responsible_unit", ""))
    return {"name": str(document.get("name", name))[:MatterDraft.name.max_length],
            "responsible_unit": unit[:MatterDraft.responsible_unit.max_length]}


def check_code(code: str) -> None:
    """Refuse a matter code the matter schema would refuse (its pattern and length), before it is
    looked up or stored: the code names the draft, so it is checked when the draft is started."""
    schema, _ = load_schema("matter")
    rule = schema["properties"]["code"]
    longest = min(rule.get("maxLength", MatterDraft.code.max_length), MatterDraft.code.max_length)
    if not isinstance(code, str) or not code:
        raise EditingRefused("请填写事项编码")
    if len(code) > longest:
        raise EditingRefused(f"事项编码不能超过 {longest} 个字符（现有 {len(code)} 个）")
    if not re.fullmatch(rule["pattern"].removeprefix("^").removesuffix("$"), code):
        raise EditingRefused(f"事项编码“{code}”格式不对：应以大写字母开头，由大写字母和数字组成，"
                             f"可用“-”分段，如 YLFW-0001")


@database.atomic()  # the change and its audit row are kept together or not at all
def start_draft(code: str, actor: Actor, document: dict | None = None) -> MatterDraft:
    """Open (or return the already open) draft of a matter, starting from its latest version; a
    code the schema refuses (pattern, length) is refused first."""
    check_code(code)
    existing = open_draft(code)
    if existing is not None:
        return existing
    latest = latest_version(code)
    if document is None:
        if latest is None:
            raise EditingRefused(f"没有事项 {code}；新建事项请填写完整内容")
        document = latest.document
    elif latest is not None:
        raise EditingRefused(f"事项编码 {code} 已存在，请编辑该事项而不是新建")
    if str(document.get("code", code)) != code:
        raise EditingRefused(f"草稿内容的事项编码“{document.get('code')}”与 {code} 不一致")
    draft = MatterDraft.create(
        code=code, **_listed(document, code),
        base_version=latest.version if latest else None,
        content=json.dumps(document, ensure_ascii=False), author=actor.username,
    )
    _audit("create", actor, draft, f"新建草稿 {code}", after=document)
    return draft


def check_document(document: dict, catalog: Catalog) -> list[Problem]:
    """Problems of an edited document, by the very checks of `daiban catalog validate`."""
    _, problems = check_matter_source(Source(EDITOR_PATH, data=document), catalog)
    return problems


def parse_yaml(text: str) -> tuple[dict | None, list[Problem]]:
    """Parse the raw YAML tab; syntax problems carry their line and column."""
    source = parse_text(text, f"{EDITOR_PATH}.yaml")
    if not source.ok:
        return None, source.problems
    if not isinstance(source.data, dict):
        return None, [source.problem("", "这里应当是一个映射（键: 值），即一个事项")]
    return source.data, []


def check_yaml(text: str, catalog: Catalog) -> tuple[dict | None, list[Problem]]:
    """Parse and check the raw YAML tab, positions pointing into the text."""
    source = parse_text(text, f"{EDITOR_PATH}.yaml")
    if not source.ok:
        return None, source.problems
    _, problems = check_matter_source(source, catalog)
    return source.data, problems


def _editable(draft: MatterDraft) -> None:
    if draft.status not in ("draft", "returned"):
        raise EditingRefused(f"草稿当前状态为“{STATUS_LABELS[draft.status]}”，不能修改")


@database.atomic()  # the change and its audit row are kept together or not at all
def save_draft(draft: MatterDraft, document: dict, actor: Actor,
               catalog: Catalog | None = None) -> MatterDraft:
    """Save an edited document into its draft. Work in progress with other problems may be saved;
    with `catalog`, a document missing a required element is refused (DraftIncomplete)."""
    _editable(draft)
    if catalog is not None:
        missing = missing_required(check_document(document, catalog))
        if missing:
            raise DraftIncomplete(missing)
    if document.get("code") not in (None, draft.code):
        raise EditingRefused(f"事项编码不能修改（应为 {draft.code}）")
    before = draft.document
    MatterDraft.update(
        content=json.dumps(document, ensure_ascii=False), **_listed(document, draft.name), status="draft",
        updated_at=datetime.datetime.now(),
    ).where(MatterDraft.id == draft.id).execute()
    _audit("update", actor, draft, f"保存草稿 {draft.code}", before=before, after=document)
    return MatterDraft.get_by_id(draft.id)


def _next_version(draft: MatterDraft) -> int:
    latest = latest_version(draft.code)
    return (latest.version if latest else 0) + 1


@database.atomic()  # the change and its audit row are kept together or not at all
def submit(draft: MatterDraft, actor: Actor, catalog: Catalog) -> MatterDraft:
    """Send a valid draft for review."""
    _editable(draft)
    document = dict(draft.document, version=_next_version(draft))
    problems = check_document(document, catalog)
    if problems:
        raise EditingRefused(f"草稿还有 {len(problems)} 个问题，修正后才能提交审核")
    MatterDraft.update(status="in_review", submitted_at=datetime.datetime.now(),
                       review_comment=None).where(MatterDraft.id == draft.id).execute()
    _audit("submit", actor, draft, f"提交审核 {draft.code}")
    return MatterDraft.get_by_id(draft.id)


@database.atomic()  # the change and its audit row are kept together or not at all
def send_back(draft: MatterDraft, actor: Actor, comment: str) -> MatterDraft:
    """Return a draft in review to its author with a comment."""
    if draft.status != "in_review":
        raise EditingRefused("只有审核中的草稿可以退回")
    if not comment.strip():
        raise EditingRefused("退回时请写明修改意见")
    MatterDraft.update(status="returned", reviewer=actor.username, reviewed_at=datetime.datetime.now(),
                       review_comment=comment.strip()).where(MatterDraft.id == draft.id).execute()
    _audit("return", actor, draft, f"退回 {draft.code}：{comment.strip()[:100]}")
    return MatterDraft.get_by_id(draft.id)


def export_catalog() -> dict[str, str]:
    """The latest published version of every matter as YAML text, keyed by relative file path."""
    from daiban.catalog.yamltext import dump_document

    files = {}
    latest: dict[str, MatterVersion] = {}
    for row in MatterVersion.select().order_by(MatterVersion.code, MatterVersion.version):
        latest[row.code] = row
    for code, row in sorted(latest.items()):
        files[f"matters/{row.domain}/{code}.yaml"] = dump_document(row.document)
    return files


def approve_and_publish(draft: MatterDraft, actor: Actor, effective_from: datetime.date,
                        catalog: Catalog) -> MatterVersion:
    """Publish a draft in review as the next version, effective from a date (maker-checker)."""
    if draft.status != "in_review":
        raise EditingRefused("只有审核中的草稿可以审核发布")
    if actor.username == draft.author:
        raise EditingRefused("不能审核发布自己编辑的草稿：须由另一位有审核权限的人员审核（审核与编辑分离）")
    document = dict(draft.document)
    document["version"] = _next_version(draft)
    document["effective_from"] = effective_from.isoformat()
    with database.atomic():
        matter, problems = check_matter_source(Source(EDITOR_PATH, data=document), catalog)
        if problems:
            raise EditingRefused(f"草稿有 {len(problems)} 个问题，不能发布：{problems[0].message}")
        try:
            row = publish_version(matter, document, f"{EDITOR_PATH}#{draft.id}", actor.username)
        except PublishRefused as exc:
            raise EditingRefused(str(exc)) from None
        MatterDraft.update(status="published", reviewer=actor.username,
                           reviewed_at=datetime.datetime.now(), published_version=row.version,
                           content=json.dumps(document, ensure_ascii=False)).where(
            MatterDraft.id == draft.id).execute()
        _audit("approve", actor, draft, f"审核通过 {draft.code}")
        _audit("publish", actor, draft, f"发布 {draft.code} 第 {row.version} 版，{effective_from} 起生效",
               after=document)
    return row


def start_withdrawal(code: str, actor: Actor) -> MatterDraft:
    """Open a draft that withdraws a matter (status withdrawn); it is reviewed like any change."""
    if open_draft(code) is not None:
        raise EditingRefused("该事项已有未完成的草稿，请先处理")
    latest = latest_version(code)
    if latest is None or latest.status == "withdrawn":
        raise EditingRefused("该事项没有可撤销的已发布版本")
    document = dict(latest.document, status="withdrawn")
    draft = start_draft(code, actor)
    return save_draft(draft, document, actor)
