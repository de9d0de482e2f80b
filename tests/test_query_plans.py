"""Query plans of 查找办件 and the workbench: every case row is reached through an index, at every
data scope. Not timed: the figures are benchmarks/search.py's; this says the plan cannot regress
to reading every case (a NOT IN of the final states did, on a million cases).

SQLite: EXPLAIN QUERY PLAN must SEARCH the case table, never SCAN it (a scan "USING INDEX" reads
the whole index too), and the open cases must be searched by their status (an index on the scope's
center alone reads every case of the scope). PostgreSQL: EXPLAIN with sequential scans switched
off, so that a plan able to use an index shows one, must not read case_file by a Seq Scan; which
index PostgreSQL picks depends on its statistics, which only benchmarks/ at full size have.
"""

from __future__ import annotations

import datetime
import logging
import re
from types import SimpleNamespace

import pytest

from conftest import CONFIG
from daiban.access import principal_for
from daiban.accounts import create_user
from daiban.cases.search import found_cases, open_cases, parse_search
from daiban.catalog.loader import load_catalog
from daiban.db import database, is_postgres
from daiban.models import Department, ServiceCenter
from daiban.orgsync import sync_organisation
from daiban.supervision.ledger import LedgerFilter, ledger_page, ledger_summary

CATALOG = load_catalog(CONFIG, include_matters=False).catalog
WORKFLOW = CATALOG.workflow
# What is typed, and the kind of search it makes (cases.search.parse_search).
SEARCHES = {
    "number": ("BD20261128-000123", "number"),
    "number prefix": ("BD20261128", "number"),
    "ID number": ("152223194001010015", "id_number"),
    "phone": ("13900000001", "phone"),
    "name": ("巴特尔", "name"),
    "name prefix": ("巴", "name"),
}
# username: role, center, department
ACCOUNTS = {
    "bureau": ("bureau", "banner-center", None),
    "township": ("township_agent", "yinde-er-center", None),
    "village": ("village_agent", "yinde-er-hongxing-station", None),
    "liaison": ("department_liaison", None, "banner-civil-affairs-bureau"),
}


@pytest.fixture
def principals(db):
    """One principal of each data scope: all, township, center, department."""
    sync_organisation(CATALOG.organisation)
    centers = {c.code: c for c in ServiceCenter.select()}
    departments = {d.code: d for d in Department.select()}
    found = {}
    for username, (role, center, department) in ACCOUNTS.items():
        user = create_user(username, username, "Test-pass-2026", [role], center=centers.get(center),
                           department=departments.get(department))
        found[username] = principal_for(user, CATALOG.roles)
    return found


def aliases(sql: str, table: str) -> set[str]:
    """The aliases a table goes by in a peewee query (t1, t3 …), and its own name."""
    return set(re.findall(rf'"{table}" AS "(\w+)"', sql)) | {table}


def plan(sql: str, params) -> list[str]:
    """The query's plan, a line per step (on PostgreSQL with sequential scans switched off)."""
    if is_postgres(database):
        with database.atomic() as transaction:
            database.execute_sql("SET LOCAL enable_seqscan = off")
            lines = [row[0] for row in database.execute_sql("EXPLAIN " + sql, params).fetchall()]
            transaction.rollback()
        return lines
    return [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


def full_reads(sql: str, params, table: str = "case_file") -> list[str]:
    """The lines of the query's plan that read the table whole."""
    if is_postgres(database):
        return [line for line in plan(sql, params) if re.search(rf"Seq Scan on {table}\b", line)]
    names = aliases(sql, table)
    return [line for line in plan(sql, params)
            if (found := re.match(r"SCAN (\w+)", line)) and found.group(1) in names]


def searched_by_status(sql: str, params) -> bool:
    """True when SQLite's plan finds the case rows through an index on their status."""
    names = aliases(sql, "case_file")
    for line in plan(sql, params):
        found = re.match(r"SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \((.*)\)", line)
        if found and found.group(1) in names and "status=" in found.group(2):
            return True
    return False


def selects_run_by(call, table: str = "case_file") -> list[tuple[str, tuple]]:
    """The SELECTs on `table` that `call()` sends to the database (peewee logs each)."""
    sent: list[tuple[str, tuple]] = []

    class Catch(logging.Handler):
        def emit(self, record):
            sql, params = record.msg
            if sql.startswith("SELECT") and f'"{table}"' in sql:
                sent.append((sql, tuple(params or ())))

    logger = logging.getLogger("peewee")
    handler, level = Catch(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        call()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return sent


def test_the_workbench_finds_the_open_cases_by_their_states(principals):
    problems = {}
    for username, principal in principals.items():
        sql, params = open_cases(principal, WORKFLOW).sql()
        problems[username] = full_reads(sql, params)
        if not is_postgres(database):
            if not searched_by_status(sql, params):
                problems[username].append("the case table is not searched by its status")
            # The scope's relayed cases come from an index holding each leg's case (018).
            names = aliases(sql, "handoff")
            legs = [line for line in plan(sql, params)
                    if (found := re.match(r"(?:SEARCH|SCAN) (\w+)", line)) and found.group(1) in names]
            problems[username] += [line for line in legs if "COVERING INDEX" not in line]
    assert problems == dict.fromkeys(principals, []), problems


def test_a_workbench_search_reaches_its_cases_by_index(principals):
    problems = {}
    for username, principal in principals.items():
        for kind, (text, parsed) in SEARCHES.items():
            search = parse_search(text)
            assert search.kind == parsed
            sql, params = found_cases(principal, WORKFLOW, search).sql()
            problems[username, kind] = full_reads(sql, params)
    assert {k: v for k, v in problems.items() if v} == {}


def test_a_ledger_search_reaches_its_cases_by_index(principals):
    today = datetime.date.today()
    problems = {}
    for username in ("bureau", "township"):
        principal = principals[username]
        for kind, (text, _) in SEARCHES.items():
            flt = LedgerFilter(today.replace(month=1, day=1), today, q=text)
            sent = selects_run_by(lambda p=principal, f=flt: (ledger_page(p, f, today, WORKFLOW),
                                                               ledger_summary(p, f, today)))
            assert len(sent) >= 2  # the page and its totals
            problems[username, kind] = [line for sql, params in sent for line in full_reads(sql, params)]
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_open_states_are_every_state_but_the_final_ones():
    """The IN list the workbench uses names exactly the cases a NOT IN of the final states would."""
    from daiban.cases.search import final_states, open_states

    states = {s.id for s in WORKFLOW.states}
    assert set(open_states(WORKFLOW)) | set(final_states(WORKFLOW)) == states
    assert set(final_states(WORKFLOW)) == {"closed", "terminated"}


def test_the_case_page_reads_its_audit_rows_by_their_object(db):
    """The case page times its steps from the case's own audit rows (and its legs' and
    rectifications'): by the index on the object, never by the outcome's, which holds nearly all."""
    from daiban.cases.history import _audit_rows

    case = SimpleNamespace(id=123, number="BD20261128-000123")
    sent = selects_run_by(lambda: _audit_rows(case, True, [4, 5]), "audit_log")
    assert len(sent) == 1
    sql, params = sent[0]
    assert full_reads(sql, params, "audit_log") == []
    if not is_postgres(database):
        used = " ".join(plan(sql, params))
        assert "audit_log_object_type_object_id" in used and "audit_log_outcome" not in used, used
