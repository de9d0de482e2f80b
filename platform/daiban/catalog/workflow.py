"""The case workflow (办件流程) compiled from `config/workflow/case.yaml`: states and transitions.

A case moves between states only by transitions listed in the config. Each transition says
from which states it may be taken, where it leads, which roles (ids from `config/roles/`) may
take it, and what it does besides changing the state: stop the clock (行政许可法第四十五条:
hearings, testing, expert review and 补正 are not counted), resume it, record the date the
result came, demand a note, or issue a slip (受理单, 中止单 …); and which guards must hold
before it is taken (`guards`, interpreted by `daiban.cases.guards`); what its note box asks
for (`note_label`); its name on a case of one mode (`mode_labels`: 受理 for 帮办, 受理委托 for
代办); and whether the platform makes it by itself (`system`: 结果已反馈 on the last
department's decision), never a person.

Pure: no Flask, no peewee. `daiban.cases.service` interprets this object; the checks that
make it safe to interpret (known states and roles, every state reachable, a consistent clock)
are in `checks.check_workflow` and run when the config is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

OPEN_TRANSITION = "open"  # the event recorded when a case is opened; no config transition may use it
CLOSED = "closed"  # the state a finished case ends in; the config must lead into it


@dataclass(frozen=True)
class State:
    """One state a case can be in."""

    id: str
    label: str
    description: str | None = None
    final: bool = False


@dataclass(frozen=True)
class Transition:
    """One allowed move between states, and who may make it."""

    id: str
    label: str
    from_states: tuple[str, ...]
    to: str
    roles: tuple[str, ...]
    description: str | None = None
    stops_clock: bool = False
    resumes_clock: bool = False
    records_result: bool = False
    requires_note: bool = False
    document: str | None = None  # the slip it issues (cases.documents), e.g. "suspension_slip"
    guards: tuple[str, ...] = ()  # what must hold first (cases.guards.GUARDS), e.g. "materials_complete"
    note_label: str | None = None  # what the note box asks for, e.g. "请写明中止原因"
    system: bool = False  # made by the platform itself (never a button, refused to a person)
    mode_labels: tuple[tuple[str, str], ...] = ()  # (case mode, label) where a mode names it otherwise

    def label_for(self, mode: str | None) -> str:
        """The action's name for a case of `mode` (帮办 assist, 代办 proxy)."""
        return dict(self.mode_labels).get(mode or "", self.label)

    def allowed_role(self, role_ids: Iterable[str]) -> str | None:
        """The first of `role_ids` that may make this transition, or None."""
        return next((r for r in role_ids if r in self.roles), None)


@dataclass(frozen=True)
class Workflow:
    """The compiled case workflow: initial state, states in order, transitions in order."""

    name: str
    initial: str
    opened_by: tuple[str, ...]
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    role_names: Mapping[str, str] = field(default_factory=dict, compare=False)  # role id -> name
    _states: MappingProxyType = field(init=False, repr=False, compare=False)
    _transitions: MappingProxyType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "role_names", MappingProxyType(dict(self.role_names)))
        object.__setattr__(self, "_states", MappingProxyType({s.id: s for s in self.states}))
        object.__setattr__(self, "_transitions", MappingProxyType({t.id: t for t in self.transitions}))

    def state(self, state_id: str) -> State | None:
        """The state with this id, or None."""
        return self._states.get(state_id)

    def transition(self, transition_id: str) -> Transition | None:
        """The transition with this id, or None."""
        return self._transitions.get(transition_id)

    def label(self, state_id: str | None) -> str:
        """The Chinese label of a state (the id itself when unknown)."""
        state = self._states.get(state_id) if state_id else None
        return state.label if state else (state_id or "")

    def role_label(self, role_id: str) -> str:
        """The Chinese name of a role (the id itself when unknown)."""
        return self.role_names.get(role_id, role_id)

    def is_final(self, state_id: str) -> bool:
        """True when no transition leaves the state (closed, terminated)."""
        state = self._states.get(state_id)
        return bool(state and state.final)

    def available(self, state_id: str, role_ids: Iterable[str] | None = None) -> list[Transition]:
        """Transitions a person may take from `state_id` (by one of `role_ids`, when given); the
        platform's own steps (`system`) are never offered."""
        roles = None if role_ids is None else tuple(role_ids)
        return [
            t for t in self.transitions
            if state_id in t.from_states and not t.system
            and (roles is None or t.allowed_role(roles) is not None)
        ]

    def may_open(self, role_ids: Iterable[str]) -> str | None:
        """The first of `role_ids` allowed to open a case, or None."""
        return next((r for r in role_ids if r in self.opened_by), None)


def compile_workflow(doc: dict, role_names: Mapping[str, str] | None = None) -> Workflow:
    """Build the Workflow from a default-filled, checked workflow document.

    `role_names` (role id -> Chinese name, from config/roles/) lets messages name roles in Chinese.
    """
    return Workflow(
        name=doc.get("name", "办件流程"),
        initial=doc["initial"],
        opened_by=tuple(doc["opened_by"]),
        states=tuple(
            State(s["id"], s["label"], s.get("description"), s["final"]) for s in doc["states"]
        ),
        transitions=tuple(
            Transition(
                id=t["id"], label=t["label"], from_states=tuple(t["from"]), to=t["to"],
                roles=tuple(t["roles"]), description=t.get("description"),
                stops_clock=t["stops_clock"], resumes_clock=t["resumes_clock"],
                records_result=t["records_result"], requires_note=t["requires_note"],
                document=t.get("document"), guards=tuple(t.get("guards", ())),
                note_label=t.get("note_label"), system=t.get("system", False),
                mode_labels=tuple(sorted((t.get("mode_labels") or {}).items())),
            )
            for t in doc["transitions"]
        ),
        role_names=dict(role_names or {}),
    )
