"""The center standard (八有一能): computed items against counts made here, assessments and their
history, evidence photos, scope on the screens, and the list of centers with gaps."""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import re

import peewee
import pytest

from case_screens import PASSWORD, make_site, signed_in
from conftest import CONFIG, ROOT, TODAY
from daiban.accounts import create_user
from daiban.catalog.loader import load_catalog
from daiban.catalog.settings import SupervisionSettings
from daiban.models import (
    Agent,
    Case,
    Consultation,
    ImmutableRecordError,
    Matter,
    MatterVersion,
    ServiceCenter,
    User,
)
from daiban.orgsync import sync_organisation
from daiban.supervision.models import CenterAssessment
from daiban.supervision.standard import (
    AssessmentRefused,
    assessment_history,
    center_standard,
    center_standards,
    centers_with_gaps,
    open_evidence,
    quarter_start,
    record_assessment,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x02" * 200
PDF = b"%PDF-1.7\n" + b"\x03" * 200
SETTINGS = SupervisionSettings()  # at least 2 agents per center
_numbers = itertools.count(1)


# ---- builders ---------------------------------------------------------------------------------
def center(code: str) -> ServiceCenter:
    return ServiceCenter.get(ServiceCenter.code == code)


def gen_agent(at: ServiceCenter, name: str, duties: str = "受理群众申请\n跟踪办理进度", status="active"):
    return Agent.create(name=name, center=at, duties=duties, status=status)


def gen_case(at: ServiceCenter, agent: User, accepted_on: datetime.date, **overrides) -> int:
    """A case row as the workflow would leave it (written directly: only the figures matter here)."""
    values = dict(number=f"T{next(_numbers):06d}", matter_code="V-0001", matter_version=1, mode="assist",
                  channel="window", status="consultation", first_agent=agent, center=at,
                  accepted_on=accepted_on)
    values.update(overrides)
    return Case.insert(**values).execute()


def gen_matter(code: str, levels: str, status="active", effective_until=None):
    matter = Matter.create(code=code)
    return MatterVersion.create(
        matter=matter, code=code, version=1, status=status, name=f"{code} 事项", domain="elderly_care",
        levels=levels, responsible_unit="banner-civil-affairs-bureau",
        effective_from=datetime.date(2025, 1, 1), effective_until=effective_until, content="{}",
        content_hash="h", published_by="test")


def at_time(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10, 0))


@pytest.fixture
def world(db):
    """The shipped organisation, a village-only matter in force, and an assessor of the bureau."""
    sync_organisation(load_catalog(CONFIG, today=TODAY, include_matters=False).catalog.organisation)
    gen_matter("V-0001", "village")
    gen_matter("T-0001", "township", effective_until=datetime.date(2025, 6, 30))  # expired
    gen_matter("T-0002", "township", status="withdrawn")
    assessor = create_user("assessor", "督查员", PASSWORD, ["bureau"], center=center("banner-center"))
    return assessor


def items(standard) -> dict[str, str]:
    return {i.item: i.status for i in standard.items}


# ---- computed items -----------------------------------------------------------------------------
def test_computed_items_follow_the_data(world):
    assessor = world
    station, township = center("yinde-er-hongxing-station"), center("yinde-er-center")
    gen_agent(station, "包代办")
    gen_agent(station, "离岗代办", status="inactive")
    for name in ("甲", "乙"):
        gen_agent(township, name)
    gen_agent(township, "丙", duties="  \n ")  # whitespace is no duty list

    start = quarter_start(TODAY)
    assert start == datetime.date(2026, 10, 1)
    gen_case(station, assessor, start)
    gen_case(station, assessor, TODAY, result_on=TODAY, result_decision="approved")
    gen_case(station, assessor, start - datetime.timedelta(days=1))  # last quarter: not in the ledger
    gen_case(station, assessor, TODAY + datetime.timedelta(days=1))  # not yet: not counted
    Consultation.create(agent=assessor, center=station, at=at_time(TODAY))
    Consultation.create(agent=assessor, center=station, at=at_time(start - datetime.timedelta(days=3)))
    # Brought to a result or closed within the last year, counted once each; terminated is no result.
    gen_case(township, assessor, datetime.date(2025, 12, 1), status="closed",
             closed_on=datetime.date(2026, 2, 1))
    gen_case(township, assessor, datetime.date(2025, 1, 5), result_on=datetime.date(2025, 2, 1))  # too old
    gen_case(township, assessor, datetime.date(2026, 3, 1), status="terminated",
             closed_on=datetime.date(2026, 3, 2))

    village = center_standard(station, TODAY, SETTINGS)
    assert items(village) == {"window": "unknown", "agents": "gap", "equipment": "unknown", "guide": "met",
                              "matter_list": "met", "duty_list": "met", "rules": "unknown",
                              "ledger": "met", "can_handle": "met"}
    assert village.item("agents").evidence == "1 名在岗代办员（至少 2 名）"
    assert village.item("ledger").evidence == "本季度台账 3 条（受理 2 件，咨询 1 次）"
    assert village.item("can_handle").evidence == "近一年办结（出结果）1 件"
    assert village.item("matter_list").evidence == "嘎查村（社区）层级在用事项 1 项"
    assessed = ("window", "equipment", "rules")
    assert all((i.source == "assessed") == (i.item in assessed) for i in village.items)
    assert village.item("window").source_label == "评估记录"
    assert village.item("agents").source_label == "计算得出"

    town = center_standard(township, TODAY, SETTINGS)
    assert items(town)["agents"] == "met" and town.item("agents").evidence == "3 名在岗代办员（至少 2 名）"
    assert items(town)["duty_list"] == "gap" and "丙" in town.item("duty_list").evidence
    # Only expired and withdrawn township matters: no list, no guides.
    assert items(town)["matter_list"] == "gap" and items(town)["guide"] == "gap"
    assert items(town)["ledger"] == "gap" and town.item("ledger").evidence.startswith("本季度台账 0 条")
    assert items(town)["can_handle"] == "met"
    assert town.item("can_handle").evidence == "近一年办结（出结果）1 件"

    # The minimum is a setting.
    stricter = SupervisionSettings(min_agents_per_center=4)
    assert items(center_standard(township, TODAY, stricter))["agents"] == "gap"
    lenient = SupervisionSettings(min_agents_per_center=1)
    assert items(center_standard(station, TODAY, lenient))["agents"] == "met"


def test_a_center_without_agents_has_no_duty_list(world):
    standard = center_standard(center("xinlin-hexi-station"), TODAY, SETTINGS)
    assert items(standard)["agents"] == "gap" and items(standard)["duty_list"] == "gap"
    assert standard.item("duty_list").evidence == "没有在岗代办员"


def make_complete(at: ServiceCenter, assessor: User, today: datetime.date, *, assess=True):
    """Everything a center needs to meet all nine items on `today`."""
    gen_agent(at, f"{at.code}-甲")
    gen_agent(at, f"{at.code}-乙")
    gen_case(at, assessor, today, result_on=today, result_decision="approved")
    if assess:
        for item in ("window", "equipment", "rules"):
            record_assessment(at, item, True, "现场核查", assessor, today, today=today)


def test_centers_with_gaps_lists_only_centers_with_a_gap_in_few_queries(world, db):
    assessor = world
    complete, unassessed = center("yinde-er-hongxing-station"), center("yinde-er-xinhua-station")
    make_complete(complete, assessor, TODAY)
    make_complete(unassessed, assessor, TODAY, assess=False)
    all_centers = ServiceCenter.select()

    statements = []
    original = db.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return original(sql, *args, **kwargs)

    db.execute_sql = counting
    try:
        judged = center_standards(all_centers, TODAY, SETTINGS)
        gapped = centers_with_gaps(all_centers, TODAY, SETTINGS)
    finally:
        del db.execute_sql
    # Grouped queries, not one per center and item: the count does not grow with the centers.
    assert len(judged) == ServiceCenter.select().count() == 14
    assert len(statements) <= 2 * 7, statements  # centers, 3 counts, agents, catalog, findings

    assert all(i.status == "met" for i in judged[[s.center for s in judged].index(complete)].items)
    codes = {s.center.code for s in gapped}
    assert complete.code not in codes
    assert unassessed.code not in codes  # 待评估 is not a gap
    assert len(next(s for s in judged if s.center == unassessed).unknown) == 3
    # Every other center has no agents, hence a gap; they are listed with their gaps.
    assert codes == {c.code for c in ServiceCenter.select()} - {complete.code, unassessed.code}
    banner = next(s for s in gapped if s.center.code == "banner-center")
    assert {i.item for i in banner.gaps} >= {"agents", "duty_list", "matter_list", "guide", "ledger"}
    # Banner first, then each township's center before its stations.
    order = [s.center.code for s in judged]
    assert order[0] == "banner-center"
    assert order.index("yinde-er-center") < order.index("yinde-er-hongxing-station")


# ---- assessments ----------------------------------------------------------------------------------
def test_assessments_keep_their_history_and_the_latest_counts(world, db):
    assessor = world
    station = center("yinde-er-hongxing-station")
    first = record_assessment(station, "window", False, "未设置帮办代办窗口标识", assessor,
                              datetime.date(2026, 11, 1), today=TODAY)
    assert items(center_standard(station, TODAY, SETTINGS))["window"] == "gap"
    second = record_assessment(station, "window", True, "已设置窗口和标识牌", assessor,
                               datetime.date(2026, 11, 20), today=TODAY)
    # Entered later but dated earlier: history, not the current finding.
    late_entry = record_assessment(station, "window", False, "补录十月检查", assessor,
                                   datetime.date(2026, 10, 15), today=TODAY)

    window = center_standard(station, TODAY, SETTINGS).item("window")
    assert window.status == "met" and window.assessment.id == second.id
    assert window.evidence == "2026-11-20 督查员评估：达标。已设置窗口和标识牌"
    assert [a.id for a in assessment_history(station)] == [second.id, first.id, late_entry.id]
    # As it stood on 2026-11-10, the first finding counted.
    assert items(center_standard(station, datetime.date(2026, 11, 10), SETTINGS))["window"] == "gap"

    # History is not rewritten: the model refuses, and so does the database.
    first.note = "改写"
    with pytest.raises(ImmutableRecordError):
        first.save()
    with pytest.raises(ImmutableRecordError):
        first.delete_instance()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CenterAssessment.update(met=True).where(CenterAssessment.id == first.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        CenterAssessment.delete().where(CenterAssessment.id == first.id).execute()
    assert CenterAssessment.get_by_id(first.id).met is False
    assert CenterAssessment.select().count() == 3


@pytest.mark.parametrize(("item", "met", "note", "day", "message"), [
    ("agents", True, "人员齐全", TODAY, "由系统根据业务数据计算得出，不需要评估记录"),
    ("ledger", False, "台账不全", TODAY, "由系统根据业务数据计算得出"),
    ("garden", True, "x", TODAY, "评估项目 “garden” 不对"),
    ("window", True, "x", TODAY + datetime.timedelta(days=1),
     "评估日期（2026-11-29）不能晚于今天（2026-11-28）"),
    ("window", False, "", TODAY, "评为有差距时，请在评估说明中写明差距所在"),
    ("window", True, "  ", TODAY, "请填写评估说明或上传现场照片作为佐证"),
    ("window", None, "x", TODAY, "请选择评估结论"),
    ("rules", True, "字" * 1001, TODAY, "评估说明不能超过 1000 字"),
])
def test_bad_assessments_are_refused_with_a_clear_message(world, item, met, note, day, message):
    with pytest.raises(AssessmentRefused, match=message):
        record_assessment(center("yinde-er-center"), item, met, note, world, day, today=TODAY)
    assert CenterAssessment.select().count() == 0


def test_a_photo_is_stored_by_its_hash_outside_the_web_root(world, tmp_path):
    station = center("yinde-er-hongxing-station")
    finding = record_assessment(station, "equipment", True, "", world, TODAY, photo=PNG,
                                upload_dir=tmp_path, today=TODAY)
    digest = hashlib.sha256(PNG).hexdigest()
    stored = tmp_path / "standard" / f"{digest}.png"
    assert stored.read_bytes() == PNG
    assert (finding.evidence_sha256, finding.evidence_type, finding.evidence_path) == (
        digest, "image/png", f"standard/{digest}.png")
    assert open_evidence(finding, tmp_path) == PNG
    # A photo with no note is evidence enough for a finding that the item is met.
    assert center_standard(station, TODAY, SETTINGS).item("equipment").status == "met"

    stored.write_bytes(JPEG)  # changed on disk behind the app's back
    with pytest.raises(AssessmentRefused, match="校验值不符"):
        open_evidence(finding, tmp_path)
    stored.unlink()
    with pytest.raises(AssessmentRefused, match="照片文件不在存放目录中"):
        open_evidence(finding, tmp_path)


@pytest.mark.parametrize(("photo", "message"), [
    (PDF, "现场照片只能是 JPG 图片、PNG 图片；所选文件的内容不是图片"),
    (b"<html><script>alert(1)</script>", "现场照片只能是 JPG 图片、PNG 图片"),
    (b"", "照片文件是空的"),
    (JPEG + b"\x00" * (10 * 1024 * 1024), "照片过大"),
])
def test_a_file_that_is_not_a_photo_is_refused(world, tmp_path, photo, message):
    with pytest.raises(AssessmentRefused, match=message):
        record_assessment(center("yinde-er-center"), "equipment", True, "电脑打印机齐全", world, TODAY,
                          photo=photo, upload_dir=tmp_path, today=TODAY)
    assert CenterAssessment.select().count() == 0
    assert not (tmp_path / "standard").exists() or not any((tmp_path / "standard").iterdir())


def test_photos_are_not_stored_under_the_web_root(world):
    web = ROOT / "platform" / "daiban" / "web" / "static"
    with pytest.raises(AssessmentRefused, match="不能在网站目录内"):
        record_assessment(center("yinde-er-center"), "equipment", True, "x", world, TODAY, photo=JPEG,
                          upload_dir=web, today=TODAY)


# ---- screens ---------------------------------------------------------------------------------
@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published, agents at 红星村 / 音德尔镇 / 河西村 and a bureau assessor."""
    app = make_site(db_url, tmp_path / "uploads")
    create_user("bureau", "督查员", PASSWORD, ["bureau"], center=center("banner-center"))
    return app


def test_a_township_user_sees_only_its_townships_centers(site, tmp_path):
    today = datetime.date.today()
    bureau = User.get(User.username == "bureau")
    outside = center("xinlin-hexi-station")
    finding = record_assessment(outside, "window", True, "", bureau, today, photo=JPEG,
                                upload_dir=tmp_path / "uploads", today=today)
    township = signed_in(site, "township")
    page = township.get("/admin/standard/").get_data(as_text=True)
    codes = set(re.findall(r'data-center="([^"]+)"', page))
    assert codes == {c.code for c in ServiceCenter.select() if c.code.startswith("yinde-er")}
    assert township.get(f"/admin/standard/{outside.id}/").status_code == 404
    assert township.get(f"/admin/standard/evidence/{finding.id}").status_code == 404
    inside = center("yinde-er-hongxing-station")
    assert township.get(f"/admin/standard/{inside.id}/").status_code == 200
    # Seeing is not assessing.
    assert township.post(f"/admin/standard/{inside.id}/assess", data={"item": "window", "met": "1",
                                                                     "day": today.isoformat(),
                                                                     "note": "x"}).status_code == 403
    assert CenterAssessment.select().count() == 1

    bureau_client = signed_in(site, "bureau")
    photo = bureau_client.get(f"/admin/standard/evidence/{finding.id}")
    assert photo.status_code == 200 and photo.data == JPEG
    assert photo.mimetype == "image/jpeg" and photo.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in photo.headers["Cache-Control"]
    # A village agent sees the own station's standard only.
    village = signed_in(site, "village")
    assert village.get(f"/admin/standard/{inside.id}/").status_code == 200
    assert village.get(f"/admin/standard/{center('yinde-er-center').id}/").status_code == 404


def test_an_assessor_records_a_finding_with_a_photo_on_the_center_page(site, tmp_path):
    today = datetime.date.today()
    station = center("yinde-er-hongxing-station")
    client = signed_in(site, "bureau")
    page = client.get(f"/admin/standard/{station.id}/").get_data(as_text=True)
    assert "登记评估" in page and "计算得出" in page and "评估记录" in page and "暂无评估记录" in page

    refused = client.post(f"/admin/standard/{station.id}/assess", data={
        "item": "equipment", "met": "1", "day": today.isoformat(), "note": "电脑一台",
        "photo": (io.BytesIO(PDF), "设备.jpg")}, content_type="multipart/form-data")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "现场照片只能是 JPG 图片、PNG 图片" in text
    assert "电脑一台" in text  # what was typed is kept
    assert "Traceback" not in text and CenterAssessment.select().count() == 0

    future = client.post(f"/admin/standard/{station.id}/assess", data={
        "item": "window", "met": "1", "day": (today + datetime.timedelta(days=3)).isoformat(), "note": "x"})
    assert "不能晚于今天" in future.get_data(as_text=True)

    done = client.post(f"/admin/standard/{station.id}/assess", data={
        "item": "equipment", "met": "0", "day": today.isoformat(), "note": "缺少打印机",
        "photo": (io.BytesIO(PNG), "现场.png")}, content_type="multipart/form-data", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "已记录评估：有办公设备" in text
    finding = CenterAssessment.get()
    assert finding.assessor.username == "bureau" and finding.evidence_type == "image/png"
    assert (tmp_path / "uploads" / "standard" / f"{finding.evidence_sha256}.png").read_bytes() == PNG
    assert 'data-item="equipment" data-status="gap"' in text and "缺少打印机" in text
    assert f"/admin/standard/evidence/{finding.id}" in text
    # The township's agent reads the finding but gets no form.
    township_page = signed_in(site, "township").get(f"/admin/standard/{station.id}/").get_data(as_text=True)
    assert "缺少打印机" in township_page and "登记评估" not in township_page


def test_the_list_shows_centers_with_gaps_and_filters(site):
    today = datetime.date.today()
    bureau = User.get(User.username == "bureau")
    complete = center("yinde-er-hongxing-station")
    make_complete(complete, bureau, today)
    client = signed_in(site, "bureau")

    every = client.get("/admin/standard/").get_data(as_text=True)
    assert f'data-center="{complete.code}" data-gaps="0"' in every
    assert 'data-center="xinlin-hexi-station"' in every
    assert '<div class="h3 mb-0 standard-total">14</div>' in every
    assert '<div class="h3 mb-0 text-danger standard-gapped">13</div>' in every

    gaps = client.get("/admin/standard/?gaps=1").get_data(as_text=True)
    assert f'data-center="{complete.code}"' not in gaps and 'data-center="xinlin-hexi-station"' in gaps
    assert "只看有差距的" in gaps

    villages = client.get("/admin/standard/?level=village").get_data(as_text=True)
    assert 'data-center="banner-center"' not in villages and 'data-center="xinlin-hexi-station"' in villages
    xinlin = center("xinlin-center").unit
    one_township = client.get(f"/admin/standard/?township={xinlin.id}").get_data(as_text=True)
    shown = set(re.findall(r'data-center="([^"]+)"', one_township))
    assert shown == {"xinlin-center", "xinlin-xinlin-station", "xinlin-hexi-station"}


@pytest.mark.parametrize("township", ["²", "9223372036854775808", "-1", "abc", " "])
def test_a_township_filter_that_is_no_id_shows_every_center(site, township):
    client = signed_in(site, "bureau")
    response = client.get("/admin/standard/", query_string={"township": township})
    assert response.status_code == 200
    assert len(set(re.findall(r'data-center="([^"]+)"', response.get_data(as_text=True)))) == 14
