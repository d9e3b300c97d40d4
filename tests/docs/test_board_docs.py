"""docs/board.md documents every flag of `board --help`, with the same defaults."""

from __future__ import annotations

import os

from board.cli import build_parser

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "board.md")


def test_every_flag_is_documented():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    parser = build_parser()
    flags = [a.option_strings[0] for a in parser._actions if a.option_strings[0] != "-h"]
    assert flags, "no flags found"
    for flag in flags:
        assert f"| `{flag}` |" in text, f"{flag} missing from docs/board.md"
    for action in parser._actions:
        if isinstance(action.default, (int, float)) and not isinstance(action.default, bool):
            row = next(
                line
                for line in text.splitlines()
                if line.startswith(f"| `{action.option_strings[0]}` |")
            )
            assert f"`{action.default:g}`" in row, (action.option_strings[0], row)
