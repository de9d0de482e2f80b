"""Readable differences between two versions of a matter."""

from conftest import matter_doc
from daiban.catalog.diff import diff_matters
from daiban.catalog.schemas import fill_defaults


def normalized(**overrides):
    return fill_defaults("matter", matter_doc(**overrides))


def lines(old, new):
    return [change.format() for change in diff_matters(old, new)]


def test_new_matter():
    assert lines(None, normalized()) == ["+ 事项：TEST-0001 高龄津贴申领（第 1 版）"]


def test_added_removed_and_changed_parts():
    old = normalized()
    new = normalized(
        version=2,
        promised_limit={"amount": 5, "unit": "working_days"},
        materials=[
            {"id": "id_card", "name": "居民身份证", "originals": 1, "copies": 1},
            {"id": "bank_card", "name": "本人银行卡（折）", "copies": 1},
        ],
        conditions=[],
    )
    found = lines(old, new)
    assert "~ 承诺办结时限：10个工作日 → 5个工作日" in found
    assert "+ 申请材料：bank_card（本人银行卡（折））" in found
    assert "- 受理条件：age（年满80周岁）" in found
    assert any(line.startswith("~ 申请材料：id_card") and "copies 0 → 1" in line for line in found)


def test_no_changes():
    assert lines(normalized(), normalized()) == []


def test_reviewer_sentences_use_names_and_titles_not_identifiers():
    old = normalized()
    new = normalized(
        version=2,
        promised_limit={"amount": 5, "unit": "working_days"},
        materials=[
            {"id": "id_card", "name": "居民身份证", "originals": 1, "copies": 1},
            {"id": "bank_card", "name": "本人银行卡（折）", "copies": 1},
        ],
        conditions=[],
    )
    found = [change.sentence() for change in diff_matters(old, new)]
    assert "修改承诺办结时限：10个工作日 → 5个工作日" in found
    assert "新增申请材料：本人银行卡（折）" in found
    assert "删除受理条件：年满80周岁" in found
    assert "修改申请材料：居民身份证：复印件份数 0 → 1" in found
    # Only what changed is listed, and no identifier or property key shows.
    assert len(found) == 4
    assert not any("bank_card" in s or "copies" in s or "age" in s for s in found)
