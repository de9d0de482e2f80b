"""`daiban demo`: the demo accounts, printed once, and months of demo work made through the services."""

from click.testing import CliRunner

from conftest import CONFIG
from daiban.catalog.loader import load_catalog
from daiban.cli import main
from daiban.models import Case, CaseEvent, Consultation, Handoff, User
from daiban.orgsync import sync_organisation
from daiban.publishing import publish_catalog
from daiban.supervision.models import Rating, Rectification


def test_demo_makes_accounts_once_and_fills_an_empty_database_once(db, db_url):
    catalog = load_catalog(CONFIG).catalog
    sync_organisation(catalog.organisation)
    publish_catalog(catalog, "tester")
    runner = CliRunner()
    first = runner.invoke(main, ["--database", db_url, "demo", "--config", str(CONFIG)])
    assert first.exit_code == 0, first.output
    assert "已创建演示账号" in first.output and "village_agent" in first.output
    assert "已生成演示办件" in first.output
    made = Case.select().count()
    statuses = {c.status for c in Case.select()}
    assert made >= 60 and {"closed", "in_department", "terminated"} <= statuses
    # Every step went through the case service: each case has its opening event and a number.
    assert CaseEvent.select().where(CaseEvent.transition == "open").count() == made
    assert Rating.select().count() == Case.select().where(Case.status == "closed").count()
    assert Rectification.select().count() == Rating.select().where(Rating.bad).count()
    assert Consultation.select().count() > 0 and Handoff.select().count() > 0
    assert len({c.center_id for c in Case.select()}) >= 3
    again = runner.invoke(main, ["--database", db_url, "demo", "--config", str(CONFIG)])
    assert again.exit_code == 0 and "演示账号已存在" in again.output and "不再生成演示办件" in again.output
    assert Case.select().count() == made and User.select().count() == 11
