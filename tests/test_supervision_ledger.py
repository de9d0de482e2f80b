"""The work ledger: rows, filters and scope against plain Python over the raw rows, keyset pages,
the screen in Chinese, and the .xlsx export (title, frozen header, print layout, masked IDs)."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest

from case_screens import signed_in
from conftest import CONFIG
from daiban.accounts import create_user
from daiban.cases.service import overdue
from daiban.catalog.loader import load_catalog
from daiban.models import AuditLog, Case, CaseMaterial, Handoff, MatterVersion
from daiban.supervision.ledger import COLUMNS, LedgerFilter, ledger_page, ledger_rows, ledger_summary
from daiban.supervision.models import Rating
from test_supervision_report import (
    ID_NUMBER,
    PASSWORD,
    Lookup,
    build_world,
    previous_quarter,
    quarter_bounds,
)

MASKED = "152223********0015"
WORKFLOW = load_catalog(CONFIG, include_matters=False).catalog.workflow


@pytest.fixture
def world(db):
    """Built around the real date, since the screens count as of today."""
    return build_world(datetime.date.today())


def period(world) -> LedgerFilter:
    start, _ = quarter_bounds(*previous_quarter(world.year, world.quarter))
    return LedgerFilter(start, world.today)


def visible(world, username: str, look: Lookup) -> set[int]:
    """Which cases each test user may see, worked out here from the records."""
    user = world.users[username]
    legs = list(Handoff.select())
    if username in ("bureau", "inspector"):
        return set(look.cases)
    if username == "civil":
        codes = {v.code for v in MatterVersion.select()
                 if v.responsible_unit == "banner-civil-affairs-bureau"}
        return {c.id for c in look.cases.values() if c.matter_code in codes} | {
            h.case_id for h in legs if h.to_department_id == user.department_id}
    if username in ("yinde", "xinlin"):
        town = look.township[user.center_id]
        return {c.id for c in look.cases.values() if look.township[c.center_id] == town} | {
            h.case_id for h in legs if h.to_center_id and look.township[h.to_center_id] == town}
    return {c.id for c in look.cases.values() if c.center_id == user.center_id} | {
        h.case_id for h in legs if h.to_center_id == user.center_id}


def expected_rows(world, username: str, flt: LedgerFilter, keep=lambda case: True) -> list[Case]:
    look = Lookup()
    seen = visible(world, username, look)
    cases = [c for c in look.cases.values()
             if c.id in seen and flt.start <= c.accepted_on <= flt.end and keep(c)]
    return sorted(cases, key=lambda c: (c.accepted_on, c.id))


def rows_of(world, username, flt):
    return list(ledger_rows(world.principal(username), flt, world.today, WORKFLOW))


def test_each_row_tells_the_case_as_the_records_do(world):
    flt = period(world)
    rows = rows_of(world, "bureau", flt)
    cases = expected_rows(world, "bureau", flt)
    assert [r.number for r in rows] == [c.number for c in cases] and len(rows) > 50
    look = Lookup()
    for row, case in zip(rows, cases, strict=True):
        assert row.late == overdue(case, world.today)
        assert row.on_time_label == ("超期" if row.late else "按时" if case.result_on else "未超期")
        assert row.status_label == WORKFLOW.label(case.status) and row.status_label != case.status
        assert row.mode_label in ("帮办", "代办") and row.result_on == case.result_on
        materials = list(CaseMaterial.select().where(CaseMaterial.case == case.id))
        assert row.deferred == sum(m.deferred_on is not None for m in materials)
        assert row.deferred_pending == sum(m.status == "deferred" for m in materials)
        ratings = sorted(Rating.select().where(Rating.case == case.id), key=lambda r: r.visit)
        assert row.rating == (ratings[-1].level if ratings else None)
        assert row.id_number_masked == MASKED and ID_NUMBER not in row.applicant
        assert row.matter_name == f"{case.matter_code} 第{case.matter_version}版事项"
        town = look.township[case.center_id]
        assert (row.township_name != "") == (town is not None)
    assert {r.on_time_label for r in rows} == {"超期", "按时", "未超期"}


FILTERS = {  # filter -> the same question asked of a case in plain Python
    "mode": ("proxy", lambda c, look: c.mode == "proxy"),
    "channel": ("home_visit", lambda c, look: c.channel == "home_visit"),
    "status": ("closed", lambda c, look: c.status == "closed"),
    "township": ("xinlin", lambda c, look: look.township[c.center_id] == "xinlin"),
    "department": ("banner-civil-affairs-bureau",
                   lambda c, look: look.department[(c.matter_code, c.matter_version)]
                   == "banner-civil-affairs-bureau"),
}


@pytest.mark.parametrize("name", [*FILTERS, "center", "late", "on_time"])
def test_each_filter_matches_a_plain_filter(world, name):
    flt = period(world)
    look = Lookup()
    today = world.today
    if name == "center":
        value, keep = world.centers["yinde-er-hongxing-station"].id, lambda c: c.center_id == value
        flt = LedgerFilter(flt.start, flt.end, center=value)
    elif name in ("late", "on_time"):
        flt = LedgerFilter(flt.start, flt.end, on_time=name)
        keep = (lambda c: overdue(c, today)) if name == "late" else (lambda c: not overdue(c, today))
    else:
        value, test = FILTERS[name]
        flt = LedgerFilter(flt.start, flt.end, **{name: value})
        keep = lambda c: test(c, look)  # noqa: E731
    expected = [c.number for c in expected_rows(world, "bureau", flt, keep)]
    assert expected, f"the world needs cases for the {name} filter"
    assert [r.number for r in rows_of(world, "bureau", flt)] == expected
    summary = ledger_summary(world.principal("bureau"), flt, today)
    assert summary["cases"] == len(expected)
    cases = expected_rows(world, "bureau", flt, keep)
    assert summary["late"] == sum(overdue(c, today) for c in cases)
    assert summary["proxy"] == sum(c.mode == "proxy" for c in cases)
    assert summary["finished"] == sum(c.result_on is not None for c in cases)


@pytest.mark.parametrize("username", ["yinde", "xinlin", "village", "civil", "inspector"])
def test_each_user_sees_the_ledger_of_their_scope_only(world, username):
    flt = period(world)
    assert [r.number for r in rows_of(world, username, flt)] == [
        c.number for c in expected_rows(world, username, flt)]


def test_a_township_sees_the_case_relayed_to_it_and_nothing_of_other_townships(world):
    flt = LedgerFilter(datetime.date(2000, 1, 1), world.today)
    relayed = Handoff.get().case
    rows = rows_of(world, "yinde", flt)
    assert [r.township_name for r in rows if r.number == relayed.number] == ["新林镇"]
    assert {r.township_name for r in rows if r.number != relayed.number} == {"音德尔镇"}


def test_keyset_pages_cover_every_row_once_newest_first(world):
    flt = period(world)
    principal = world.principal("bureau")
    seen, before = [], None
    while True:
        page = ledger_page(principal, flt, world.today, WORKFLOW, before=before, size=7)
        assert len(page.rows) <= 7
        seen += [r.id for r in page.rows]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == sorted((c.id for c in expected_rows(world, "bureau", flt)), reverse=True)


# ---- the screen and the export ----------------------------------------------------------------
@pytest.fixture
def site(db_url, world, tmp_path):
    from daiban.web import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                       "CONFIG_DIR": str(CONFIG), "UPLOAD_DIR": str(tmp_path / "uploads")})


def test_the_ledger_screen_in_chinese_with_filters_and_pages(site, world):
    client = signed_in(site, "yinde")
    flt = period(world)
    args = {"start": flt.start.isoformat(), "end": flt.end.isoformat()}
    page = client.get("/admin/ledger/", query_string=args).get_data(as_text=True)
    expected = expected_rows(world, "yinde", flt)
    assert f"音德尔镇帮办代办工作台账（{flt.start:%Y-%m-%d} 至 {flt.end:%Y-%m-%d}）" in page
    assert f'<strong class="ledger-total">{len(expected)}</strong>' in page
    assert "受理渠道" in page and "是否按时" in page and "导出 Excel" in page
    newest = sorted(expected, key=lambda c: c.id, reverse=True)
    assert all(f'data-number="{c.number}"' in page for c in newest[:50])
    others = [c for c in Case.select() if c.id not in {e.id for e in expected}]
    assert not any(f'data-number="{c.number}"' in page for c in others)
    assert MASKED in page and ID_NUMBER not in page
    if len(expected) > 50:
        assert "下一页" in page
    # Filters come as GET parameters; unreadable ones fall back instead of failing.
    proxy = client.get("/admin/ledger/", query_string={**args, "mode": "proxy"}).get_data(as_text=True)
    assert f'<strong class="ledger-total">{sum(c.mode == "proxy" for c in expected)}</strong>' in proxy
    odd = client.get("/admin/ledger/?start=yesterday&mode=bogus&center=x&before=y")
    assert odd.status_code == 200 and "工作台账" in odd.get_data(as_text=True)
    # Every level keeps a ledger: inspectors and village agents open theirs too.
    assert signed_in(site, "inspector").get("/admin/ledger/").status_code == 200
    assert signed_in(site, "village").get("/admin/ledger/").status_code == 200


@pytest.mark.parametrize("number", ["9223372036854775808", "1" + "0" * 30, "²", "-5"])
def test_a_center_or_page_past_the_id_range_is_no_filter(site, world, number):
    client = signed_in(site, "yinde")
    for path in ("/admin/ledger/", "/admin/ledger/export.xlsx"):
        for name in ("center", "before"):
            response = client.get(path, query_string={name: number})
            assert response.status_code == 200, f"{path}?{name}={number}"
            response.close()


def test_the_ledger_exports_to_xlsx_laid_out_for_printing(site, world):
    client = signed_in(site, "yinde")
    flt = period(world)
    # Typed text that looks like a formula stays text in the workbook.
    Case.insert(number="BDT-FORMULA", matter_code="JYCY-T001", matter_version=1, mode="assist",
                channel="window", status="consultation", first_agent=world.users["yinde"],
                center=world.centers["yinde-er-center"], accepted_on=world.today,
                applicant_name='=HYPERLINK("http://example.com","点我")').execute()
    response = client.get("/admin/ledger/export.xlsx",
                          query_string={"start": flt.start.isoformat(), "end": flt.end.isoformat()})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["工作台账"]
    assert sheet["A1"].value.startswith("音德尔镇帮办代办工作台账")
    assert "A1:N1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["D"].width == 30
    assert [c.value for c in sheet[2]] == ["序号", *(h for _, h, _ in COLUMNS)]
    data = list(sheet.iter_rows(min_row=3, values_only=True))
    expected = expected_rows(world, "yinde", flt)
    assert [row[1] for row in data] == [c.number for c in expected]
    assert [row[0] for row in data] == list(range(1, len(expected) + 1))
    first = data[0]
    assert first[2].date() == expected[0].accepted_on  # a real date, not text
    assert MASKED in first[4]
    assert not any(ID_NUMBER in str(cell) for row in data for cell in row)
    formula = next(row for row in sheet.iter_rows(min_row=3) if row[1].value == "BDT-FORMULA")[4]
    assert formula.data_type == "s" and formula.value.startswith('=HYPERLINK("http://example.com"')
    late = sum(overdue(c, world.today) for c in expected)
    assert sum(row[11] == "超期" for row in data) == late
    exports = AuditLog.select().where((AuditLog.action == "export") & (AuditLog.object_type == "ledger"))
    assert exports.count() == 1


def test_the_export_needs_the_export_permission(site, world):
    # Every shipped role with the ledger may export it; the system administrator has neither.
    admin = signed_in(site, "bureau")
    assert admin.get("/admin/ledger/export.xlsx").status_code == 200
    create_user("sysadmin", "系统管理员", PASSWORD, ["system_admin"])
    outsider = signed_in(site, "sysadmin")
    assert outsider.get("/admin/ledger/").status_code == 403
    assert outsider.get("/admin/ledger/export.xlsx").status_code == 403
