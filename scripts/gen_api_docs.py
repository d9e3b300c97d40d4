"""Generate docs/api/*.md, the API reference, from the public names' docstrings.

A public name is what a package's `__init__` re-exports (not starting with `_`), and for the
engine also the names of its public namespaces (`engine.nn`, `engine.train`, ...).
`tests/docs/test_api_docs.py` fails when a public name has no docstring or when the
committed reference differs from what this script writes.

    python scripts/gen_api_docs.py          # rewrite docs/api/
    python scripts/gen_api_docs.py --check  # exit 1 if docs/api/ is stale
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "docs", "api")

# (output file, title, module, namespaces documented under it)
PACKAGES = [
    (
        "engine.md",
        "engine — graph API, ops, training",
        "engine",
        ["nn", "train", "summary", "errors"],
    ),
    ("summaries.md", "summaries — event files", "summaries", []),
    ("board.md", "board — the dashboard server", "board", []),
]


def public_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return sorted(n for n in names if not isinstance(getattr(module, n, None), types.ModuleType))


def signature_of(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def describe(qualified: str, obj) -> tuple[str, str | None]:
    """One reference entry and the docstring (None when missing)."""
    doc = inspect.getdoc(obj) if (callable(obj) or inspect.isclass(obj)) else None
    if inspect.isclass(obj):
        heading = f"### class `{qualified}{signature_of(obj)}`"
    elif callable(obj):
        heading = f"### `{qualified}{signature_of(obj)}`"
    else:
        heading = f"### `{qualified}`"
        # Strings may name paths of this machine (e.g. the BLAS found at import), so their
        # value is left out to keep the reference the same everywhere.
        value = "" if isinstance(obj, str) else f": `{obj!r}`"
        doc = f"Value of type `{type(obj).__name__}`{value}."
    return heading, doc


def namespace_entries(prefix: str, module: types.ModuleType) -> tuple[list[str], list[str]]:
    lines, missing = [], []
    for name in public_names(module):
        obj = getattr(module, name)
        heading, doc = describe(f"{prefix}.{name}", obj)
        if doc is None or not doc.strip():
            missing.append(f"{prefix}.{name}")
            doc = "*(undocumented)*"
        lines += [heading, "", doc, ""]
    return lines, missing


def render(filename: str, title: str, module_name: str, namespaces: list[str]):
    module = importlib.import_module(module_name)
    lines = [
        f"# {title}",
        "",
        "Generated from docstrings by `scripts/gen_api_docs.py`; do not edit by hand.",
        "",
    ]
    entries, missing = namespace_entries(module_name, module)
    lines += entries
    for ns in namespaces:
        sub = getattr(module, ns, None)
        if not isinstance(sub, types.ModuleType):
            continue
        lines += [f"## `{module_name}.{ns}`", ""]
        sub_entries, sub_missing = namespace_entries(f"{module_name}.{ns}", sub)
        lines += sub_entries
        missing += sub_missing
    return "\n".join(lines).rstrip() + "\n", missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT)
    os.makedirs(OUT_DIR, exist_ok=True)
    stale, undocumented = [], []
    for filename, title, module_name, namespaces in PACKAGES:
        text, missing = render(filename, title, module_name, namespaces)
        undocumented += missing
        path = os.path.join(OUT_DIR, filename)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current != text:
            stale.append(path)
            if not args.check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    for name in undocumented:
        print(f"undocumented: {name}")
    if args.check and stale:
        print("stale:", *stale)
    return 1 if (undocumented or (args.check and stale)) else 0


if __name__ == "__main__":
    sys.exit(main())
