"""The published catalog in the database: publish versions, and ask which version is in force.

Published versions are immutable rows; a change is a new row with a higher version number.
This is the only module that writes `matter_version`.
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass, field

import peewee

from daiban.catalog.compile import compile_matter
from daiban.catalog.loader import Catalog, PublishedState
from daiban.catalog.model import Matter as CompiledMatter
from daiban.catalog.schemas import fill_defaults
from daiban.db import database
from daiban.models import Matter, MatterVersion
from daiban.search import matches, search_keys


class PublishRefused(RuntimeError):
    """Publishing was refused; nothing was written."""


@dataclass
class PublishReport:
    """What a publish run did."""

    published: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def published_states() -> dict[str, PublishedState]:
    """Latest version and every version's hash, per matter code, as the database holds them."""
    hashes: dict[str, dict[int, str]] = {}
    query = MatterVersion.select(
        MatterVersion.code, MatterVersion.version, MatterVersion.content_hash
    ).order_by(MatterVersion.code, MatterVersion.version)
    for row in query.tuples():
        hashes.setdefault(row[0], {})[row[1]] = row[2]
    return {
        code: PublishedState(max(versions), versions[max(versions)], versions)
        for code, versions in hashes.items()
    }


def plan_publication(catalog: Catalog, states: dict[str, PublishedState]):
    """Split the catalog's matters into (to publish, unchanged); refuse unbumped changes."""
    to_publish, unchanged, refused = [], [], []
    for code, matter in sorted(catalog.matters.items()):
        state = states.get(code)
        if state is None or matter.version > state.version:
            to_publish.append(matter)
        elif state.hashes.get(matter.version) == matter.content_hash:
            unchanged.append(code)
        else:
            refused.append(
                f"{catalog.paths[code]}: {code} 的内容与已发布的第 {matter.version} 版不同，"
                f"但版本号没有增加（已发布的最新版本是 {state.version}）"
            )
    if refused:
        raise PublishRefused("\n".join(refused))
    return to_publish, unchanged


def publish_catalog(catalog: Catalog, actor: str, progress=None) -> PublishReport:
    """Store every new or changed matter of a valid catalog as a published version, atomically."""
    report = PublishReport()
    with database.atomic():
        to_publish, report.unchanged = plan_publication(catalog, published_states())
        for matter in to_publish:
            publish_version(matter, catalog.documents[matter.code], catalog.paths[matter.code], actor)
            report.published.append((matter.code, matter.version))
            if progress:
                progress(matter)
    return report


def publish_version(matter: CompiledMatter, document: dict, path: str, actor: str) -> MatterVersion:
    """Store one compiled matter as a published version: the one path the CLI and browser share."""
    record, _ = Matter.get_or_create(code=matter.code)
    initials, full = search_keys([matter.name, matter.everyday_name, *matter.aliases])
    try:
        return MatterVersion.create(
            matter=record, code=matter.code, version=matter.version, status=matter.status,
            name=matter.name, everyday_name=matter.everyday_name, domain=matter.domain,
            levels=",".join(matter.levels), responsible_unit=matter.responsible_unit,
            effective_from=matter.effective_from, effective_until=matter.effective_until,
            # Stored as written (key order kept) so an export gives back a hand-written file.
            content=json.dumps(document, ensure_ascii=False), content_hash=matter.content_hash,
            source_path=path, published_by=actor, search_initials=initials, search_pinyin=full,
        )
    except peewee.IntegrityError:
        # Someone published the same version at the same moment; the unique index decides.
        raise PublishRefused(f"{matter.code} 第 {matter.version} 版已由他人同时发布") from None


def history(code: str) -> list[MatterVersion]:
    """Every published version of a matter, oldest first."""
    return list(MatterVersion.select().where(MatterVersion.code == code).order_by(MatterVersion.version))


def _latest_started(on: datetime.date):
    """Per code, the highest version whose effective_from is on or before `on`."""
    rows = (MatterVersion.select()
            .where(MatterVersion.effective_from <= on)
            .order_by(MatterVersion.code, MatterVersion.version))
    latest: dict[str, MatterVersion] = {}
    for row in rows:
        latest[row.code] = row
    return latest


def _in_force(row: MatterVersion, on: datetime.date) -> bool:
    if row.status == "withdrawn":
        return False
    return row.effective_until is None or row.effective_until >= on


def version_in_force(code: str, on: datetime.date | None = None) -> MatterVersion | None:
    """The version of a matter in force on a date (today by default), or None."""
    on = on or datetime.date.today()
    row = (MatterVersion.select()
           .where((MatterVersion.code == code) & (MatterVersion.effective_from <= on))
           .order_by(MatterVersion.version.desc()).first())
    return row if row is not None and _in_force(row, on) else None


def catalog_in_force(on: datetime.date | None = None) -> list[MatterVersion]:
    """Every matter version in force on a date, ordered by domain and code."""
    on = on or datetime.date.today()
    rows = [row for row in _latest_started(on).values() if _in_force(row, on)]
    return sorted(rows, key=lambda r: (r.domain, r.code))


def search_catalog(query: str = "", level: str | None = None, domain: str | None = None,
                   on: datetime.date | None = None) -> list[MatterVersion]:
    """Matters in force whose name, code, pinyin initials ("gljt") or pinyin ("gaoling") match,
    limited to those accepted at `level` and in `domain` when given."""
    return [
        row for row in catalog_in_force(on)
        if matches(query, [row.name, row.everyday_name, row.code], row.search_initials, row.search_pinyin)
        and (not level or level in row.level_list) and (not domain or row.domain == domain)
    ]


def upcoming_versions(on: datetime.date | None = None) -> list[MatterVersion]:
    """Versions published with a future effective date, waiting beside the current ones."""
    on = on or datetime.date.today()
    return list(MatterVersion.select().where(MatterVersion.effective_from > on)
                .order_by(MatterVersion.effective_from, MatterVersion.code))


def compiled(row: MatterVersion) -> CompiledMatter:
    """The catalog's frozen Matter of a stored version, compiled once per version and content."""
    return _compiled(row.code, row.version, row.content_hash, row.content)


@functools.lru_cache(maxsize=512)
def _compiled(code: str, version: int, content_hash: str, content: str) -> CompiledMatter:
    # A published version never changes (immutable rows), so code, version and hash name its
    # compiled form for good; the frozen Matter is safe to share between requests.
    return compile_matter(fill_defaults("matter", json.loads(content)))
