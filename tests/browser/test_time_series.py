"""The time-series page (issue #17): scalars, histograms and images cards of the matching tags
on one page, pinned cards on top (in the URL), cards mounted as the page scrolls, and the
page the board opens on."""

from __future__ import annotations

import math

import pytest

from .conftest import open_board, running_board, screenshot
from .logs import write_everything, write_scalars, writer

pytestmark = pytest.mark.browser

RUNS = {"lr0.1_seed0": (0, 0.1), "lr0.3_seed1": (1, 0.3), "lr0.3_seed2": (2, 0.3)}
STEPS = 20
WIDE_TAGS = 240  # scalar tags of the wide logdir, in 24 groups

# [{kind, key, group}] of the cards in the page, in page order.
CARDS = """() => [...document.querySelectorAll('.timeseries-view .ts-card')].map((c) => ({
    kind: c.dataset.kind, key: c.dataset.key, tag: c.dataset.tag ?? c.dataset.key,
    run: c.dataset.run ?? null, group: c.closest('.tag-section').dataset.group,
    top: c.getBoundingClientRect().top}))"""
SECTIONS = """() => [...document.querySelectorAll('.timeseries-view .tag-section')]
    .map((s) => s.dataset.group)"""


@pytest.fixture(scope="module")
def board_url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("timeseries")
    for run, (seed, lr) in RUNS.items():
        write_everything(logdir, run, seed, lr, STEPS)
    with running_board(logdir) as url:
        yield url


@pytest.fixture(scope="module")
def wide_url(tmp_path_factory):
    """Two runs of many scalar tags: more cards than a screen holds, many times over."""
    logdir = tmp_path_factory.mktemp("wide")
    tags = {
        f"group{t % 24:02d}/tag{t:03d}": [math.sin(t + s) for s in range(8)]
        for t in range(WIDE_TAGS)
    }
    write_scalars(logdir / "a", tags)
    write_scalars(logdir / "b", {tag: [v + 1 for v in values] for tag, values in tags.items()})
    with running_board(logdir) as url:
        yield url


def filter_tags(page, pattern: str) -> None:
    page.fill("input.tag-filter", pattern)
    page.wait_for_function(
        "(p) => new URLSearchParams(location.search).get('tags') === p", arg=pattern
    )


DRAWN = """([key, kind, runs, steps]) => {
    const c = [...document.querySelectorAll('.timeseries-view .ts-card')]
        .find((c) => c.dataset.key === key && c.dataset.kind === kind);
    const plot = c?.querySelector('.plot');
    if (kind === 'scalars') return plot?.dataset.chart === 'plotly'
        && new Set(plot.lines.map((t) => t.meta.run)).size === runs;
    if (kind === 'histograms') return plot?.data?.length === steps;
    const img = c?.querySelector('.image-frame img');
    return Boolean(img?.complete && img.naturalWidth > 0);
}"""


def wait_drawn(page) -> None:
    """Each card of the page, scrolled to, draws what the user sees: the scalar chart with a
    line per run, the histogram's ridges, the image's pixels."""
    for card in page.evaluate(CARDS):
        kind, key = card["kind"], card["key"]
        page.evaluate(
            """([key, kind]) => [...document.querySelectorAll('.ts-card')]
                .find((c) => c.dataset.key === key && c.dataset.kind === kind)
                .scrollIntoView()""",
            [key, kind],
        )
        page.wait_for_function(DRAWN, arg=[key, kind, len(RUNS), STEPS], timeout=20_000)


def test_the_board_opens_on_the_time_series_page(board_url, page):
    open_board(page, board_url)
    assert page.evaluate("() => document.body.dataset.tab") == "timeseries"
    tab = page.locator("button.tab[data-tab='timeseries']")
    assert tab.get_attribute("aria-selected") == "true"
    assert tab.text_content() == "Time Series"
    assert page.locator("button.tab").first.get_attribute("data-tab") == "timeseries"
    # every scalar tag, histogram and image of the logdir; no text (the time series has none)
    page.locator(".timeseries-view .ts-card").first.wait_for()
    kinds = {(c["kind"], c["tag"]) for c in page.evaluate(CARDS)}
    assert kinds == {
        ("scalars", "final_loss"),  # the hparams metric, in each run's hparams child run
        ("scalars", "loss"),
        ("scalars", "metrics/accuracy"),
        ("histograms", "weights/layer1"),
        ("images", "samples/input"),
    }


def test_a_tag_filter_shows_cards_of_all_three_kinds_grouped_by_prefix(board_url, page):
    open_board(page, board_url)
    filter_tags(page, "^loss$|layer1|input")
    page.wait_for_function(f"() => ({SECTIONS})().join() === 'loss,samples,weights'")
    wait_drawn(page)
    cards = page.evaluate(CARDS)
    assert [(c["group"], c["kind"], c["tag"], c["run"]) for c in cards] == [
        ("loss", "scalars", "loss", None),
        *[("samples", "images", "samples/input", run) for run in RUNS],
        *[("weights", "histograms", "weights/layer1", run) for run in RUNS],
    ]
    # what is drawn is the data: the last loss of each run, the image's first pixel
    lines = page.evaluate(
        """() => document.querySelector(".ts-card[data-kind='scalars'] .plot").lines
            .map((t) => [t.meta.run, t.meta.kind, t.y.length])"""
    )
    assert {run for run, _, _ in lines} == set(RUNS)
    assert all(n == STEPS for _, _, n in lines)
    pixel = page.evaluate(
        """() => { const i = document.querySelector(
                ".ts-card[data-kind='images'][data-run='lr0.3_seed1'] .image-frame img");
            const c = document.createElement('canvas'); c.width = i.naturalWidth;
            c.height = i.naturalHeight; const g = c.getContext('2d'); g.drawImage(i, 0, 0);
            return Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3)); }"""
    )
    assert pixel == [15 * 12, 255, 0]  # the image of the last step written (15)
    screenshot(page, "time-series-filtered")
    # a filter that matches nothing says so
    filter_tags(page, "no-such-tag")
    page.wait_for_selector(".timeseries-view p.empty")
    assert page.evaluate(CARDS) == []


def test_pin_moves_a_card_to_the_top_and_survives_reload(board_url, page):
    open_board(page, board_url)
    last = "weights/layer1\u001flr0.3_seed2"
    card = page.locator(".ts-card[data-kind='histograms'][data-run='lr0.3_seed2']")
    card.scroll_into_view_if_needed()
    card.locator("button.pin").click()
    page.wait_for_function(f"() => ({SECTIONS})()[0] === '★ Pinned'")
    page.wait_for_function(
        "(k) => new URLSearchParams(location.search).getAll('pin').includes(k)", arg=last
    )

    def check_pinned():
        cards = page.evaluate(CARDS)
        assert (cards[0]["kind"], cards[0]["key"], cards[0]["group"]) == (
            "histograms",
            last,
            "★ Pinned",
        )
        assert [c["key"] for c in cards].count(last) == 1  # moved, not copied
        assert cards[0]["top"] == min(c["top"] for c in cards)  # the card the user sees first
        assert card.locator("button.pin").get_attribute("aria-pressed") == "true"

    check_pinned()
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function(f"() => ({SECTIONS})()[0] === '★ Pinned'")
    check_pinned()
    page.wait_for_function(
        "() => document.querySelector(\".ts-card[data-run='lr0.3_seed2'] .plot\")"
        "?.data?.length === 20",
    )
    # pinned cards stay whatever the tag filter
    filter_tags(page, "^loss$")
    page.wait_for_function(f"() => ({SECTIONS})().join() === '★ Pinned,loss'")
    # unpinning puts it back in its group
    card.locator("button.pin").click()
    page.wait_for_function(f"() => ({SECTIONS})().join() === 'loss'")
    filter_tags(page, "layer1")
    page.wait_for_function(f"() => ({SECTIONS})().join() === 'weights'")


@pytest.mark.parametrize(
    ("tab", "selector", "kind", "key"),
    [
        ("scalars", ".scalar-card[data-key='metrics/accuracy']", "scalars", "metrics/accuracy"),
        (
            "histograms",
            ".histograms-card[data-tag='weights/layer1'][data-run='lr0.1_seed0']",
            "histograms",
            "weights/layer1\u001flr0.1_seed0",
        ),
        (
            "images",
            ".images-card[data-tag='samples/input'][data-run='lr0.3_seed1']",
            "images",
            "samples/input\u001flr0.3_seed1",
        ),
    ],
)
def test_a_card_pinned_on_its_own_tab_is_pinned_on_the_time_series(
    board_url, page, tab, selector, kind, key
):
    open_board(page, board_url, f"?tab={tab}")
    page.locator(f"{selector} button.pin").click()
    page.wait_for_function(
        "(k) => new URLSearchParams(location.search).getAll('pin').includes(k)", arg=key
    )
    page.click("button.tab[data-tab='timeseries']")
    page.wait_for_function(f"() => ({SECTIONS})()[0] === '★ Pinned'")
    cards = page.evaluate(CARDS)
    assert [(c["kind"], c["key"]) for c in cards if c["group"] == "★ Pinned"] == [(kind, key)]


def test_scrolling_mounts_and_draws_later_cards(wide_url, page):
    open_board(page, wide_url)
    page.wait_for_function(
        "() => document.querySelector('.ts-card .plot[data-chart]') !== null", timeout=20_000
    )
    mounted = page.evaluate(CARDS)
    assert 0 < len(mounted) <= 72, len(mounted)  # a few slices, not all 240
    last = f"group23/tag{WIDE_TAGS - 1:03d}"
    assert page.locator(f".ts-card[data-key='{last}']").count() == 0
    # a mounted card below the screen has not drawn yet
    below = page.evaluate(
        """() => [...document.querySelectorAll('.ts-card')]
            .filter((c) => c.getBoundingClientRect().top > window.innerHeight + 50)
            .map((c) => Boolean(c.querySelector('.plot')?.dataset.chart))"""
    )
    assert below and not any(below)
    # scrolling down mounts the rest, slice by slice
    for _ in range(60):
        if page.locator(f".ts-card[data-key='{last}']").count():
            break
        page.evaluate(
            "() => { const m = document.querySelector('main.content');"
            " m.scrollTop = m.scrollHeight; }"
        )
        page.wait_for_timeout(150)
    card = page.locator(f".ts-card[data-key='{last}']")
    assert card.count() == 1
    card.scroll_into_view_if_needed()
    page.wait_for_function(
        """(k) => { const p = document.querySelector(`.ts-card[data-key='${k}'] .plot`);
            return p?.dataset.chart && new Set(p.lines.map((t) => t.meta.run)).size === 2; }""",
        arg=last,
        timeout=20_000,
    )
    assert len(page.evaluate(CARDS)) == WIDE_TAGS
    counts = page.evaluate(
        """() => [...document.querySelectorAll('.tag-section .count')].map((c) => c.textContent)"""
    )
    assert counts == [" (10)"] * 24


def test_live_points_reach_the_time_series_cards(tmp_path, page):
    write_scalars(tmp_path / "run", {"loss": [1.0, 0.5]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?smooth=0")
        page.wait_for_function(
            """() => document.querySelector(".ts-card[data-key='loss'] .plot")?.lines?.[0]
                ?.y.length === 2""",
            timeout=20_000,
        )
        with writer(tmp_path / "run") as w:
            for step in range(2, 6):
                w.add_scalar("loss", 1.0 / step, step)
        page.wait_for_function(
            """() => document.querySelector(".ts-card[data-key='loss'] .plot")?.lines?.[0]
                ?.y.length === 6""",
            timeout=20_000,
        )


def test_links_to_other_tabs_keep_working(board_url, page):
    open_board(page, board_url, "?tab=scalars&smooth=0")
    assert page.evaluate("() => document.body.dataset.tab") == "scalars"
    page.locator(".scalars-view .scalar-card[data-key='loss']").wait_for()
    # choosing a tab writes it into the URL, so a reload shows that tab, not the landing page
    open_board(page, board_url)
    page.click("button.tab[data-tab='scalars']")
    page.wait_for_function("() => new URLSearchParams(location.search).get('tab') === 'scalars'")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("() => document.body.dataset.tab") == "scalars"
    page.go_back()
    page.wait_for_function("() => document.body.dataset.tab === 'timeseries'")
    open_board(page, board_url, "?tab=histograms&runs=seed1")
    page.locator(".histograms-card[data-run='lr0.3_seed1']").wait_for()
    assert page.locator(".histograms-card").count() == 1


def test_a_logdir_without_scalars_opens_on_its_first_kind(tmp_path, page):
    with writer(tmp_path / "hist") as w:
        w.add_histogram("weights", [0.0, 1.0, 2.0], 0)
    with running_board(tmp_path) as url:
        open_board(page, url)
        assert page.evaluate("() => document.body.dataset.tab") == "histograms"


def test_a_folded_section_keeps_its_title_and_builds_no_cards(board_url, page):
    open_board(page, board_url)
    page.locator(".ts-card[data-kind='histograms']").first.wait_for()
    page.click(".timeseries-view .tag-section[data-group='weights'] .section-title")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).getAll('fold').includes('weights')"
    )
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    section = page.locator(".timeseries-view .tag-section[data-group='weights']")
    section.wait_for()
    assert section.locator(".count").text_content() == f" ({len(RUNS)})"
    assert section.locator(".ts-card").count() == 0
    assert {c["kind"] for c in page.evaluate(CARDS)} == {"scalars", "images"}
    section.locator(".section-title").click()
    page.locator(".ts-card[data-kind='histograms']").first.wait_for()
    assert section.locator(".ts-card").count() == len(RUNS)
