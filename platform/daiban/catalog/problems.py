"""Problems found in config files, each pinned to a file, a line, a column and a JSON pointer."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in one config file."""

    path: str
    line: int
    column: int
    pointer: str
    message: str
    severity: str = ERROR

    def format(self) -> str:
        """Render as `path:LINE:COLUMN: /pointer: message`, the line editors and CI understand."""
        prefix = "警告：" if self.severity == WARNING else ""
        return f"{self.path}:{self.line}:{self.column}: {self.pointer or '/'}: {prefix}{self.message}"


def errors(problems) -> list[Problem]:
    """Keep only the problems that block publishing."""
    return [p for p in problems if p.severity == ERROR]


def warnings(problems) -> list[Problem]:
    """Keep only the warnings."""
    return [p for p in problems if p.severity == WARNING]
