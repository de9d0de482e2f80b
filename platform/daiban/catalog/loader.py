"""Load a config folder: read every file, validate it (schema, then meaning), compile the catalog.

Every problem in every file is collected before anything is compiled for use, so `validate`
can report them all at once and `publish` can refuse to publish anything when one exists.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from daiban.catalog import attachments, checks
from daiban.catalog.calendar import WorkCalendar, check_calendar_document, missing_calendar_years
from daiban.catalog.compile import compile_matter
from daiban.catalog.model import Matter
from daiban.catalog.org import (
    Domain,
    Organisation,
    Role,
    compile_domains,
    compile_organisation,
    compile_role,
)
from daiban.catalog.problems import ERROR, WARNING, Problem
from daiban.catalog.schemas import check_schema, fill_defaults
from daiban.catalog.settings import (
    SecuritySettings,
    SupervisionSettings,
    check_security,
    check_settings,
    compile_security,
    compile_settings,
)
from daiban.catalog.sources import Source, find_files, read_source
from daiban.catalog.workflow import Workflow, compile_workflow

WORKFLOW_FILES = ("case",)  # file stems under config/workflow/; one workflow for now


@dataclass(frozen=True)
class PublishedState:
    """What the database holds for one matter: its latest version and that version's hash."""

    version: int
    content_hash: str
    hashes: Mapping[int, str] = field(default_factory=dict)


@dataclass
class Catalog:
    """Everything compiled from one config folder."""

    config_dir: Path
    matters: dict[str, Matter] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)  # code -> document as written
    paths: dict[str, str] = field(default_factory=dict)  # code -> file it came from
    organisation: Organisation = field(default_factory=Organisation)
    roles: dict[str, Role] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=lambda: WorkCalendar.from_documents([]))
    workflow: Workflow | None = None  # None when config/workflow/case.yaml is missing or invalid
    supervision: SupervisionSettings = field(default_factory=SupervisionSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)


@dataclass
class LoadResult:
    """A catalog and every problem found while loading it."""

    catalog: Catalog
    problems: list[Problem]
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        """Problems that block publishing."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """Problems worth knowing that do not block publishing."""
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when nothing blocks publishing."""
        return not self.errors


def _display(config_dir: Path, path: Path) -> str:
    return str(config_dir / path.relative_to(config_dir))


class _Reader:
    """Reads and schema-checks the files of one kind, collecting problems."""

    def __init__(self, config_dir: Path, problems: list[Problem]):
        self.config_dir = config_dir
        self.problems = problems
        self.files = 0

    def read(self, path: Path, kind: str) -> tuple[Source, dict | None]:
        """Read one file; return its source and its default-filled data, or None if invalid."""
        self.files += 1
        source = read_source(path, _display(self.config_dir, path))
        if not source.ok:
            self.problems.extend(source.problems)
            return source, None
        found = check_schema(kind, source.data)
        self.problems.extend(source.problem(pointer, message) for pointer, message in found)
        if found:
            return source, None
        return source, fill_defaults(kind, source.data)

    def read_folder(
        self, folder: str, kind: str, required: bool = True, keep_invalid: bool = False
    ) -> list[tuple[Source, dict | None]]:
        """Read every file of a sub-folder (with `keep_invalid`, invalid ones as (source, None))."""
        path = self.config_dir / folder
        files = find_files(path)
        if not files and required:
            self.problems.append(
                Problem(str(self.config_dir / folder), 1, 1, "", f"没有找到 {folder}/ 下的配置文件")
            )
        results = []
        for file in files:
            source, data = self.read(file, kind)
            if data is not None or keep_invalid:
                results.append((source, data))
        return results


def load_catalog(
    config_dir: Path | str,
    today: datetime.date | None = None,
    published: Mapping[str, PublishedState] | None = None,
    include_matters: bool = True,
) -> LoadResult:
    """Read, validate and compile a config folder; `published` enables the version checks.

    Without `include_matters` only roles, organisation, domains and calendar are loaded.
    """
    config_dir = Path(config_dir)
    problems: list[Problem] = []
    catalog = Catalog(config_dir)
    if not config_dir.is_dir():
        problems.append(Problem(str(config_dir), 1, 1, "", "配置目录不存在"))
        return LoadResult(catalog, problems)
    reader = _Reader(config_dir, problems)

    domains_path = next((config_dir / n for n in ("domains.yaml", "domains.yml", "domains.json")
                         if (config_dir / n).is_file()), None)
    if domains_path is None:
        problems.append(Problem(str(config_dir / "domains.yaml"), 1, 1, "", "缺少领域清单 domains.yaml"))
    else:
        source, data = reader.read(domains_path, "domains")
        if data is not None:
            found = checks._duplicates(
                ((f"/domains/{i}/id", d["id"]) for i, d in enumerate(data["domains"])), "领域编号"
            )
            problems.extend(source.problem(p, m) for p, m in found)
            catalog.domains = compile_domains(data)

    org_docs = reader.read_folder("org", "org")
    for source, pointer, message in checks.check_organisation(org_docs):
        problems.append(source.problem(pointer, message))
    catalog.organisation = compile_organisation([doc for _, doc in org_docs])

    role_docs = reader.read_folder("roles", "role")
    role_ids = checks._duplicates(
        ((f"{s.path}#/id", d["id"]) for s, d in role_docs), "角色编号"
    )
    for pointer, message in role_ids:
        path = pointer.split("#", 1)[0]
        source = next(s for s, _ in role_docs if s.path == path)
        problems.append(source.problem("/id", message))
    catalog.roles = {d["id"]: compile_role(d) for _, d in role_docs}

    _load_calendar(reader, catalog, problems, today or datetime.date.today())
    _load_workflow(reader, catalog, problems)
    _load_supervision(reader, catalog, problems)
    _load_security(reader, catalog, problems)

    if not include_matters:
        problems.sort(key=lambda p: (p.path, p.line, p.column, p.pointer))
        return LoadResult(catalog, problems, reader.files)
    matter_docs = reader.read_folder("matters", "matter", keep_invalid=True)
    seen_codes: dict[str, str] = {}
    for source, normalized in matter_docs:
        if normalized is None:
            # An invalid file still claims its code, so a copy elsewhere is caught now.
            raw_code = source.data.get("code") if isinstance(source.data, dict) else None
            if isinstance(raw_code, str):
                seen_codes.setdefault(raw_code, source.path)
            continue
        code = normalized["code"]
        found = _meaning(source, normalized, catalog)
        if code in seen_codes:
            found.append(("/code", f"事项编码 “{code}” 重复（已用于 {seen_codes[code]}）"))
        problems.extend(source.problem(p, m) for p, m in found)
        if Path(source.path).stem != code:
            problems.append(source.problem(
                "/code", f"文件名 “{Path(source.path).name}” 与事项编码 {code} 不一致，建议改为 {code}"
                f"{Path(source.path).suffix}", WARNING,
            ))
        if code in seen_codes or found:
            seen_codes.setdefault(code, source.path)
            continue
        seen_codes[code] = source.path
        matter = compile_matter(normalized)
        if published is not None and code in published:
            problems.extend(_check_version(source, matter, published[code]))
        catalog.matters[code] = matter
        catalog.documents[code] = source.data
        catalog.paths[code] = source.path
    problems.sort(key=lambda p: (p.path, p.line, p.column, p.pointer))
    return LoadResult(catalog, problems, reader.files)


def _meaning(source: Source, normalized: dict, catalog: Catalog) -> list[tuple[str, str]]:
    """Checks of meaning, then the attachment files (whose hashes go into both documents)."""
    found = checks.check_matter(
        normalized, set(catalog.organisation.departments), set(catalog.domains), set(catalog.roles)
    )
    return found + attachments.check_and_stamp(source.data, normalized, Path(catalog.config_dir))


def check_matter_source(source: Source, catalog: Catalog) -> tuple[Matter | None, list[Problem]]:
    """Validate one matter document exactly as `load_catalog` does, against a loaded catalog
    (filling each attachment's `sha256` into `source.data`, as the published version records it).

    The browser editor calls this, so an edit there meets the very checks of `catalog validate`.
    """
    if not source.ok:
        return None, list(source.problems)
    found = check_schema("matter", source.data)
    if found:
        return None, [source.problem(p, m) for p, m in found]
    normalized = fill_defaults("matter", source.data)
    problems = [source.problem(p, m) for p, m in _meaning(source, normalized, catalog)]
    if problems:
        return None, problems
    return compile_matter(normalized), []


def _load_calendar(reader: _Reader, catalog: Catalog, problems: list[Problem], today) -> None:
    docs = []
    # Years with a file, valid or not: a broken file is reported once, not also as missing.
    present = {int(p.stem) for p in find_files(reader.config_dir / "calendar") if p.stem.isdigit()}
    for source, data in reader.read_folder("calendar", "calendar"):
        stem = Path(source.path).stem
        if not stem.isdigit():
            problems.append(source.problem("", "日历文件应以年份命名，例如 2026.yaml"))
            continue
        found = check_calendar_document(data, int(stem))
        problems.extend(source.problem(p, m) for p, m in found)
        if not found:
            docs.append(data)
    try:
        catalog.calendar = WorkCalendar.from_documents(docs)
    except ValueError as exc:
        problems.append(Problem(str(reader.config_dir / "calendar"), 1, 1, "", f"日历有冲突：{exc}"))
        return
    for year in missing_calendar_years(catalog.calendar.years | present, today):
        problems.append(Problem(
            str(reader.config_dir / "calendar" / f"{year}.yaml"), 1, 1, "",
            f"缺少 {year} 年的节假日安排；该年的到期日将按周一至周五推算并标为“暂定”",
            WARNING,
        ))


def _load_workflow(reader: _Reader, catalog: Catalog, problems: list[Problem]) -> None:
    """Read config/workflow/case.yaml: schema, then meaning against the roles; compile it."""
    folder = reader.config_dir / "workflow"
    files = find_files(folder)
    if not files:
        problems.append(Problem(str(folder), 1, 1, "", "没有找到 workflow/ 下的配置文件"))
        return
    seen: dict[str, str] = {}
    for path in files:
        shown = _display(reader.config_dir, path)
        if path.stem not in WORKFLOW_FILES:
            problems.append(Problem(
                shown, 1, 1, "", f"不认识的流程文件 “{path.name}”：workflow/ 下目前只有 case.yaml（办件流程）"
            ))
            continue
        if path.stem in seen:
            problems.append(Problem(shown, 1, 1, "", f"办件流程重复定义（已在 {seen[path.stem]} 中定义）"))
            continue
        seen[path.stem] = shown
        source, data = reader.read(path, "workflow")
        if data is None:
            continue
        found = checks.check_workflow(data, set(catalog.roles))
        problems.extend(source.problem(p, m) for p, m in found)
        if not found:
            catalog.workflow = compile_workflow(data, {r.id: r.name for r in catalog.roles.values()})
    if "case" not in seen:
        problems.append(Problem(str(folder / "case.yaml"), 1, 1, "", "缺少办件流程 workflow/case.yaml"))


def _load_supervision(reader: _Reader, catalog: Catalog, problems: list[Problem]) -> None:
    """Read config/supervision.yaml; without it the schema's defaults apply (a warning says so)."""
    config_dir = reader.config_dir
    path = next((config_dir / n for n in ("supervision.yaml", "supervision.yml", "supervision.json")
                 if (config_dir / n).is_file()), None)
    if path is None:
        problems.append(Problem(str(config_dir / "supervision.yaml"), 1, 1, "",
                                "缺少督查考评设置 supervision.yaml，按默认值执行", WARNING))
        return
    source, data = reader.read(path, "supervision")
    if data is None:
        return
    found = check_settings(data)
    problems.extend(source.problem(p, m) for p, m in found)
    if not found:
        catalog.supervision = compile_settings(data)


def _load_security(reader: _Reader, catalog: Catalog, problems: list[Problem]) -> None:
    """Read config/security.yaml; without it the schema's defaults apply (a warning says so)."""
    config_dir = reader.config_dir
    path = next((config_dir / n for n in ("security.yaml", "security.yml", "security.json")
                 if (config_dir / n).is_file()), None)
    if path is None:
        problems.append(Problem(str(config_dir / "security.yaml"), 1, 1, "",
                                "缺少安全设置 security.yaml，按默认值执行", WARNING))
        return
    source, data = reader.read(path, "security")
    if data is None:
        return
    found = check_security(data)
    problems.extend(source.problem(p, m) for p, m in found)
    if not found:
        catalog.security = compile_security(data)


def _check_version(source: Source, matter: Matter, state: PublishedState) -> list[Problem]:
    """Compare a file with what is published: content changes need a higher version number."""
    if matter.version < state.version:
        return [source.problem(
            "/version",
            f"版本号 {matter.version} 低于已发布的版本 {state.version}；"
            f"修改后请把版本号改为 {state.version + 1}",
        )]
    if matter.version in state.hashes and state.hashes[matter.version] != matter.content_hash:
        return [source.problem(
            "/version",
            f"内容与已发布的第 {matter.version} 版不同，但版本号没有增加；请改为 {state.version + 1}",
        )]
    return []
