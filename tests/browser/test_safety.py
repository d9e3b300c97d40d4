"""Hostile run names, tags and texts render as inert text; the Markdown renderer and the filter
expressions behave on known inputs."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest

from .conftest import js_module, open_board, running_board, wait_for_traces
from .logs import writer

pytestmark = pytest.mark.browser

HOSTILE_RUN = "<img src=x onerror=alert(1)>"
HOSTILE_RUN_2 = "\"'><svg onload=alert(2)>"
HOSTILE_TAG = "<b onmouseover=alert(3)>tag</b>"
HOSTILE_TEXT = (
    "<script>alert(4)</script><img src=x onerror=alert(5)>\n\n"
    "[click](javascript:alert(6)) and [ok](https://example.org/a?b=1)"
)

INJECTION_CHECK = """() => {
    const bad = [];
    for (const node of document.querySelectorAll('*')) {
        for (const attr of node.attributes) {
            if (attr.name.startsWith('on')) bad.push(`${node.tagName}[${attr.name}]`);
            if (/^\\s*javascript:/i.test(attr.value)) bad.push(`${node.tagName}[${attr.name}=js]`);
        }
        if (['B', 'SCRIPT', 'SVG', 'IMG'].includes(node.tagName.toUpperCase())) {
            const ours = node.tagName === 'SCRIPT' ? node.hasAttribute('src')
                : node.tagName.toLowerCase() === 'svg'
                    ? node.closest('.plot, .parallel') !== null || node.id === 'js-plotly-tester'
                : node.tagName === 'IMG' ? node.closest('.image-frame') !== null : false;
            if (!ours) bad.push(node.outerHTML.slice(0, 80));
        }
    }
    return bad;
}"""


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("hostile")
    for i, run in enumerate((HOSTILE_RUN, HOSTILE_RUN_2)):
        with writer(logdir / run) as w:
            for step in range(5):
                w.add_scalar(HOSTILE_TAG, float(step + i), step)
                w.add_histogram(HOSTILE_TAG, np.arange(10.0) + step, step)
            w.add_text(HOSTILE_TAG, HOSTILE_TEXT, 0)
            w.add_image(HOSTILE_TAG, np.full((3, 4, 4), 128, dtype=np.uint8), 0)
    with running_board(logdir) as url:
        yield url


def test_hostile_names_and_text_render_inert(hostile_url, page):
    open_board(page, hostile_url, "?tab=scalars&smooth=0")
    names = page.locator(".run-name").all_text_contents()
    assert sorted(names) == sorted([HOSTILE_RUN, HOSTILE_RUN_2])
    wait_for_traces(page, HOSTILE_TAG, "data.length === 2")
    assert page.locator(".scalar-card .card-title").first.text_content() == HOSTILE_TAG
    plot = page.locator(".scalar-card .plot").first
    box = plot.bounding_box()
    for fraction in (0.3, 0.5, 0.6):  # plotly hovers on movement inside the plot
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.4)
    page.wait_for_selector(".chart-tooltip:not([hidden])")
    tooltip = page.locator(".chart-tooltip").text_content()
    assert HOSTILE_RUN in tooltip and HOSTILE_RUN_2 in tooltip
    assert page.evaluate(INJECTION_CHECK) == []
    for tab in ("histograms", "distributions", "images", "text", "runs"):
        page.click(f"button.tab[data-tab='{tab}']")
        page.wait_for_function(f"() => document.body.dataset.tab === '{tab}'")
        page.wait_for_timeout(400)
        assert page.evaluate(INJECTION_CHECK) == [], tab
    page.click("button.tab[data-tab='text']")
    page.locator(".text-card .markdown").first.wait_for()
    markdown = page.locator(".text-card .markdown").first
    assert "<script>alert(4)</script><img src=x onerror=alert(5)>" in markdown.text_content()
    assert markdown.locator("a").count() == 1
    assert markdown.locator("a").get_attribute("href") == "https://example.org/a?b=1"
    assert markdown.locator(".md-link-dropped").text_content() == "click"
    # Grouping puts names into the chart legend under each chart.
    page.goto(hostile_url + "?tab=scalars&smooth=0&group=" + quote("re:nomatch"))
    page.wait_for_selector("body[data-ready='1']")
    wait_for_traces(page, HOSTILE_TAG, "data.length === 6")
    legend = page.locator(".scalar-card .chart-legend .legend-name").all_text_contents()
    assert sorted(legend) == sorted([HOSTILE_RUN, HOSTILE_RUN_2])
    assert page.evaluate(INJECTION_CHECK) == []


MARKDOWN_CASES = [
    ("# Title", "<h1>Title</h1>"),
    (
        "a *b* **c** ~~d~~ `e<f>`",
        "<p>a <em>b</em> <strong>c</strong> <del>d</del> <code>e&lt;f&gt;</code></p>",
    ),
    ("```py\nx = '<b>'\n```", "<pre><code class=\"language-py\">x = '&lt;b&gt;'</code></pre>"),
    (
        "| a | b |\n|:--|--:|\n| 1 | 2 |",
        '<table><thead><tr><th style="text-align: left;">a</th>'
        '<th style="text-align: right;">b</th></tr></thead><tbody>'
        '<tr><td style="text-align: left;">1</td><td style="text-align: right;">2</td>'
        "</tr></tbody></table>",
    ),
    ("- x\n- y\n  - z", "<ul><li>x</li><li>y<ul><li>z</li></ul></li></ul>"),
    ("1. one\n2. two", "<ol><li>one</li><li>two</li></ol>"),
    ("> quoted", "<blockquote><p>quoted</p></blockquote>"),
    ("<div onclick=x>hi</div>", "<p>&lt;div onclick=x&gt;hi&lt;/div&gt;</p>"),
    (
        "[a](javascript:alert(1))",
        '<p><span class="md-link-dropped" title="link target removed">a</span></p>',
    ),
    (
        "![pic](http://h/x.png)",
        '<p><span class="md-image-alt" title="http://h/x.png">[image: pic]</span></p>',
    ),
    ("snake_case_name and _em_", "<p>snake_case_name and <em>em</em></p>"),
    ("line one  \nline two", "<p>line one<br>line two</p>"),
    ("---", "<hr>"),
]


def test_markdown_renderer_on_known_inputs(hostile_url, page):
    open_board(page, hostile_url, "?tab=runs")
    sources = [source for source, _ in MARKDOWN_CASES]
    got = js_module(
        page,
        "markdown.js",
        """(m, sources) => sources.map((s) => {
            const div = document.createElement('div');
            div.append(m.renderMarkdown(s));
            return div.innerHTML;
        })""",
        sources,
    )
    for (source, want), html in zip(MARKDOWN_CASES, got, strict=True):
        assert html == want, source


EXPRESSION_ROWS = [
    {"name": "a_seed1", "lr": 0.001, "opt": "adam", "loss.min": 0.2},
    {"name": "b_seed2", "lr": 0.1, "opt": "sgd", "loss.min": 0.5},
    {"name": "c_seed1", "lr": 0.01, "opt": "sgd", "loss.min": None},
]
EXPRESSIONS = [
    ("lr < 0.01 and loss.min < 0.3", ["a_seed1"]),
    ("lr >= 0.01 or opt == 'adam'", ["a_seed1", "b_seed2", "c_seed1"]),
    ('not (opt = "sgd")', ["a_seed1"]),
    ("name ~ 'seed1$'", ["a_seed1", "c_seed1"]),
    ("loss.min > 0", ["a_seed1", "b_seed2"]),
    ("lr * 10 + 1 == 2", ["b_seed2"]),
    ("`loss.min` / 2 < 0.2", ["a_seed1"]),
    ("-lr > -0.005", ["a_seed1"]),
    ("", ["a_seed1", "b_seed2", "c_seed1"]),
]


def test_filter_expressions_on_known_rows(hostile_url, page):
    open_board(page, hostile_url, "?tab=runs")
    got = js_module(
        page,
        "expr.js",
        """(m, rows, cases) => cases.map(([text]) => {
            const accept = m.compileFilter(text);
            const kept = rows.filter((row) => accept((name) => row[name] ?? undefined));
            return kept.map((r) => r.name);
        })""",
        EXPRESSION_ROWS,
        EXPRESSIONS,
    )
    assert got == [want for _, want in EXPRESSIONS]
    errors = js_module(
        page,
        "expr.js",
        """(m, texts) => texts.map((t) => {
            try { m.compileFilter(t); return null; }
            catch (e) { return e.constructor.name + ': ' + e.message; }
        })""",
        ["lr <", "(lr < 1", "lr < 1 1", "lr $ 2", "alert(1)"],
    )
    assert all(e and e.startswith("ExprError") for e in errors), errors
