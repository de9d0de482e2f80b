"""The `daiban` command: database upgrades, catalog validate/publish/diff/history, the server."""

from __future__ import annotations

import datetime
import getpass
import os
import sys
from pathlib import Path

import click
import peewee

from daiban.catalog.diff import diff_matters
from daiban.catalog.loader import load_catalog
from daiban.catalog.schemas import fill_defaults
from daiban.db import DatabaseUrlError, connect_database, default_url, pending_migrations


def _today(value: str | None) -> datetime.date:
    if not value:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” 不是有效日期，应写成 YYYY-MM-DD") from None


def _open(ctx: click.Context, upgrade: bool = False):
    """Connect to the database; with `upgrade`, apply pending migrations first."""
    url = ctx.obj["database_url"]
    try:
        db = connect_database(url)
        db.connect(reuse_if_open=True)
    except DatabaseUrlError as exc:
        raise click.ClickException(str(exc)) from None
    except peewee.OperationalError as exc:
        raise click.ClickException(f"无法连接数据库 {url}：{exc}".strip()) from None
    if upgrade:
        from daiban.db import upgrade_database

        upgrade_database(db)
    elif pending_migrations(db):
        raise click.ClickException("数据库结构不是最新的：请先运行 `daiban db upgrade`")
    return db


def _load_or_fail(config_dir: Path, today: datetime.date, published=None):
    result = load_catalog(config_dir, today=today, published=published)
    for problem in result.problems:
        click.echo(problem.format(), err=True)
    if not result.ok:
        click.echo(f"发现 {len(result.errors)} 个错误，{len(result.warnings)} 个警告。", err=True)
        sys.exit(1)
    return result


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database", "database_url", envvar="DATABASE_URL", default=None,
              help="Database URL (sqlite:///path or postgresql://…); default var/daiban.sqlite3.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """daiban (帮办代办): manage the catalog of matters and run the platform."""
    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url or default_url()


@main.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every pending migration (safe to run again)."""
    from daiban.db import upgrade_database

    url = ctx.obj["database_url"]
    try:
        database = connect_database(url)
        applied = upgrade_database(database)
    except DatabaseUrlError as exc:
        raise click.ClickException(str(exc)) from None
    except peewee.OperationalError as exc:
        raise click.ClickException(f"无法连接数据库 {url}：{exc}".strip()) from None
    if applied:
        click.echo(f"已应用迁移：{', '.join(applied)}")
    else:
        click.echo("数据库结构已是最新。")


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """List migrations not yet applied."""
    url = ctx.obj["database_url"]
    try:
        pending = pending_migrations(connect_database(url))
    except (DatabaseUrlError, peewee.OperationalError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("待应用的迁移：" + ", ".join(pending) if pending else "数据库结构已是最新。")


@main.group()
def catalog() -> None:
    """Validate, publish and inspect the catalog of matters (事项目录)."""


CONFIG_DIR = click.argument(
    "config_dir", required=False, default="config",
    type=click.Path(file_okay=False, path_type=Path),
)


@catalog.command()
@CONFIG_DIR
@click.option("--today", help="Check as if today were this date (YYYY-MM-DD).")
@click.option("--against-db/--no-db", default=True,
              help="Also check version numbers against what is published (when a database exists).")
@click.pass_context
def validate(ctx, config_dir: Path, today: str | None, against_db: bool) -> None:
    """Check every config file; print each problem as FILE:LINE:COLUMN: /pointer: message."""
    day = _today(today)
    published = None
    if against_db:
        published = _published_if_available(ctx)
    result = _load_or_fail(config_dir, day, published)
    cat = result.catalog
    domains = len({m.domain for m in cat.matters.values()})
    click.echo(
        f"配置有效：{result.files} 个文件，{len(cat.matters)} 个事项（{domains} 个领域），"
        f"{len(cat.roles)} 个角色，{len(cat.organisation.departments)} 个部门，"
        f"{len(cat.organisation.service_centers)} 个服务中心（站），"
        f"日历年份 {', '.join(str(y) for y in sorted(cat.calendar.years)) or '无'}。"
    )
    if published is None and against_db:
        click.echo("（未找到数据库，未与已发布版本比较版本号）")


def _published_if_available(ctx):
    """Published states when the database exists and is current; None otherwise."""
    from daiban.publishing import published_states

    url = ctx.obj["database_url"]
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None
    try:
        database = connect_database(url)
        database.connect(reuse_if_open=True)
        if pending_migrations(database):
            return None
        return published_states()
    except (DatabaseUrlError, peewee.DatabaseError):
        return None


@catalog.command()
@CONFIG_DIR
@click.option("--by", "actor", default=None, help="Who publishes (default: the login name).")
@click.option("--today", help="Validate as if today were this date (YYYY-MM-DD).")
@click.pass_context
def publish(ctx, config_dir: Path, actor: str | None, today: str | None) -> None:
    """Publish every new or changed matter as an immutable version; nothing if any file is invalid."""
    from daiban.publishing import PublishRefused, publish_catalog, published_states

    _open(ctx)
    result = _load_or_fail(config_dir, _today(today), published_states())
    actor = actor or getpass.getuser()
    matters = result.catalog.matters
    with click.progressbar(length=len(matters), label="发布事项", show_pos=True,
                           file=sys.stderr) as bar:
        try:
            report = publish_catalog(result.catalog, actor, progress=lambda _m: bar.update(1))
        except PublishRefused as exc:
            raise click.ClickException(f"未发布任何事项：\n{exc}") from None
        bar.update(len(matters) - bar.pos)
    from daiban.audit import record

    for code, version in report.published:
        record("publish", actor, object_type="matter_version", object_id=f"{code}#{version}",
               summary=f"命令行发布 {code} 第 {version} 版", after=result.catalog.documents[code])
        click.echo(f"已发布 {code} 第 {version} 版：{matters[code].name}")
    click.echo(f"发布完成：新版本 {len(report.published)} 个，未变化 {len(report.unchanged)} 个。")


@catalog.command()
@CONFIG_DIR
@click.option("--today", help="Validate as if today were this date (YYYY-MM-DD).")
@click.pass_context
def diff(ctx, config_dir: Path, today: str | None) -> None:
    """Show, matter by matter, what publishing CONFIG_DIR would change."""
    from daiban.publishing import history as version_history
    from daiban.publishing import published_states

    _open(ctx)
    states = published_states()
    result = _load_or_fail(config_dir, _today(today), states)
    changed = 0
    for code, matter in sorted(result.catalog.matters.items()):
        state = states.get(code)
        new = fill_defaults("matter", result.catalog.documents[code])
        if state is None:
            old, header = None, f"{code} {matter.name}：新事项，第 {matter.version} 版"
        elif state.hashes.get(matter.version) == matter.content_hash:
            continue
        else:
            old = fill_defaults("matter", version_history(code)[-1].document)
            header = f"{code} {matter.name}：第 {state.version} 版 → 第 {matter.version} 版"
        changed += 1
        click.echo(header)
        for change in diff_matters(old, new):
            click.echo(f"  {change.format()}")
    missing = sorted(set(states) - set(result.catalog.matters))
    for code in missing:
        click.echo(f"{code}：配置中已没有此事项"
                   "（已发布的版本仍然有效；撤销请发布 status: withdrawn 的新版本）")
    if not changed:
        click.echo("没有需要发布的变化。")


@catalog.command()
@click.argument("code")
@click.pass_context
def history(ctx, code: str) -> None:
    """List the published versions of the matter CODE."""
    from daiban.publishing import history as version_history
    from daiban.publishing import version_in_force

    _open(ctx)
    rows = version_history(code)
    if not rows:
        raise click.ClickException(f"没有找到事项 {code} 的已发布版本")
    today = datetime.date.today()
    current = version_in_force(code, today)
    click.echo(f"{code} {rows[-1].name}")
    for row in rows:
        until = f" 至 {row.effective_until}" if row.effective_until else ""
        if current is not None and row.version == current.version:
            status = "现行"
        elif row.effective_from > today:
            status = "待生效"
        elif row.status == "withdrawn":
            status = "撤销"
        else:
            status = "已失效" if current is None else "已被替代"
        click.echo(
            f"  第 {row.version} 版  {status}  自 {row.effective_from}{until} 起  "
            f"发布于 {row.published_at:%Y-%m-%d %H:%M}  发布人 {row.published_by}  "
            f"{row.content_hash[:12]}"
        )


@catalog.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export(ctx, out_dir: Path) -> None:
    """Write the latest published version of every matter as YAML under OUT_DIR/matters/."""
    from daiban.audit import record
    from daiban.catalog_editing import export_catalog

    _open(ctx)
    files = export_catalog()
    for relative, text in files.items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    record("export", getpass.getuser(), object_type="matter_version",
           summary=f"命令行导出事项目录 {len(files)} 个文件到 {out_dir}")
    click.echo(f"已导出 {len(files)} 个事项到 {out_dir / 'matters'}。")


@catalog.command("in-force")
@click.option("--on", "on", help="The date (YYYY-MM-DD); default today.")
@click.pass_context
def in_force(ctx, on: str | None) -> None:
    """List the matters in force on a date."""
    from daiban.publishing import catalog_in_force

    _open(ctx)
    rows = catalog_in_force(_today(on))
    for row in rows:
        click.echo(f"{row.code}  第 {row.version} 版  {row.name}")
    click.echo(f"共 {len(rows)} 个事项。")


@main.group()
def org() -> None:
    """The organisation: bring config/org/ into the database."""


@org.command("sync")
@CONFIG_DIR
@click.pass_context
def org_sync(ctx, config_dir: Path) -> None:
    """Create or update org units, service centers and departments from CONFIG_DIR/org/."""
    from daiban.orgsync import sync_organisation

    _open(ctx)
    result = load_catalog(config_dir, include_matters=False)
    org_errors = [p for p in result.errors if "/org/" in p.path.replace("\\", "/")]
    for problem in org_errors:
        click.echo(problem.format(), err=True)
    if org_errors:
        sys.exit(1)
    report = sync_organisation(result.catalog.organisation)
    click.echo(f"组织机构已同步：新建 {report.created} 条，更新 {report.updated} 条。")


@main.command()
@click.option("--activity/--no-activity", default=True, show_default=True,
              help="Also make months of demo work (cases, ratings, consultations) if there are no cases.")
@click.option("--config", "config_dir", default="config", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The config folder (calendar, workflow).")
@click.pass_context
def demo(ctx, activity: bool, config_dir: Path) -> None:
    """Create the demo accounts (one per shipped role) and print their passwords once; with
    --activity, fill an empty database with months of demo work."""
    from daiban.demo import create_demo_accounts

    _open(ctx)
    created = create_demo_accounts()
    if not created:
        click.echo("演示账号已存在（密码只在创建时显示一次；可用 `daiban user set-password 用户名` 重设）。")
    else:
        click.echo("已创建演示账号（密码只显示这一次，请记下）：")
        for username, password, roles in created:
            click.echo(f"  {username:<16} {password:<22} {roles}")
    if activity:
        _demo_activity(config_dir)


def _demo_activity(config_dir: Path) -> None:
    """Months of demo work (cases, ratings, consultations) on a database without cases."""
    import datetime

    from daiban.demo import create_demo_activity
    from daiban.models import Case
    from daiban.publishing import catalog_in_force, compiled
    from daiban.web import load_reference

    if Case.select().exists():
        click.echo("已有办件，不再生成演示办件。")
        return
    today = datetime.date.today()
    matters = {row.code: compiled(row) for row in catalog_in_force(today)}
    if not matters:
        raise click.ClickException("还没有发布事项目录：请先运行 `daiban catalog publish config`")
    reference = load_reference(str(config_dir))
    with click.progressbar(length=90, label="生成演示办件", show_pos=True, file=sys.stderr) as bar:
        made = create_demo_activity(reference, matters, today, progress=bar.update)
    click.echo(f"已生成演示办件 {made} 件（含评价、差评整改、咨询记录），可在工作台、台账和报表中查看。")


@main.group()
def user() -> None:
    """Accounts."""


def _security_settings(config_dir: Path):
    """The password policy of config/security.yaml (refused with its message when the file is wrong)."""
    from daiban.catalog.settings import SecuritySettings

    result = load_catalog(config_dir, include_matters=False)
    problems = [p for p in result.errors if "security" in p.path]
    if problems:
        raise click.ClickException("\n".join(p.format() for p in problems))
    return result.catalog.security or SecuritySettings()


CONFIG_OPTION = click.option("--config", "config_dir", default="config", show_default=True,
                             type=click.Path(path_type=Path),
                             help="Config folder (its security.yaml holds the password policy).")


@user.command("set-password")
@click.argument("username")
@click.password_option("--password", prompt="新密码", confirmation_prompt="再次输入",
                       help="The new password (asked for when not given).")
@CONFIG_OPTION
@click.pass_context
def user_set_password(ctx, username: str, password: str, config_dir: Path) -> None:
    """Set a new password for USERNAME, unlock the account and end its sessions."""
    from daiban import audit
    from daiban.accounts import PasswordTooWeak, set_password
    from daiban.models import User

    settings = _security_settings(config_dir)
    _open(ctx)
    account = User.get_or_none(User.username == username)
    if account is None:
        raise click.ClickException(f"没有用户 {username}")
    try:
        set_password(account, password, settings)
    except PasswordTooWeak as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("update", "cli", object_type="app_user", object_id=account.id,
                 summary=f"{account}：命令行重设密码")
    click.echo(f"已为 {username} 设置新密码，其所有会话已失效。")


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name shown on screens (姓名).")
@click.option("--role", "roles", multiple=True, required=True,
              help="A role id from config/roles/ (repeat for several), e.g. system_admin.")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入",
                       help="The password (asked for when not given).")
@click.option("--center", "center_code", default=None,
              help="Code of the service center the account works at (agents' roles need one).")
@click.option("--department", "department_code", default=None,
              help="Code of the department the account belongs to (a liaison's role needs one).")
@CONFIG_OPTION
@click.pass_context
def user_create(ctx, username: str, display_name: str, roles: tuple[str, ...], password: str,
                center_code: str | None, department_code: str | None, config_dir: Path) -> None:
    """Create the account USERNAME (the first administrator of a new deployment, say)."""
    from daiban import audit
    from daiban.accounts import PasswordTooWeak, create_user
    from daiban.db import database
    from daiban.models import Department, ServiceCenter, User

    settings = _security_settings(config_dir)
    known = load_catalog(config_dir, include_matters=False).catalog.roles
    unknown = [r for r in roles if r not in known]
    if unknown:
        choices = "、".join(f"{r}（{known[r].name}）" for r in sorted(known))
        raise click.ClickException(f"没有角色 {'、'.join(unknown)}；可选：{choices}")
    scopes = {known[r].scope for r in roles}
    if scopes & {"center", "township"} and not center_code:
        raise click.ClickException("代办员角色须用 --center 指明所在服务中心（站）的编码")
    if "department" in scopes and not department_code:
        raise click.ClickException("部门联络员角色须用 --department 指明所在部门的编码")
    _open(ctx)
    if User.get_or_none(User.username == username) is not None:
        raise click.ClickException(
            f"用户 {username} 已存在；重设密码请用 `daiban user set-password {username}`")
    center = department = None
    if center_code:
        center = ServiceCenter.get_or_none(ServiceCenter.code == center_code)
        if center is None:
            raise click.ClickException(f"没有编码为 {center_code} 的服务中心（站）；先运行 `daiban org sync`")
    if department_code:
        department = Department.get_or_none(Department.code == department_code)
        if department is None:
            raise click.ClickException(f"没有编码为 {department_code} 的部门；先运行 `daiban org sync`")
    try:
        with database.atomic():
            account = create_user(username, display_name, password, list(roles), center=center,
                                  department=department, settings=settings)
            audit.record("create", "cli", object_type="app_user", object_id=account.id,
                         summary=f"{account}：命令行新建账号（{','.join(roles)}）")
    except PasswordTooWeak as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建用户 {username}（{display_name}），角色：{'、'.join(known[r].name for r in roles)}。")


def _check_app(app_config: dict) -> None:
    """Build the app once before any worker starts, so an unsafe configuration stops the command
    with its message instead of every worker dying with a traceback."""
    from daiban.security.keys import KeyringError
    from daiban.security.startup import UnsafeConfiguration
    from daiban.web import create_app

    try:
        create_app(app_config)
    except (UnsafeConfiguration, KeyringError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", envvar="DAIBAN_WORKERS", default=2, show_default=True, type=click.IntRange(1),
              help="gunicorn worker processes (env DAIBAN_WORKERS).")
@click.option("--threads", envvar="DAIBAN_THREADS", default=4, show_default=True, type=click.IntRange(1),
              help="Threads per worker (env DAIBAN_THREADS).")
@click.option("--graceful-timeout", default=30, show_default=True, type=click.IntRange(1),
              help="Seconds a stopping worker may spend finishing its requests.")
@click.option("--dev", is_flag=True,
              help="Flask's development server with the reloader (needs DAIBAN_ENV=development).")
@click.pass_context
def serve(ctx, host: str, port: int, workers: int, threads: int, graceful_timeout: int, dev: bool) -> None:
    """Serve the platform: gunicorn (gthread workers), or with --dev the development server."""
    import os

    from daiban.ops.server import environment, run_development, run_gunicorn

    if dev and environment(os.environ) != "development":
        raise click.ClickException("开发服务器（--dev）只用于开发：请设置 DAIBAN_ENV=development 后再运行")
    _open(ctx)
    app_config = {"DATABASE_URL": ctx.obj["database_url"]}
    _check_app(app_config)
    from daiban.db import database

    database.close()  # workers open their own connections after the fork
    if dev:
        run_development(app_config, host, port, announce=click.echo)
    else:
        run_gunicorn(app_config, host, port, workers, threads, graceful_timeout, announce=click.echo)


def _progress_bar(label: str):
    """A click progress bar fed with (done, total) pages."""
    bar = click.progressbar(length=1, label=label, show_percent=True, file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    return bar, update


@main.command()
@click.argument("out", required=False, type=click.Path(path_type=Path))
@click.pass_context
def backup(ctx, out: Path | None) -> None:
    """Copy the database, while it runs, to OUT (a file, or a folder for the default name); the
    default is var/backups/daiban-YYYYmmdd-HHMMSS.sqlite3 (.pgdump on PostgreSQL), mode 0600."""
    from daiban.ops.backup import BackupError, backup_database, database_kind, default_backup_path

    url = ctx.obj["database_url"]
    try:
        if out is None or out.is_dir():
            out = default_backup_path(url, folder=out) if out else default_backup_path(url)
        if database_kind(url) == "sqlite":
            bar, update = _progress_bar("备份数据库")
            with bar:
                outcome = backup_database(url, out, progress=update)
        else:
            click.echo("正在用 pg_dump 导出数据库……", err=True)
            outcome = backup_database(url, out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    check = "完整性检查通过" if outcome.kind == "sqlite" else "备份文件可读"
    size = outcome.size / 1024 / 1024
    click.echo(f"已备份到 {outcome.path}（{size:.1f} MB，{outcome.tables} 个表，{check}）。")
    click.echo("密钥文件（DAIBAN_KEYS_FILE，默认 var/keys.json）不在数据库备份中：请另行妥善备份，"
               "没有它无法读取加密的个人信息。")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite the database's current contents.")
@click.pass_context
def restore(ctx, source: Path, yes: bool) -> None:
    """Replace the database's contents with the backup SOURCE (stop the server first)."""
    from daiban.ops.backup import BackupError, check_backup, display_url, has_data, restore_database

    url = ctx.obj["database_url"]
    try:
        kind = check_backup(url, source)
        if has_data(url) and not yes:
            raise click.ClickException(
                f"数据库 {display_url(url)} 中已有数据，恢复会用备份覆盖其全部内容。"
                "请先停止服务（systemctl stop daiban），确认无误后加 --yes 重新运行："
                f"daiban restore {source} --yes")
        if kind == "sqlite":
            bar, update = _progress_bar("恢复数据库")
            with bar:
                outcome = restore_database(url, source, progress=update)
        else:
            click.echo("正在用 pg_restore 恢复数据库……", err=True)
            outcome = restore_database(url, source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    check = "完整性检查通过" if kind == "sqlite" else "各表均已恢复"
    click.echo(f"已从 {outcome.path} 恢复 {display_url(url)}（{outcome.tables} 个表，{check}）。")
    from daiban.db import open_database

    restored = open_database(url)
    try:
        pending = pending_migrations(restored)
    except peewee.DatabaseError:
        pending = []
    finally:
        restored.close()
    if pending:
        click.echo(f"备份来自较早的版本（缺少迁移 {', '.join(pending)}）："
                   "请运行 `daiban db upgrade` 后再启动服务。")


@main.group()
def alerts() -> None:
    """Time-limit alerts (时限预警): due-soon reminders and overdue escalations (督办)."""


@alerts.command("run")
@click.option("--today", help="Compute as if today were this date (YYYY-MM-DD).")
@click.option("--config", "config_dir", default="config", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The config folder (settings, calendar).")
@click.pass_context
def alerts_run(ctx, today: str | None, config_dir: Path) -> None:
    """Queue the day's alerts in the outbox and deliver them in the app; a second run sends nothing twice."""
    from daiban.supervision.alerts import (
        candidate_cases,
        compute_notifications,
        deferred_reminders,
        rectification_reminders,
    )
    from daiban.supervision.outbox import InAppSender, deliver_pending
    from daiban.web import load_reference

    day = _today(today)
    if not config_dir.is_dir():
        raise click.ClickException(f"找不到配置目录 {config_dir}")
    _open(ctx)
    ref = load_reference(str(config_dir))
    if ref.workflow is None:
        raise click.ClickException(f"{config_dir} 中没有有效的办件流程（workflow/case.yaml），无法计算时限")
    cases = candidate_cases(day, ref.supervision, ref.calendar, ref.workflow)
    with click.progressbar(length=len(cases), label="计算时限预警", show_pos=True, file=sys.stderr) as bar:
        run = compute_notifications(day, ref.supervision, ref.calendar, ref.workflow, cases=cases,
                                    progress=lambda _case: bar.update(1))
    rectification_reminders(day, ref.supervision, ref.calendar, run)
    deferred_reminders(day, ref.supervision, ref.calendar, ref.workflow, run)
    delivery = deliver_pending([InAppSender()])
    failed = f"，发送失败 {delivery.failed} 条" if delivery.failed else ""
    click.echo(f"{day} 时限预警：检查办件 {len(cases)} 件，新增消息 {run.total} 条"
               f"（临期提醒 {run.due_soon} 条，超期督办 {run.overdue} 条，"
               f"差评整改提醒 {run.rectifications} 条，容缺补交提醒 {run.deferred} 条），"
               f"容缺逾期退回补正 {run.returned} 件，已送达 {delivery.sent} 条{failed}。")


@main.group()
def keys() -> None:
    """The keyring of personal data at rest (SM4 data keys; DAIBAN_KEYS_FILE)."""


@keys.command("rotate")
@click.option("--resume", is_flag=True, help="Add no key: finish re-sealing under the active key.")
@click.pass_context
def keys_rotate(ctx, resume: bool) -> None:
    """Add a data key, make it active and re-seal every stored personal value under it (old keys
    stay in the file, so an interrupted run resumes with --resume)."""
    from daiban.cases.personal import count_rows, reseal_all
    from daiban.security import keys as keyring

    if os.environ.get("DAIBAN_KEYS", "").strip():
        raise click.ClickException("密钥来自环境变量 DAIBAN_KEYS，无法在此轮换："
                                   "请改用密钥文件 DAIBAN_KEYS_FILE")
    db = _open(ctx)
    try:
        keyring.keyring()
        path = keyring.keyring_path()
        new_id = keyring.keyring().active if resume else keyring.rotate(path)
    except keyring.KeyringError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"当前密钥：{new_id}（{path}）")
    with click.progressbar(length=count_rows(db), label="重新加密", show_pos=True, file=sys.stderr) as bar:
        done = reseal_all(db, progress=bar.update)
    click.echo(f"已用密钥 {new_id} 重新加密：身份证号 {done['id_number']} 个，联系电话 {done['phone']} 个，"
               f"申请表字段 {done['form']} 个，代办员手机号 {done['agent_phone']} 个。"
               f"旧密钥仍保留在密钥文件中。")


@keys.command("status")
@click.pass_context
def keys_status(ctx) -> None:
    """Print the key ids and how many stored values each seals."""
    from daiban.cases.personal import key_counts
    from daiban.security import keys as keyring

    db = _open(ctx)
    try:
        ring = keyring.keyring()
    except keyring.KeyringError as exc:
        raise click.ClickException(str(exc)) from None
    counts = key_counts(db)
    click.echo(f"密钥来源：{ring.source}")
    for key_id in ring.data:
        mark = "（当前）" if key_id == ring.active else ""
        click.echo(f"{key_id}{mark}：加密 {counts.pop(key_id, 0)} 个值")
    for key_id, n in sorted(counts.items()):
        label = "未加密（plain）" if key_id == "plain" else f"{key_id}（密钥文件中没有！）"
        click.echo(f"{label}：{n} 个值")


@main.group()
def audit() -> None:
    """The audit trail (审计日志)."""


@audit.command("verify")
@click.option("--batch", default=5000, show_default=True, help="Rows read per query.")
@click.pass_context
def audit_verify(ctx, batch: int) -> None:
    """Check the hash chain: report the first altered, missing or unsealed record."""
    from daiban import audit as audit_trail
    from daiban.models import AuditLog
    from daiban.security import audit_chain

    _open(ctx)
    total = AuditLog.select().count()
    key = audit_trail._audit_key()
    problem = None
    checked = 0
    with click.progressbar(length=total, label="校验审计日志", file=sys.stderr) as bar:
        rows = audit_trail.iter_rows(batch)
        counted = (bar.update(1) or row for row in rows)
        for found in audit_chain.check(key, counted):
            problem = found
        checked = bar.pos
    if problem is None:
        click.echo(f"审计日志完整：共 {total} 条记录，哈希链校验通过。")
        return
    row, kind = problem
    messages = {
        "altered": f"第 {row['id']} 条记录已被篡改（哈希不符）",
        "missing": f"第 {row['id']} 条之前有记录缺失或被删除",
        "unsealed": f"第 {row['id']} 条记录未封存（没有哈希）",
    }
    click.echo(f"审计日志校验失败：{messages[kind]}（已校验 {checked} 条）。", err=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
