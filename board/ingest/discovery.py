"""Run discovery: which directories under the logdirs are runs, and what they are called.

- `parse_logdir_spec("a:/x,b:/y")` names several roots; a plain path is one unnamed root.
  Entries may be fsspec URLs (`s3://bucket/exp`, `name:gs://bucket/exp`): an entry that starts
  with `scheme://` is a URL, not `name:path` (TensorBoard's `--logdir_spec` rule), and so is
  the path part after a name.
- A run is a directory (at any depth, symlinks not followed) holding files whose names contain
  `tfevents`, or a `projector_config.pbtxt` (embeddings only); the root itself is the run `.`
  (or the root's name when named).
"""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass

from board.ingest import fs

log = logging.getLogger("board.ingest")


@dataclass(frozen=True)
class Root:
    name: str | None  # None for a plain `--logdir PATH`
    path: str  # absolute, symlinks resolved; or a URL (no trailing slash)

    @property
    def remote(self) -> bool:
        return fs.is_url(self.path)


def _root_path(path: str) -> str:
    if fs.is_url(path):
        fs.filesystem(path)  # a scheme nothing serves is an error now, not a silent local path
        return path.rstrip("/")
    return os.path.realpath(os.path.expanduser(path))


def _unnamed(entry: str) -> bool:
    """TensorBoard's rule: a URL, or a path starting with `/` (`/a:b` is a path with a colon)."""
    return fs.is_url(entry) or entry.startswith(("/", "~", "."))


def parse_logdir_spec(spec: str) -> list[Root]:
    """Roots from `PATH`, `URL` or `name:PATH,name2:URL` (a spec naming an existing directory is
    always taken as one plain path). Raises ValueError (`fs.FilesystemUnavailable` for a URL
    whose filesystem is not installed)."""
    spec = spec.strip()
    if not spec:
        raise ValueError("--logdir is empty")
    if os.path.isdir(spec) or ":" not in spec or "," not in spec and _unnamed(spec):
        return [Root(None, _root_path(spec))]
    roots = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if _unnamed(part):  # `s3://b/x` and `/a:b` hold a colon but name no run
            roots.append(Root(None, _root_path(part)))
            continue
        name, sep, path = part.partition(":")
        if not sep or not name or not path:
            raise ValueError(f"--logdir entry {part!r} is not NAME:PATH")
        roots.append(Root(name, _root_path(path)))
    names = [r.name for r in roots if r.name is not None]
    if len(set(names)) != len(names):
        raise ValueError(f"--logdir names repeat: {names}")
    return roots


PROJECTOR_CONFIG = "projector_config.pbtxt"  # see board.kinds.projector_files


def is_event_file(name: str) -> bool:
    return "tfevents" in name


def run_name(root: Root, directory: str) -> str:
    if root.remote:
        rel = posixpath.relpath(directory, root.path) if directory != root.path else "."
    else:
        rel = _relative(directory, root.path)
    if root.name is None:
        return rel
    return root.name if rel == "." else f"{root.name}/{rel}"


def _relative(directory: str, root: str) -> str:
    """`os.path.relpath` for a directory at or under `root` (both absolute and normalised, as
    the walk makes them), by slicing: relpath normalises both paths anew on every call, which
    was a third of listing 10,000 runs."""
    if directory == root:
        return "."
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not directory.startswith(prefix):
        return os.path.relpath(directory, root).replace(os.sep, "/")
    return directory[len(prefix) :].replace(os.sep, "/")


def discover(roots: list[Root]) -> dict[str, tuple[str, list[str]]]:
    """{run name: (directory, sorted event file paths)} for every run under `roots`. Event
    files that are symlinks resolving outside their root are ignored."""
    found: dict[str, tuple[str, list[str]]] = {}
    for root in roots:
        if root.remote:
            found.update(_discover_remote(root))
            continue
        if not os.path.isdir(root.path):
            continue
        for directory, files in _walk(root.path):
            paths = []
            for entry in sorted((e for e in files if is_event_file(e.name)), key=_name):
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if os.path.commonpath([target, root.path]) != root.path:
                        log.warning("ignoring %s: its link leaves the logdir", entry.path)
                        continue
                if _is_file(entry):
                    paths.append(entry.path)
            # an embeddings-only folder is a run too
            if paths or any(e.name == PROJECTOR_CONFIG for e in files):
                found[run_name(root, directory)] = (directory, paths)
    return found


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _is_file(entry: os.DirEntry) -> bool:
    """Whether the entry is a regular file, following a symlink (as `os.path.isfile`)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _walk(top: str):
    """(directory, its non-directory entries) for `top` and every directory under it, in
    sorted order, symlinked directories not followed (as `os.walk(followlinks=False)` with
    sorted subdirectories). `os.scandir` entries carry the file type the directory listing
    already gave, so the walk costs one listing per directory and no stat per file."""
    try:
        with os.scandir(top) as it:
            entries = list(it)
    except OSError:
        return
    files, subdirs = [], []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            files.append(entry)
        elif not entry.is_symlink():
            subdirs.append(entry.path)
    yield top, files
    for path in sorted(subdirs):
        yield from _walk(path)


def _discover_remote(root: Root) -> dict[str, tuple[str, list[str]]]:
    """Runs under a URL root, from one recursive listing (object stores have no symlinks)."""
    by_dir: dict[str, list[str]] = {}
    for path in fs.list_files(root.path):
        directory, name = path.rsplit("/", 1)
        if is_event_file(name):
            by_dir.setdefault(directory, []).append(path)
    return {run_name(root, d): (d, sorted(paths)) for d, paths in sorted(by_dir.items())}
