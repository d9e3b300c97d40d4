"""Run discovery: which directories under the logdirs are runs, and what they are called.

- `parse_logdir_spec("a:/x,b:/y")` names several roots; a plain path is one unnamed root.
- A run is a directory (at any depth, symlinks not followed) holding files whose names contain
  `tfevents`; the root itself is the run `.` (or the root's name when named).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

log = logging.getLogger("board.ingest")


@dataclass(frozen=True)
class Root:
    name: str | None  # None for a plain `--logdir PATH`
    path: str  # absolute, symlinks resolved


def parse_logdir_spec(spec: str) -> list[Root]:
    """Roots from `PATH` or `name:PATH,name2:PATH2` (a spec naming an existing directory is
    always taken as one plain path)."""
    spec = spec.strip()
    if not spec:
        raise ValueError("--logdir is empty")
    if os.path.isdir(spec) or ":" not in spec:
        return [Root(None, os.path.realpath(os.path.expanduser(spec)))]
    roots = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, path = part.partition(":")
        if not sep or not name or not path:
            raise ValueError(f"--logdir entry {part!r} is not NAME:PATH")
        roots.append(Root(name, os.path.realpath(os.path.expanduser(path))))
    names = [r.name for r in roots]
    if len(set(names)) != len(names):
        raise ValueError(f"--logdir names repeat: {names}")
    return roots


def is_event_file(name: str) -> bool:
    return "tfevents" in name


def run_name(root: Root, directory: str) -> str:
    rel = os.path.relpath(directory, root.path).replace(os.sep, "/")
    if root.name is None:
        return rel
    return root.name if rel == "." else f"{root.name}/{rel}"


def discover(roots: list[Root]) -> dict[str, tuple[str, list[str]]]:
    """{run name: (directory, sorted event file paths)} for every run under `roots`. Event
    files that are symlinks resolving outside their root are ignored."""
    found: dict[str, tuple[str, list[str]]] = {}
    for root in roots:
        if not os.path.isdir(root.path):
            continue
        for directory, subdirs, files in os.walk(root.path, followlinks=False):
            subdirs.sort()
            events = sorted(f for f in files if is_event_file(f))
            paths = []
            for f in events:
                path = os.path.join(directory, f)
                if os.path.islink(path):
                    target = os.path.realpath(path)
                    if os.path.commonpath([target, root.path]) != root.path:
                        log.warning("ignoring %s: its link leaves the logdir", path)
                        continue
                if os.path.isfile(path):
                    paths.append(path)
            if paths:
                found[run_name(root, directory)] = (directory, paths)
    return found
