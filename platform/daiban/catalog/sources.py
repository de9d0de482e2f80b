"""Read YAML and JSON config files into plain data plus the line and column of every value.

Positions come from the YAML node tree (JSON is read by `json` for exact syntax errors, then
by the YAML composer for positions, since JSON is YAML's subset). Dates stay strings: the
schemas decide what a date is, not the YAML resolver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from daiban.catalog.problems import Problem

SUFFIXES = (".yaml", ".yml", ".json")


# libyaml's parser when present (ten times faster); it keeps node marks just the same.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """A safe loader that leaves timestamps as strings and keeps node marks."""


# Drop the timestamp resolver: `2026-01-01` must stay the string the schema expects.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _compose_and_construct(text: str):
    """Parse once: the node tree (for positions) and the data built from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return node, data
    finally:
        loader.dispose()


def escape_pointer_token(token) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, token) -> str:
    """Append one token to a JSON pointer."""
    return f"{base}/{escape_pointer_token(token)}"


@dataclass
class Source:
    """A config file as read: its data, where each value stands, and what went wrong reading it."""

    path: str
    data: object = None
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file could be read into data."""
        return not self.problems

    def position(self, pointer: str) -> tuple[int, int]:
        """Line and column (1-based) of the value at `pointer`, or of its nearest ancestor."""
        while True:
            if pointer in self.positions:
                return self.positions[pointer]
            if not pointer:
                return (1, 1)
            pointer = pointer.rsplit("/", 1)[0]

    def problem(self, pointer: str, message: str, severity: str = "error") -> Problem:
        """Build a problem located at `pointer` in this file."""
        line, column = self.position(pointer)
        return Problem(self.path, line, column, pointer, message, severity)


def _walk(node, pointer: str, positions: dict, duplicates: list) -> None:
    """Record the start of every node under `node`, and duplicate mapping keys."""
    positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = join_pointer(pointer, key)
            if key in seen:
                duplicates.append((child, key_node))
            seen.add(key)
            _walk(value_node, child, positions, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, join_pointer(pointer, index), positions, duplicates)


def _mark_problem(path: str, mark, message: str) -> Problem:
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    return Problem(path, line, column, "", message)


def parse_text(text: str, path: str) -> Source:
    """Parse YAML or JSON text (chosen by the path's suffix) into a Source."""
    source = Source(path)
    if path.endswith(".json"):
        try:
            source.data = json.loads(text)
        except json.JSONDecodeError as exc:
            source.problems.append(
                Problem(path, exc.lineno, exc.colno, "", f"JSON 语法错误：{exc.msg}")
            )
            return source
    try:
        node, data = _compose_and_construct(text)
        if not path.endswith(".json"):
            source.data = data
    except yaml.MarkedYAMLError as exc:
        if path.endswith(".json"):
            return source  # JSON parsed fine; positions are a courtesy
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "无法解析"
        source.problems.append(_mark_problem(path, mark, f"YAML 语法错误：{what}"))
        return source
    except yaml.YAMLError as exc:
        source.problems.append(Problem(path, 1, 1, "", f"YAML 语法错误：{exc}"))
        return source
    if node is None or source.data is None:
        source.problems.append(Problem(path, 1, 1, "", "文件是空的：这里应当是一个映射（键: 值）"))
        return source
    duplicates: list = []
    _walk(node, "", source.positions, duplicates)
    for pointer, key_node in duplicates:
        line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        message = f"键 “{key_node.value}” 重复出现，后一个会覆盖前一个"
        source.problems.append(Problem(path, line, column, pointer, message))
    return source


def read_source(path: Path, display: str | None = None) -> Source:
    """Read one config file from disk; unreadable bytes become a problem, never an exception."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Source(shown, problems=[Problem(shown, 1, 1, "", f"文件不是 UTF-8 编码：{exc.reason}")])
    except OSError as exc:
        return Source(shown, problems=[Problem(shown, 1, 1, "", f"无法读取文件：{exc.strerror}")])
    return parse_text(text, shown)


def find_files(folder: Path) -> list[Path]:
    """List the YAML and JSON files under `folder`, sorted, skipping hidden ones."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
