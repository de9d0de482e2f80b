"""Editing in the browser's terms: drafts, maker-checker, equivalence with the CLI, export round trip."""

import datetime
import shutil

import pytest
import yaml
from click.testing import CliRunner

from conftest import CONFIG, TODAY, matter_doc, write_matter
from daiban.catalog.loader import load_catalog
from daiban.catalog_editing import (
    Actor,
    EditingRefused,
    approve_and_publish,
    check_document,
    check_yaml,
    export_catalog,
    save_draft,
    send_back,
    start_draft,
    start_withdrawal,
    submit,
)
from daiban.cli import main
from daiban.models import AuditLog, MatterVersion
from daiban.publishing import publish_catalog, published_states, version_in_force

MAKER = Actor("bureau", "bureau")
CHECKER = Actor("bureau2", "bureau")
REFERENCE = load_catalog(CONFIG, today=TODAY, include_matters=False).catalog


@pytest.fixture
def published(config_dir, db):
    """TEST-0001 version 1 published from files, as the CLI does."""
    write_matter(config_dir)
    result = load_catalog(config_dir, today=TODAY, published=published_states())
    publish_catalog(result.catalog, "cli")
    return config_dir


def edited(draft, **changes):
    document = dict(draft.document, **changes)
    return save_draft(draft, document, MAKER)


def test_maker_checker_publishes_the_next_version(published):
    draft = start_draft("TEST-0001", MAKER)
    materials = draft.document["materials"] + [{"id": "bank_card", "name": "本人银行卡（折）", "copies": 1}]
    draft = edited(draft, materials=materials)
    draft = submit(draft, MAKER, REFERENCE)
    assert draft.status == "in_review"
    with pytest.raises(EditingRefused, match="不能审核发布自己编辑的草稿"):
        approve_and_publish(draft, MAKER, datetime.date(2026, 12, 1), REFERENCE)
    row = approve_and_publish(draft, CHECKER, datetime.date(2026, 12, 1), REFERENCE)
    assert (row.version, row.published_by) == (2, "bureau2")
    assert version_in_force("TEST-0001", datetime.date(2026, 11, 30)).version == 1
    assert version_in_force("TEST-0001", datetime.date(2026, 12, 1)).version == 2
    actions = [a.action for a in AuditLog.select().order_by(AuditLog.id)]
    assert actions == ["create", "update", "submit", "approve", "publish"]


def test_an_invalid_draft_cannot_be_submitted(published):
    draft = edited(start_draft("TEST-0001", MAKER), levels=["county"])
    with pytest.raises(EditingRefused, match="1 个问题"):
        submit(draft, MAKER, REFERENCE)


def test_reviewer_sends_back_with_a_comment(published):
    draft = submit(start_draft("TEST-0001", MAKER), MAKER, REFERENCE)
    with pytest.raises(EditingRefused, match="写明修改意见"):
        send_back(draft, CHECKER, " ")
    draft = send_back(draft, CHECKER, "请补充银行卡材料")
    assert (draft.status, draft.review_comment) == ("returned", "请补充银行卡材料")
    draft = edited(draft, name="高龄津贴申领（修订）")
    assert draft.status == "draft"


@pytest.mark.parametrize("bad, count", [
    (matter_doc(levels=["county"], version="1"), 2),  # schema errors
    (matter_doc(promised_limit={"amount": 30, "unit": "working_days"},
                conditions=[{"id": "x", "text": "t", "rule": "shoe_size > 1"}]), 2),  # meaning
])
def test_browser_checks_are_the_cli_checks(config_dir, bad, count):
    in_browser = {(p.pointer, p.message) for p in check_document(bad, REFERENCE)}
    write_matter(config_dir, bad)
    from_files = {(p.pointer, p.message) for p in load_catalog(config_dir, today=TODAY).errors}
    assert in_browser == from_files
    assert len(in_browser) == count


def test_raw_yaml_errors_carry_lines(config_dir):
    text = yaml.safe_dump(matter_doc(levels=["county"]), allow_unicode=True, sort_keys=False)
    _, problems = check_yaml(text, REFERENCE)
    (problem,) = problems
    line = text.splitlines()[problem.line - 1]
    assert "county" in line
    _, problems = check_yaml("code: [\n", REFERENCE)
    assert "YAML 语法错误" in problems[0].message


def test_browser_and_cli_publish_identical_versions_and_export_round_trips(published, db_url, tmp_path):
    draft = edited(start_draft("TEST-0001", MAKER), name="高龄津贴申领（修订）")
    approve_and_publish(submit(draft, MAKER, REFERENCE), CHECKER, datetime.date(2026, 12, 1), REFERENCE)
    files = export_catalog()
    exported = tmp_path / "exported"
    shutil.copytree(published, exported)
    shutil.rmtree(exported / "matters")
    for relative, text in files.items():
        (exported / relative).parent.mkdir(parents=True, exist_ok=True)
        (exported / relative).write_text(text, encoding="utf-8")
    # The exported file reads as the stored document, in the author's key order.
    stored = MatterVersion.get(MatterVersion.version == 2)
    text = files["matters/elderly_care/TEST-0001.yaml"]
    assert yaml.safe_load(text) == stored.document
    assert text.startswith("code: TEST-0001\nversion: 2\nname:")
    # export → validate → publish changes nothing.
    runner = CliRunner()
    result = runner.invoke(main, ["--database", db_url, "catalog", "validate", str(exported)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--database", db_url, "catalog", "publish", str(exported)])
    assert "新版本 0 个，未变化 1 个" in result.output
    # The CLI export command writes the same files.
    result = runner.invoke(main, ["--database", db_url, "catalog", "export", str(tmp_path / "cli")])
    assert result.exit_code == 0
    assert (tmp_path / "cli" / "matters/elderly_care/TEST-0001.yaml").read_text(encoding="utf-8") == text


def test_withdrawal_is_a_reviewed_new_version(published):
    draft = start_withdrawal("TEST-0001", MAKER)
    assert draft.document["status"] == "withdrawn"
    row = approve_and_publish(submit(draft, MAKER, REFERENCE), CHECKER, TODAY, REFERENCE)
    assert (row.version, row.status) == (2, "withdrawn")
    assert version_in_force("TEST-0001", TODAY) is None


def test_a_new_matter_starts_as_a_draft(db):
    draft = start_draft("TEST-0009", MAKER, matter_doc(code="TEST-0009"))
    row = approve_and_publish(submit(draft, MAKER, REFERENCE), CHECKER, TODAY, REFERENCE)
    assert (row.code, row.version) == ("TEST-0009", 1)
    with pytest.raises(EditingRefused, match="已存在"):
        start_draft("TEST-0009", MAKER, matter_doc(code="TEST-0009"))


def test_a_draft_too_long_for_its_list_columns_is_saved_or_refused_clearly(db):
    with pytest.raises(EditingRefused, match="不能超过 40 个字符"):
        start_draft("T" * 41, MAKER, matter_doc(code="T" * 41))
    long = matter_doc(code="TEST-0010", name="长" * 300, responsible_unit="u" * 100)
    draft = start_draft("TEST-0010", MAKER, long)
    assert (len(draft.name), len(draft.responsible_unit)) == (200, 64)
    assert draft.document["name"] == "长" * 300  # the document keeps what was typed
    saved = save_draft(draft, dict(long, name="短" * 500), MAKER)
    assert saved.name == "短" * 200 and saved.document["name"] == "短" * 500


@pytest.mark.parametrize("code, message", [
    ("T" * 100_000, "事项编码不能超过 40 个字符（现有 100000 个）"),
    ("T" * 41, "事项编码不能超过 40 个字符"),
    ("test-0009", "格式不对"),
    ("TEST 0009", "格式不对"),
    ("TEST-0009\n", "格式不对"),
    ("", "请填写事项编码"),
])
def test_a_draft_code_is_checked_against_the_schema_when_the_draft_is_started(db, code, message):
    from daiban.models import MatterDraft

    with pytest.raises(EditingRefused, match=message):
        start_draft(code, MAKER, matter_doc(code=code))
    assert MatterDraft.select().count() == 0
    assert AuditLog.select().where(AuditLog.object_type == "matter_draft").count() == 0


def test_a_new_draft_whose_document_names_another_code_is_refused(db):
    with pytest.raises(EditingRefused, match="与 TEST-0009 不一致"):
        start_draft("TEST-0009", MAKER, matter_doc(code="TEST-0010"))
    assert start_draft("TEST-0009", MAKER, matter_doc(code="TEST-0009")).code == "TEST-0009"
