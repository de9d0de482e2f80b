"""The benchmarks' shared fill (benchmarks/fill.py), at a few hundred cases: what the services
would have left. Sealed applicants open and are found by their blind indexes, the audit chain
verifies, every foreign key holds, and a case opened after the fill takes a fresh id (on
PostgreSQL that needs the sequences moved past the copied rows)."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT
from daiban import audit
from daiban.cases import personal
from daiban.cases.search import parse_search
from daiban.db import database, is_postgres
from daiban.models import Case, CaseEvent, Handoff
from daiban.security import audit_chain

sys.path.append(str(ROOT / "benchmarks"))
import fill  # noqa: E402

CASES = 300


@pytest.fixture
def filled(db):
    """A database with the bench fill of a few hundred cases."""
    return fill.populate(db, CASES, "test")


def test_the_fill_makes_its_cases_with_their_history(filled):
    assert Case.select().count() == filled["rows"]["case_file"] == CASES
    assert CaseEvent.select().count() == filled["rows"]["case_event"] > 5 * CASES
    assert Handoff.select().count() > CASES // 2
    states = {c.status for c in Case.select(Case.status)}
    assert {"closed", "terminated"} <= states
    # History runs in time order, as the services write it.
    times = [e.at for e in CaseEvent.select(CaseEvent.at).order_by(CaseEvent.id)]
    assert times == sorted(times)


def test_a_case_opened_after_the_fill_takes_a_fresh_id(filled):
    assert fill.check_open_case() > CASES
    assert Case.select().count() == CASES  # the check rolled its case back


def test_the_applicants_are_sealed_and_found_by_their_blind_indexes(filled):
    for sample in filled["samples"]:
        case = Case.get_by_id(sample["id"])
        assert case.applicant_id_number_sealed.startswith("sm4:")
        assert sample["id_number"] not in case.values and sample["phone"] not in case.values
        assert personal.masked_id_number(case) == personal.mask_id_number(sample["id_number"])
        for text in (sample["id_number"], sample["phone"], sample["number"]):
            found = Case.select().where(parse_search(text).condition)
            assert sample["id"] in {c.id for c in found}, text


def test_the_audit_chain_of_the_fill_verifies(filled):
    problems = list(audit_chain.check(audit._audit_key(), audit.iter_rows()))
    assert problems == []


def test_every_foreign_key_of_the_fill_holds(filled):
    if is_postgres(database):
        return  # PostgreSQL checked each row as it was copied in
    assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_the_check_refuses_a_fill_whose_sequences_were_left_behind(filled):
    if not is_postgres(database):
        pytest.skip("only PostgreSQL keeps id sequences apart from the rows")
    database.execute_sql("SELECT setval(pg_get_serial_sequence('case_file', 'id'), 1)")
    with pytest.raises(fill.FillError, match="sequences"):
        fill.check_open_case()
