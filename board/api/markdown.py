"""Markdown to HTML that cannot carry markup from the logs: raw HTML in the source is escaped
(markdown-it's `html` option off) and link targets with unsafe schemes are dropped."""

from __future__ import annotations

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_safe_html(source: str) -> str:
    return _md.render(source)
