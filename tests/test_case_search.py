"""查找办件: by 办件编号, applicant name, ID number or phone, on the workbench and the ledger, within
the user's data scope; index-backed; a search by ID number audited with the number masked."""

import pytest

from case_screens import BORN_1940, PASSWORD, make_site, open_elderly_case, signed_in
from daiban.accounts import create_user
from daiban.cases.search import parse_search
from daiban.models import AuditLog, Case

OTHER_ID = "152223193501010017"


@pytest.fixture
def site(db_url, db, tmp_path):
    """The app with the catalog published and three agents (see case_screens.make_site)."""
    app = make_site(db_url, tmp_path / "uploads")
    create_user("bureau", "局督查员", PASSWORD, ["bureau"])
    return app


def find(client, url="/admin/cases/", **form) -> str:
    """Post a search (the text travels in the body, not the URL) and return the page."""
    return client.post(url, data=form).get_data(as_text=True)


def found_part(page: str) -> str:
    assert 'class="case-found' in page, "no search results on the page"
    return page.split('class="case-found')[1].split("</section>")[0]


def two_cases(site):
    village = signed_in(site, "village")
    open_elderly_case(village)
    open_elderly_case(village, name="其其格", id_number=OTHER_ID, phone="13900000002")
    first, second = Case.select().order_by(Case.id)
    return village, first, second


def test_the_workbench_finds_a_case_by_number_name_id_number_and_phone(site):
    village, first, second = two_cases(site)
    for q in (first.number, first.number.lower(), "巴特", "巴特尔", BORN_1940, "13900000001"):
        part = found_part(find(village, q=q))
        assert first.number in part and second.number not in part, q
        assert "查找结果" in part and "1 件" in part
    part = found_part(find(village, q="13900000002"))
    assert second.number in part and first.number not in part
    assert "按联系电话“139****0002”" in part  # the phone shown masked
    # Partial ID numbers or phones match nothing: the blind index is exact.
    part = found_part(find(village, q=BORN_1940[:-1] + "9"))
    assert "没有找到符合条件的办件" in part


def test_a_search_by_id_number_is_audited_with_the_number_masked(site):
    village, first, _ = two_cases(site)
    before = AuditLog.select().where(AuditLog.action == "read").count()
    page = find(village, q=BORN_1940)
    assert "按公民身份号码“152223********0015”" in page and BORN_1940 not in page  # not even in the box
    rows = list(AuditLog.select().where(AuditLog.action == "read").order_by(AuditLog.id))
    assert len(rows) == before + 1
    assert rows[-1].actor == "village" and "152223********0015" in rows[-1].summary
    assert "找到 1 件" in rows[-1].summary and rows[-1].outcome == "success"
    assert not AuditLog.select().where(AuditLog.summary.contains(BORN_1940)).exists()
    # A name search is recorded as a read too, not as a failed write.
    find(village, q="巴特尔")
    assert AuditLog.select().where(AuditLog.action == "read").count() == before + 2
    assert not AuditLog.select().where(AuditLog.outcome == "failure").exists()
    # The text never rides in a URL: a GET with it finds nothing and shows no results.
    assert 'class="case-found' not in village.get("/admin/cases/", query_string={"q": BORN_1940}).get_data(
        as_text=True)


def test_the_search_stays_within_the_users_data_scope(site):
    _, first, _ = two_cases(site)
    other = signed_in(site, "other")  # a village agent of another village
    for q in (first.number, BORN_1940, "巴特尔", "13900000001"):
        part = found_part(find(other, q=q))
        assert f'data-number="{first.number}"' not in part and "：0 件" in part, q
        assert "没有找到符合条件的办件" in part
    township = signed_in(site, "township")  # the township above sees its villages' cases
    part = found_part(find(township, q=BORN_1940))
    assert first.number in part


def test_finished_cases_are_reached_through_the_workbench_filters(site):
    village, first, second = two_cases(site)
    village.post(f"/admin/cases/{first.id}/act", data={"transition": "terminate", "note": "申请人撤回",
                                                       "lock_version": first.lock_version})
    assert Case.get_by_id(first.id).status == "terminated"
    page = village.get("/admin/cases/").get_data(as_text=True)
    assert first.number not in page  # no longer among the cases in progress
    part = found_part(village.get("/admin/cases/?finished=finished").get_data(as_text=True))
    assert first.number in part and second.number not in part
    part = found_part(village.get("/admin/cases/?status=terminated").get_data(as_text=True))
    assert first.number in part and second.number not in part
    part = found_part(village.get("/admin/cases/?finished=open").get_data(as_text=True))
    assert second.number in part and first.number not in part
    part = found_part(find(village, q=BORN_1940, finished="finished"))
    assert first.number in part


def test_the_ledger_finds_a_case_whenever_it_was_accepted(site):
    village, first, second = two_cases(site)
    args = {"start": "2001-01-01", "end": "2001-12-31"}  # a period without these cases
    page = village.get("/admin/ledger/", query_string=args).get_data(as_text=True)
    assert first.number not in page
    page = find(village, f"/admin/ledger/?start={args['start']}&end={args['end']}", q=BORN_1940)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert first.number in body and second.number not in body
    assert "按公民身份号码查找“152223********0015”" in page and "查找时不限受理日期" in page
    assert AuditLog.select().where((AuditLog.action == "read")
                                   & AuditLog.summary.contains("工作台账查找办件")).exists()
    assert BORN_1940 not in page  # links to the export and the next page leave the ID number out
    page = find(village, "/admin/ledger/", q="其其格")
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert second.number in body and first.number not in body
    # Another village's agent finds nothing; the bureau sees the whole banner.
    body = find(signed_in(site, "other"), "/admin/ledger/", q=BORN_1940).split("<tbody>")[1]
    assert first.number not in body and "没有办件" in body
    body = find(signed_in(site, "bureau"), "/admin/ledger/", q=first.number).split("<tbody>")[1]
    assert first.number in body
    # A name search may be linked to (the next page keeps it); an ID number may not.
    bureau = signed_in(site, "bureau")
    page = bureau.get("/admin/ledger/", query_string={"q": "其其格"}).get_data(as_text=True)
    assert second.number in page.split("<tbody>")[1] and first.number not in page.split("<tbody>")[1]


@pytest.mark.parametrize(("text", "kind"), [
    ("BD20261203-000001", "number"), ("bd20261203", "number"), (BORN_1940, "id_number"),
    ("15222319400101001x", "id_number"), ("13900000001", "phone"), ("0482-6012301", "phone"),
    ("巴特尔", "name"), ("Bat", "name")])
def test_each_search_reads_one_indexed_column_without_like_or_decrypting(db, text, kind):
    search = parse_search(text)
    assert search.kind == kind
    sql, _ = Case.select(Case.id).where(search.condition).sql()
    where = sql.split("WHERE")[1]
    assert "LIKE" not in where.upper() and "_sealed" not in where
    column = {"number": '"number"', "id_number": '"applicant_id_number_index"',
              "phone": '"applicant_phone_index"', "name": '"applicant_name"'}[kind]
    assert column in where
    assert parse_search("   ") is None


def test_a_case_number_past_a_million_cases_is_still_found_by_number(db):
    import datetime

    from daiban.cases.service import case_number

    number = case_number(1_234_567, datetime.date(2026, 12, 4))
    assert number == "BD20261204-1234567"
    search = parse_search(number)
    assert search.kind == "number"
    _, params = Case.select(Case.id).where(search.condition).sql()
    assert params == [number]  # the exact number, not a range of prefixes
