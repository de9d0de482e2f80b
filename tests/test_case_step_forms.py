"""The next-step forms on the case page say what each note is for (from the workflow config's
`note_label`), and an assisted case offers nothing commission-like."""

from __future__ import annotations

import re

from case_screens import PASSWORD, open_elderly_case, signed_in
from daiban.accounts import create_user
from daiban.models import Case, Department
from test_cases_closing import CATALOG, site, step

site = site  # the fixture, shared with the closing tests


def forms(page: str) -> dict[str, str]:
    """Each next-step form's button label → the label of its note box."""
    found = {}
    for form in re.findall(r'<form[^>]*class="mb-2 transition-form".*?</form>', page, re.S):
        button = re.search(r'type="submit">([^<]+)</button>', form).group(1)
        label = re.search(r'<label class="small mb-1 note-label"[^>]*>([^<]+)</label>', form)
        found[button] = label.group(1) if label else ""
    return found


def test_each_reason_box_says_what_it_is_for(site):
    create_user("liaison", "吴联络员", PASSWORD, ["department_liaison"],
                department=Department.get(Department.code == "banner-civil-affairs-bureau"))
    village = signed_in(site, "village")
    open_elderly_case(village, mode="proxy", applicant_type="agent", agent_name="其其格",
                      agent_id_number="15222319800101003X")
    case = Case.get()
    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert forms(page)["受理委托"] == ""  # a proxy case accepts a commission
    terminate = forms(page)["终止"]
    assert terminate == CATALOG.workflow.transition("terminate").note_label
    assert terminate.startswith("终止：请写明终止原因")
    Case.update(status="in_department").where(Case.id == case.id).execute()  # at the department
    liaison = signed_in(site, "liaison")
    boxes = forms(liaison.get(f"/admin/cases/{case.id}/").get_data(as_text=True))
    assert set(boxes) == {"退回补正", "中止办理", "反馈办理结果", "终止"}
    assert boxes["退回补正"].startswith("退回补正：请一次性写明需补正的材料或内容")
    assert boxes["中止办理"].startswith("中止：请写明中止原因")
    assert len(set(boxes.values())) == 4 and "请写明原因（必填）" not in boxes.values()


def test_an_assisted_case_is_accepted_without_any_commission(site):
    village = signed_in(site, "village")
    open_elderly_case(village)  # 帮办
    case = Case.get()
    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "受理" in forms(page) and "受理委托" not in page and "委托书" not in page
    accepted = step(case, "accept", "village")
    assert accepted.status == "commission_accepted"
    page = village.get(f"/admin/cases/{case.id}/").get_data(as_text=True)
    assert "已受理" in page and "委托" not in page
