"""办理记录: every step of a case (state changes, materials, relay legs, commissions, ratings and
rectifications) on the case page, oldest first, with the person's name."""

import datetime
import io
import re

import pytest

from case_screens import ELDERLY, PASSWORD, make_site, open_elderly_case, signed_in
from conftest import CONFIG
from daiban.accounts import create_user
from daiban.cases import commission, relay
from daiban.cases.history import case_history
from daiban.cases.materials import build_checklist, checklist, defer, receive, supply
from daiban.models import Case, Department, Handoff, ServiceCenter, User
from daiban.supervision.models import Rectification
from daiban.web import load_reference

REFERENCE = load_reference(str(CONFIG))
WORKFLOW = REFERENCE.workflow
ZHOU, SUN, WU = "周代办（红星村便民服务站）", "孙代办（音德尔镇便民服务中心）", "吴联络员（扎赉特旗民政局）"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published, three agents and a liaison of the civil affairs bureau."""
    app = make_site(db_url, tmp_path / "uploads")
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"], department=civil)
    return app


def history_rows(page: str) -> list[list[str]]:
    """The 办理记录 table as rows of cell texts."""
    body = page.split('class="table table-sm case-events"')[1].split("</table>")[0]
    rows = []
    for row in re.findall(r'<tr class="case-step"[^>]*>(.*?)</tr>', body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def act(client, case_id, transition, **form):
    version = Case.get_by_id(case_id).lock_version
    client.post(f"/admin/cases/{case_id}/act",
                data={"transition": transition, "lock_version": version, **form})


def order_of(labels, label):
    """The index of the last step with this label."""
    return len(labels) - 1 - labels[::-1].index(label)


def test_every_step_is_listed_in_order_with_the_persons_name(site):
    today = datetime.date.today()
    village = signed_in(site, "village")
    open_elderly_case(village, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    agent = User.get(User.username == "village")
    act(village, case.id, "accept")
    # Materials: the checklist, one received, one deferred and supplied, a scan uploaded.
    build_checklist(case, ELDERLY, today, actor=agent)
    rows = [r for r in checklist(case) if not r.verified_by_department and not r.optional]
    deferrable = next(r for r in rows if r.deferrable_label)
    for row in rows:
        if row is not deferrable:
            receive(row, row.originals_required, row.copies_required, agent, today=today)
    defer(deferrable, agent, None, today, REFERENCE.calendar)
    first = rows[0] if rows[0] is not deferrable else rows[1]
    village.post(f"/admin/cases/{case.id}/materials/{first.id}/scans",
                 data={"scan": (io.BytesIO(PNG), "身份证.png", "image/png")},
                 content_type="multipart/form-data")
    supply(type(deferrable).get_by_id(deferrable.id), agent, today)
    # The commission: drafted, signed, renewed, ended.
    village.post(f"/admin/cases/{case.id}/commission/draft")
    drafted = commission.commissions(case)[-1]
    village.post(f"/admin/cases/{case.id}/commission/{drafted.id}/sign")
    village.post(f"/admin/cases/{case.id}/commission/{drafted.id}/renew")
    renewal = commission.commissions(case)[-1]
    village.post(f"/admin/cases/{case.id}/commission/{renewal.id}/sign")
    act(village, case.id, "collect_materials")
    # Relay: up to the township (received, finished), then to the department with its decision.
    township_center = ServiceCenter.get(ServiceCenter.code == "yinde-er-center")
    act(village, case.id, "collect_materials")
    village.post(f"/admin/cases/{case.id}/relay/up", data={
        "center": township_center.id, "note": "请协调", "lock_version": Case.get_by_id(case.id).lock_version})
    leg = Handoff.get()
    township = signed_in(site, "township")
    township.post(f"/admin/cases/{case.id}/relay/{leg.id}/receive")
    township.post(f"/admin/cases/{case.id}/relay/{leg.id}/finish")
    civil = Department.get(Department.code == "banner-civil-affairs-bureau")
    relay.send_to_departments(Case.get_by_id(case.id), [civil], User.get(User.username == "township"),
                              workflow=REFERENCE.workflow, calendar=REFERENCE.calendar, today=today)
    department_leg = Handoff.select().order_by(Handoff.id.desc()).get()
    liaison = signed_in(site, "liaison")
    liaison.post(f"/admin/cases/{case.id}/relay/{department_leg.id}/finish",
                 data={"result_decision": "approved", "result_number": "民高津〔2026〕9号"})
    # A bad rating opens a rectification; its call is recorded.
    village.post(f"/admin/ratings/{case.id}/record", data={"level": "1", "channel": "follow_up_call",
                                                            "comment": "等太久"})
    rectification = Rectification.get()
    village.post(f"/admin/rectifications/{rectification.id}/call",
                 data={"call_note": "已电话回访，群众反映排队时间长",
                       "lock_version": rectification.lock_version})
    village.post(f"/admin/cases/{case.id}/commission/{renewal.id}/terminate",
                 data={"reason": "申请人撤回委托"})

    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    rows = history_rows(page)
    labels = [r[1] for r in rows]
    people = {r[2] for r in rows}
    assert labels[0] == "受理建档" and rows[0][3] == "已建档"
    assert "受理委托" in labels
    for expected in ("生成材料清单", f"收取材料“{first.name}”", f"容缺受理“{deferrable.name}”",
                     f"补交材料“{deferrable.name}”", f"上传扫描件“{first.name}”",
                     "起草代办服务委托书", "登记签署代办服务委托书", "起草续办委托书", "登记签署续办委托书",
                     "终止代办委托", "接力转出", "接力接收", "接力办结", "服务评价", "差评整改立项",
                     "登记差评回访"):
        assert expected in labels, (expected, labels)
    # People by name, never by account.
    assert {ZHOU, SUN, WU} <= people  # by name and unit, never the account name
    assert not any(u in " ".join(people) for u in ("village", "township", "liaison"))
    assert not people & {"village", "township", "liaison"}
    department_done = next(r for r in rows if r[1] == "接力办结" and civil.name in r[4])
    assert department_done[2] == WU and "准予办理（民高津〔2026〕9号）" in department_done[4]
    fed_back = next(r for r in rows if r[1] == "结果已反馈")  # the decision brought the case back
    assert fed_back[2] == "系统" and fed_back[3] == "已报送 → 已出结果" and "民高津〔2026〕9号" in fed_back[4]
    assert order_of(labels, "接力办结") < labels.index("结果已反馈") < labels.index("服务评价")
    assert any(r[1] == "接力转出" and "转至音德尔镇便民服务中心" in r[4] and "请协调" in r[4] for r in rows)
    assert any(r[1] == "服务评价" and "非常不满意" in r[4] and "等太久" in r[4] for r in rows)
    assert any(r[1] == "终止代办委托" and "申请人撤回委托" in r[4] for r in rows)
    assert any(r[1] == f"上传扫描件“{first.name}”" and "身份证.png" in r[4] for r in rows)
    # Oldest first, and each step after the one it depends on.
    times = [r[0] for r in rows]
    assert times == sorted(times)
    order = {label: labels.index(label) for label in labels[::-1]}
    assert order["起草代办服务委托书"] < order["登记签署代办服务委托书"] < order["起草续办委托书"]
    assert order["接力转出"] < order["接力接收"] < order["接力办结"] < order["服务评价"]
    assert order["服务评价"] < order["差评整改立项"]
    assert order["差评整改立项"] < order["登记差评回访"]


def test_the_history_is_the_same_for_everyone_who_sees_the_case(site):
    village = signed_in(site, "village")
    open_elderly_case(village)
    case = Case.get()
    act(village, case.id, "accept", note="当面受理")
    steps = case_history(Case.get_by_id(case.id), WORKFLOW)
    assert [(s.label, s.person, s.state) for s in steps] == [
        ("受理建档", ZHOU, "已建档"), ("受理", ZHOU, "已建档 → 已受理")]
    assert steps[1].detail == "当面受理"
    township = signed_in(site, "township")
    township_rows = history_rows(township.get(f"/admin/cases/{case.id}/").get_data(as_text=True))
    assert [r[1:4] for r in township_rows] == [["受理建档", ZHOU, "已建档"],
                                               ["受理", ZHOU, "已建档 → 已受理"]]
