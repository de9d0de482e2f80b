"""The center standard (八有一能): nine items for every service center and station.

- **Computed** items follow from the data, so they are never out of date and cannot be argued:
  有帮办代办人员 (at least `min_agents_per_center` active agents, a setting), 有办事指南 and
  有帮办代办政务服务事项清单 (matters in force for the center's level: each has its guide page),
  有代办员责任清单 (every active agent has duties written), 有工作台账 (cases accepted or
  consultations recorded this quarter) and 能办事 (cases brought to a result in the last year).
- **Assessed** items (有帮办代办窗口, 有办公设备, 有制度机制) are what an assessor saw on site:
  a finding with a date, a note and optionally a photo. The latest by date counts; every
  finding is kept (the database refuses changes). A computed item cannot be assessed: the way
  to close its gap is to correct the data it is computed from, so there is one truth per item.
- An item is met, a gap, or unknown (an assessed item nobody has assessed yet). Unknown is not
  counted as a gap; the lists show it separately as 待评估.

Centers are judged together in a handful of grouped queries, whatever their number.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import peewee

from daiban import audit
from daiban.cases.uploads import MAX_SCAN_BYTES, SIGNATURES, detect_type, refuse_web_root, write_file
from daiban.catalog.model import LEVEL_LABELS
from daiban.catalog.settings import SupervisionSettings
from daiban.db import database
from daiban.models import Agent, Case, Consultation, OrgUnit, ServiceCenter, User
from daiban.publishing import catalog_in_force
from daiban.supervision.models import STANDARD_ITEMS, CenterAssessment

COMPUTED_ITEMS = ("agents", "guide", "matter_list", "duty_list", "ledger", "can_handle")
ASSESSED_ITEMS = tuple(item for item in STANDARD_ITEMS if item not in COMPUTED_ITEMS)
STATUS_LABELS = {"met": "达标", "gap": "有差距", "unknown": "待评估"}
SOURCE_LABELS = {"computed": "计算得出", "assessed": "评估记录"}
PHOTO_TYPES = ("image/jpeg", "image/png")  # evidence is a photo; documents belong in the note
HANDLED_WINDOW_DAYS = 365  # 能办事: results within the last year, so a quiet quarter is no gap
MAX_NOTE = 1000
EVIDENCE_FOLDER = "standard"


class AssessmentRefused(ValueError):
    """An assessment that was not recorded, or evidence that cannot be shown; Chinese for the user."""


@dataclass(frozen=True)
class ItemStatus:
    """One item of one center: met, gap or unknown; computed or assessed; and why."""

    item: str
    status: str  # met / gap / unknown
    source: str  # computed / assessed
    evidence: str  # figures for a computed item, the finding for an assessed one
    assessment: CenterAssessment | None = None  # the finding that counts, for assessed items

    @property
    def label(self) -> str:
        """The item in Chinese (有帮办代办窗口 …)."""
        return STANDARD_ITEMS[self.item]

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return STATUS_LABELS[self.status]

    @property
    def source_label(self) -> str:
        """计算得出 or 评估记录."""
        return SOURCE_LABELS[self.source]


@dataclass(frozen=True)
class CenterStandard:
    """A center with its nine items, in the policy's order."""

    center: ServiceCenter
    items: tuple[ItemStatus, ...]

    def item(self, item: str) -> ItemStatus:
        """The status of one item by its code."""
        return next(i for i in self.items if i.item == item)

    @property
    def gaps(self) -> list[ItemStatus]:
        """The items with a gap."""
        return [i for i in self.items if i.status == "gap"]

    @property
    def unknown(self) -> list[ItemStatus]:
        """Assessed items nobody has assessed yet."""
        return [i for i in self.items if i.status == "unknown"]

    @property
    def township_name(self) -> str:
        """The township the center belongs to (a village station's parent unit), or ''."""
        unit = self.center.unit
        if unit.level == "township":
            return unit.name
        if unit.level == "village" and unit.parent_id:
            return unit.parent.name
        return ""


def quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the quarter `day` falls in."""
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _grouped_count(query, key) -> dict[int, int]:
    return {center_id: count for center_id, count in
            query.select(key, peewee.fn.COUNT(peewee.SQL("*"))).group_by(key).tuples()}


def _place(center: ServiceCenter) -> tuple:
    """Banner first, then each township's center followed by its stations, in the order of
    config/org (the order the rows were synced in)."""
    unit = center.unit
    if unit.level == "banner":
        return (0, 0, 0, center.id)
    township = unit.id if unit.level == "township" or not unit.parent_id else unit.parent_id
    return (1, township, 0 if unit.level == "township" else 1, center.id)


def _with_units(query):
    """The centers with their unit and its parent loaded in the same query."""
    parent = OrgUnit.alias()
    return (query.select(ServiceCenter, OrgUnit, parent).join_from(ServiceCenter, OrgUnit)
            .join_from(OrgUnit, parent, peewee.JOIN.LEFT_OUTER, on=(OrgUnit.parent == parent.id),
                       attr="parent"))


def center_standards(query_of_centers, today: datetime.date,
                     settings: SupervisionSettings) -> list[CenterStandard]:
    """The nine items of every center the query selects, in few grouped queries (not per center)."""
    ids = query_of_centers.select(ServiceCenter.id).order_by()  # a subquery: no long IN lists
    centers = sorted(_with_units(ServiceCenter.select().where(ServiceCenter.id.in_(ids))), key=_place)
    if not centers:
        return []
    since = quarter_start(today)
    handled_since = today - datetime.timedelta(days=HANDLED_WINDOW_DAYS)

    # Agents per center are few; their duties are judged in Python (whitespace-only is empty).
    agents: dict[int, list[tuple[str, bool]]] = {}
    for center_id, name, duties in (Agent.select(Agent.center, Agent.name, Agent.duties)
                                    .where((Agent.center.in_(ids)) & (Agent.status == "active"))
                                    .order_by(Agent.name).tuples()):
        agents.setdefault(center_id, []).append((name, bool((duties or "").strip())))
    accepted = _grouped_count(
        Case.select().where(Case.center.in_(ids) & (Case.accepted_on >= since) & (Case.accepted_on <= today)),
        Case.center)
    consulted = _grouped_count(
        Consultation.select().where(
            Consultation.center.in_(ids)
            & (Consultation.at >= datetime.datetime.combine(since, datetime.time.min))
            & (Consultation.at < datetime.datetime.combine(today + datetime.timedelta(days=1),
                                                          datetime.time.min))),
        Consultation.center)
    in_window_result = (Case.result_on > handled_since) & (Case.result_on <= today)
    in_window_closed = ((Case.status == "closed") & (Case.closed_on > handled_since)
                        & (Case.closed_on <= today))
    handled = _grouped_count(
        Case.select().where(Case.center.in_(ids) & (in_window_result | in_window_closed)), Case.center)
    matters_per_level = Counter(level for row in catalog_in_force(today) for level in row.level_list)
    latest = _latest_assessments(ids, today)

    judged = []
    for center in centers:
        figures = _Figures(
            agents=agents.get(center.id, []), accepted=accepted.get(center.id, 0),
            consulted=consulted.get(center.id, 0), handled=handled.get(center.id, 0),
            matters=matters_per_level.get(center.level, 0), level=center.level,
            min_agents=settings.min_agents_per_center,
        )
        items = tuple(_computed(item, figures) if item in COMPUTED_ITEMS
                      else _assessed(item, latest.get((center.id, item))) for item in STANDARD_ITEMS)
        judged.append(CenterStandard(center, items))
    return judged


def center_standard(center: ServiceCenter, today: datetime.date,
                    settings: SupervisionSettings) -> CenterStandard:
    """The nine items of one center, each met, a gap or unknown, with its evidence."""
    return center_standards(ServiceCenter.select().where(ServiceCenter.id == center.id), today, settings)[0]


def centers_with_gaps(query_of_centers, today: datetime.date,
                      settings: SupervisionSettings) -> list[CenterStandard]:
    """The centers the query selects that have at least one item with a gap (unknown is no gap)."""
    return [standard for standard in center_standards(query_of_centers, today, settings) if standard.gaps]


def _latest_assessments(center_ids, today: datetime.date) -> dict[tuple[int, str], CenterAssessment]:
    """Per (center, item), the finding with the latest date (the later entry on the same day)."""
    latest: dict[tuple[int, str], CenterAssessment] = {}
    query = (CenterAssessment.select(CenterAssessment, User).join(User)
             .where(CenterAssessment.center.in_(center_ids) & CenterAssessment.item.in_(ASSESSED_ITEMS)
                    & (CenterAssessment.assessed_on <= today))
             .order_by(CenterAssessment.assessed_on, CenterAssessment.id))
    for row in query:
        latest[(row.center_id, row.item)] = row
    return latest


@dataclass(frozen=True)
class _Figures:
    agents: list[tuple[str, bool]]  # (name, duties written) of the active agents
    accepted: int
    consulted: int
    handled: int
    matters: int
    level: str
    min_agents: int


def _computed(item: str, f: _Figures) -> ItemStatus:
    level = LEVEL_LABELS.get(f.level, f.level)
    if item == "agents":
        count = len(f.agents)
        return ItemStatus(item, "met" if count >= f.min_agents else "gap", "computed",
                          f"{count} 名在岗代办员（至少 {f.min_agents} 名）")
    if item in ("guide", "matter_list"):
        if not f.matters:
            return ItemStatus(item, "gap", "computed", f"{level}层级没有在用的帮办代办事项")
        text = (f"{f.matters} 项事项的办事指南随目录发布" if item == "guide"
                else f"{level}层级在用事项 {f.matters} 项")
        return ItemStatus(item, "met", "computed", text)
    if item == "duty_list":
        if not f.agents:
            return ItemStatus(item, "gap", "computed", "没有在岗代办员")
        missing = [name for name, written in f.agents if not written]
        if missing:
            return ItemStatus(item, "gap", "computed",
                              f"{len(missing)} 名代办员未填写责任清单：{'、'.join(missing)}")
        return ItemStatus(item, "met", "computed", f"{len(f.agents)} 名在岗代办员均有责任清单")
    if item == "ledger":
        total = f.accepted + f.consulted
        return ItemStatus(item, "met" if total else "gap", "computed",
                          f"本季度台账 {total} 条（受理 {f.accepted} 件，咨询 {f.consulted} 次）")
    if item == "can_handle":
        return ItemStatus(item, "met" if f.handled else "gap", "computed",
                          f"近一年办结（出结果）{f.handled} 件")
    raise KeyError(item)


def _assessed(item: str, finding: CenterAssessment | None) -> ItemStatus:
    if finding is None:
        return ItemStatus(item, "unknown", "assessed", "尚未评估")
    verdict = "达标" if finding.met else "有差距"
    text = f"{finding.assessed_on.isoformat()} {finding.assessor.display_name}评估：{verdict}"
    if finding.note:
        text += f"。{finding.note}"
    return ItemStatus(item, "met" if finding.met else "gap", "assessed", text, finding)


# ---- assessments ---------------------------------------------------------------------------
def _size_label(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _evidence_file(upload_dir: Path, digest: str, content_type: str) -> Path:
    # The name is rebuilt from the hash and type, never read back from the row: no path to forge.
    return Path(upload_dir) / EVIDENCE_FOLDER / f"{digest}.{SIGNATURES[content_type][1]}"


def _store_photo(photo: bytes, upload_dir: Path | None) -> tuple[str, str, str]:
    """Check a photo by its content and store it once under its hash; give (path, sha256, type)."""
    if not isinstance(photo, bytes | bytearray) or not photo:
        raise AssessmentRefused("照片文件是空的，请重新选择")
    photo = bytes(photo)
    if len(photo) > MAX_SCAN_BYTES:
        raise AssessmentRefused(f"照片过大（{_size_label(len(photo))}）：不能超过 "
                                f"{_size_label(MAX_SCAN_BYTES)}，请压缩后再上传")
    kind = detect_type(photo)
    if kind not in PHOTO_TYPES:
        allowed = "、".join(SIGNATURES[k][2] for k in PHOTO_TYPES)
        raise AssessmentRefused(f"现场照片只能是 {allowed}；所选文件的内容不是图片")
    if upload_dir is None:
        raise AssessmentRefused("未设置照片的存放目录，请联系管理员")
    root = refuse_web_root(upload_dir, AssessmentRefused)
    digest = hashlib.sha256(photo).hexdigest()
    path = _evidence_file(root, digest, kind)
    if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest):
        write_file(path, photo)
    return f"{EVIDENCE_FOLDER}/{path.name}", digest, kind


def record_assessment(center: ServiceCenter, item: str, met: bool, note: str, assessor: User,
                      day: datetime.date, photo: bytes | None = None, upload_dir: Path | None = None,
                      *, today: datetime.date | None = None) -> CenterAssessment:
    """Record an assessor's finding on one assessed item of a center, with a note and/or a photo;
    a computed item, a future date or a file that is not a JPEG or PNG photo is refused."""
    today = today or datetime.date.today()
    if item not in STANDARD_ITEMS:
        raise AssessmentRefused(f"评估项目 “{item}” 不对：可选 "
                                f"{'、'.join(STANDARD_ITEMS[i] for i in ASSESSED_ITEMS)}")
    if item in COMPUTED_ITEMS:
        raise AssessmentRefused(f"“{STANDARD_ITEMS[item]}”由系统根据业务数据计算得出，不需要评估记录；"
                                "如与实际不符，请更正代办员、事项目录或台账数据")
    if not isinstance(met, bool):
        raise AssessmentRefused("请选择评估结论：达标或有差距")
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise AssessmentRefused("请填写评估日期")
    if day > today:
        raise AssessmentRefused(f"评估日期（{day.isoformat()}）不能晚于今天（{today.isoformat()}）")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise AssessmentRefused(f"评估说明不能超过 {MAX_NOTE} 字（现有 {len(note)} 字）")
    if not met and not note:
        raise AssessmentRefused("评为有差距时，请在评估说明中写明差距所在，便于整改")
    if not note and photo is None:
        raise AssessmentRefused("请填写评估说明或上传现场照片作为佐证")
    current = ServiceCenter.get_or_none(ServiceCenter.id == center.id)
    if current is None:
        raise AssessmentRefused("服务中心（站）不存在")
    if not current.active:
        raise AssessmentRefused(f"“{current.name}”已停用，不再评估")
    path = digest = kind = None
    if photo is not None:
        path, digest, kind = _store_photo(photo, upload_dir)
    with database.atomic():
        finding = CenterAssessment.create(
            center=current, item=item, met=met, note=note, evidence_path=path, evidence_sha256=digest,
            evidence_type=kind, assessed_on=day, assessor=assessor,
        )
        audit.record("create", assessor.username, roles=assessor.roles, object_type="center_assessment",
                     object_id=finding.id,
                     summary=f"八有一能评估：{current.name} {STANDARD_ITEMS[item]}"
                             f"{'达标' if met else '有差距'}（{day.isoformat()}）")
    return finding


def assessment_history(center: ServiceCenter) -> list[CenterAssessment]:
    """Every finding on a center, newest date first (the later entry first on the same day)."""
    return list(CenterAssessment.select(CenterAssessment, User).join(User)
                .where(CenterAssessment.center == center.id)
                .order_by(CenterAssessment.assessed_on.desc(), CenterAssessment.id.desc()))


def open_evidence(finding: CenterAssessment, upload_dir: Path) -> bytes:
    """The photo of a finding, checked against the hash stored with it; the caller decides who may see it."""
    if not finding.evidence_sha256 or finding.evidence_type not in PHOTO_TYPES:
        raise AssessmentRefused("该评估记录没有现场照片")
    path = _evidence_file(upload_dir, finding.evidence_sha256, finding.evidence_type)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AssessmentRefused("照片文件不在存放目录中，请联系管理员") from exc
    if hashlib.sha256(data).hexdigest() != finding.evidence_sha256:
        raise AssessmentRefused("照片文件与上传时不一致（校验值不符），请联系管理员")
    return data
