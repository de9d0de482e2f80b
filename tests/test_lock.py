"""The lock file pins every dependency pyproject.toml declares: a forgotten `make lock` fails here."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

LOCK = ROOT / "requirements.lock"


def locked_versions(text: str) -> dict[str, str]:
    """The pinned version of each package in a hashed requirements file, by canonical name."""
    pins = {}
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name, _, version = line.split(" ", 1)[0].partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def declared() -> list[Requirement]:
    """The runtime requirements and the test extra, as pyproject.toml states them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]]


def test_every_declared_dependency_is_locked_at_a_version_it_allows():
    pins = locked_versions(LOCK.read_text(encoding="utf-8"))
    problems = []
    for requirement in declared():
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} does not satisfy {requirement}")
    assert not problems, "; ".join(problems) + ": run `make lock`"

