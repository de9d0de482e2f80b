"""Supervision settings: the shipped file, the defaults without it, and located mistakes."""

import datetime

import yaml

from daiban.catalog.loader import load_catalog
from daiban.catalog.settings import SupervisionSettings


def test_the_shipped_settings_load():
    settings = load_catalog("config", include_matters=False).catalog.supervision
    assert settings.due_soon_working_days == 2 and settings.rectification_working_days == 5
    assert [e.label for e in settings.escalations] == ["一级督办", "二级督办"]
    assert settings.escalation(0) is None
    assert settings.escalation(1).label == "一级督办" and settings.escalation(9).label == "二级督办"
    assert settings.report_deadline(2026, 4) == datetime.date(2026, 12, 15)


def test_without_the_file_the_defaults_apply_with_a_warning(config_dir):
    (config_dir / "supervision.yaml").unlink()
    result = load_catalog(config_dir, include_matters=False)
    assert result.ok and result.catalog.supervision == SupervisionSettings()
    assert any("缺少督查考评设置" in p.message for p in result.warnings)


def test_mistakes_are_reported_where_they_are(config_dir):
    path = config_dir / "supervision.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["escalations"][1]["overdue_working_days"] = 1
    doc["rectification_working_days"] = 0
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    messages = [p.format() for p in load_catalog(config_dir, include_matters=False).errors]
    assert any("/rectification_working_days" in m for m in messages)
    doc["rectification_working_days"] = 5
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    messages = [p.format() for p in load_catalog(config_dir, include_matters=False).errors]
    assert any("/escalations/1/overdue_working_days" in m and "二级督办" in m for m in messages)
