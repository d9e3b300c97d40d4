"""The design standard (issue #17, docs/design.md): colours a colour-blind user can tell apart,
run colours that stay put and can be picked, dark mode, settings remembered across visits, a
resizable sidebar, adjustable card width, a header that fits at 768 and 1280 px, a visible
focus ring. Each test looks at what the user sees: computed colours, pixels, layout boxes."""

from __future__ import annotations

import itertools
import math
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import open_board, running_board, screenshot, wait_for_traces
from .logs import write_scalars

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "demo_logs"
OKABE_ITO = {"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000", "#f0e442"}

# Colour-vision deficiency simulation in linear RGB, severity 1 (Machado, Oliveira & Fernandes,
# "A Physiologically-based Model for Simulation of Color Vision Deficiency", 2009).
DEUTERANOPIA = (
    (0.367322, 0.860646, -0.227968),
    (0.280085, 0.672501, 0.047413),
    (-0.011820, 0.042940, 0.968881),
)
PROTANOPIA = (
    (0.152286, 1.052583, -0.204868),
    (0.114503, 0.786281, 0.099216),
    (-0.003882, -0.048116, 1.051998),
)
NORMAL = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
VISIONS = (("normal", NORMAL), ("deuteranopia", DEUTERANOPIA), ("protanopia", PROTANOPIA))
MIN_DELTA_E = 10.0  # CIEDE2000; about 2.3 is a just-noticeable difference


def parse_color(text: str) -> tuple[float, float, float]:
    """'#rrggbb' or 'rgb(r, g, b)' as sRGB in 0..1."""
    text = text.strip().lower()
    if text.startswith("#"):
        return tuple(int(text[i : i + 2], 16) / 255 for i in (1, 3, 5))
    numbers = [float(n) for n in re.findall(r"[\d.]+", text)[:3]]
    return tuple(n / 255 for n in numbers)


def to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def lab(rgb, matrix=NORMAL) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour as seen through `matrix` (a CVD simulation)."""
    lin = [to_linear(c) for c in rgb]
    lin = [min(1.0, max(0.0, sum(m * v for m, v in zip(row, lin, strict=True)))) for row in matrix]
    r, g, b = lin
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1 = math.degrees(math.atan2(b1, a1p)) % 360
    h2 = math.degrees(math.atan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0 if c1p * c2p == 0 else ((h2 - h1 + 180) % 360) - 180
    dhh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_barp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_barp**7 / (c_barp**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_barp
    s_h = 1 + 0.015 * c_barp * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    terms = (dl / s_l) ** 2 + (dc / s_c) ** 2 + (dhh / s_h) ** 2
    return math.sqrt(terms + r_t * (dc / s_c) * (dhh / s_h))


def luminance(rgb) -> float:
    r, g, b = (to_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_colour_maths_matches_published_values():
    # Sharma et al.'s test pair 1, and red/green merging under deuteranopia
    assert delta_e2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-3)
    red, green = parse_color("#d62728"), parse_color("#2ca02c")
    assert delta_e2000(lab(red), lab(green)) > 40
    assert delta_e2000(lab(red, DEUTERANOPIA), lab(green, DEUTERANOPIA)) < 15


@pytest.fixture(scope="module")
def demo_board():
    with running_board(DEMO) as url:
        yield url


def legend_colours(page, tag: str) -> dict[str, str]:
    return page.evaluate(
        """(tag) => {
            const plot = document.querySelector(`.scalar-card .plot[data-tag="${tag}"]`);
            const legend = plot.closest('.card').querySelector('.chart-legend');
            const items = legend.querySelectorAll('.legend-item:not(.legend-tag)');
            return Object.fromEntries([...items].map((item) =>
                [item.textContent, getComputedStyle(item.querySelector('.chip')).backgroundColor]));
        }""",
        tag,
    )


@pytest.mark.parametrize(
    ("group", "count"),
    [("hp:optimizer", 3), (r"re:lr([0-9.]+)", 7)],
    ids=["by-optimizer", "seven-regex-groups"],
)
def test_group_colours_differ_for_normal_and_colour_blind_vision(demo_board, page, group, count):
    tag = "validation/accuracy"
    runs = quote("^compare_optimizers/[^/]*$")
    open_board(page, demo_board, f"?tab=scalars&runs={runs}&group={quote(group)}")
    page.locator(f".scalar-card .plot[data-tag='{tag}']").scroll_into_view_if_needed()
    wait_for_traces(page, tag, f"data.filter((t) => t.meta.kind === 'mean').length === {count}")
    colours = legend_colours(page, tag)
    assert len(colours) == count, colours
    for (name_a, a), (name_b, b) in itertools.combinations(colours.items(), 2):
        for vision, matrix in VISIONS:
            distance = delta_e2000(lab(parse_color(a), matrix), lab(parse_color(b), matrix))
            assert distance >= MIN_DELTA_E, f"{name_a} {a} / {name_b} {b}, {vision}: {distance:.1f}"
    screenshot(page, f"design-groups-{count}")


def chip_colours(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.run-row')].map(
            (row) => [row.dataset.run, row.querySelector('.color-chip').dataset.color]))"""
    )


def test_a_run_keeps_its_colour_when_runs_appear_or_are_filtered(tmp_path, page):
    for name in ("bravo", "delta"):
        write_scalars(tmp_path / name, {"loss": [1.0, 0.5, 0.25]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=scalars&smooth=0")
        before = chip_colours(page)
        assert set(before) == {"bravo", "delta"} and before["bravo"] != before["delta"]
        for name in ("alpha", "charlie", "echo"):  # sort before and between the first two
            write_scalars(tmp_path / name, {"loss": [1.0, 0.5, 0.25]})
        page.wait_for_function("document.querySelectorAll('.run-row').length === 5", timeout=20_000)
        after = chip_colours(page)
        assert after["bravo"] == before["bravo"] and after["delta"] == before["delta"]
        assert len(set(after.values())) == 5  # five runs, five of the seven slots
        assert set(after.values()) <= OKABE_ITO
        page.fill(".run-filter", "^delta$")
        page.wait_for_function("document.querySelectorAll('.run-row').length === 1")
        assert chip_colours(page) == {"delta": before["delta"]}
        wait_for_traces(page, "loss", "data.length === 1")
        drawn = "() => document.querySelector('.plot[data-tag=loss]').lines[0].line.color"
        assert page.evaluate(drawn) == before["delta"]


# Pixels of a chart's line canvas within `tolerance` of colour `hex`.
PIXELS_OF = """([tag, hex, tolerance]) => {
    const plot = document.querySelector(`.scalar-card .plot[data-tag="${tag}"]`);
    const canvas = plot?.querySelector('canvas.line-layer');
    if (!canvas) return 0;
    const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && want.every((v, k) => Math.abs(data[i + k] - v) <= tolerance)) n++;
    }
    return n;
}"""


def test_a_picked_run_colour_is_drawn_and_remembered(tmp_path, page):
    write_scalars(tmp_path / "a", {"loss": [3.0, 2.0, 1.5, 1.0, 0.8]})
    write_scalars(tmp_path / "b", {"loss": [2.5, 2.2, 1.0, 0.9, 0.2]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=scalars&smooth=0")
        wait_for_traces(page, "loss", "data.length === 2")
        magenta = "#ff00ff"
        assert page.evaluate(PIXELS_OF, ["loss", magenta, 40]) == 0
        page.click(".run-row[data-run='a'] .color-chip")
        page.locator(".color-picker-input").fill(magenta)
        page.wait_for_function(f"({PIXELS_OF})(['loss', '{magenta}', 40]) > 100", timeout=10_000)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        wait_for_traces(page, "loss", "data.length === 2")
        page.wait_for_function(f"({PIXELS_OF})(['loss', '{magenta}', 40]) > 100", timeout=10_000)
        chip = ".run-row[data-run='{}'] .color-chip"
        assert page.get_attribute(chip.format("a"), "data-color") == magenta
        assert page.get_attribute(chip.format("b"), "data-color") != magenta
        # the chip shows it, and Alt+click gives the run its own colour back
        assert (
            page.evaluate(
                f"getComputedStyle(document.querySelector({chip.format('a')!r})).backgroundColor"
            )
            == "rgb(255, 0, 255)"
        )
        page.click(chip.format("a"), modifiers=["Alt"])
        page.wait_for_function(f"({PIXELS_OF})(['loss', '{magenta}', 40]) === 0", timeout=10_000)
        screenshot(page, "design-picked-colour")


def background(page, selector: str):
    script = f"() => getComputedStyle(document.querySelector({selector!r})).backgroundColor"
    return parse_color(page.evaluate(script))


def chart_text_colour(page, tag: str):
    return parse_color(
        page.evaluate(
            """(tag) => {
                const text = document.querySelector(`.plot[data-tag="${tag}"] .xtick text`);
                return getComputedStyle(text).fill;
            }""",
            tag,
        )
    )


def test_dark_mode_follows_the_system_and_the_toggle(tmp_path, page):
    write_scalars(tmp_path / "run", {"loss": [3.0, 2.0, 1.5, 1.0, 0.8]})
    with running_board(tmp_path) as url:
        page.emulate_media(color_scheme="dark")
        open_board(page, url, "?tab=scalars")
        wait_for_traces(page, "loss", "data.length >= 1")
        assert luminance(background(page, "body")) < 0.03
        assert luminance(background(page, ".card")) < 0.05
        # the chart's own text is light on the dark card
        page.wait_for_selector(".plot[data-tag='loss'] .xtick text")
        assert contrast(chart_text_colour(page, "loss"), background(page, ".card")) >= 4.5
        screenshot(page, "design-dark")
        page.click(".theme-toggle")  # the user's choice wins over the system's
        page.wait_for_function("document.documentElement.dataset.theme === 'light'")
        assert luminance(background(page, "body")) > 0.8
        assert luminance(background(page, ".card")) > 0.9
        page.wait_for_function(
            """() => { const t = document.querySelector('.plot[data-tag="loss"] .xtick text');
                       const [r] = getComputedStyle(t).fill.match(/\\d+/g).map(Number);
                       return r < 100; }"""
        )
        assert contrast(chart_text_colour(page, "loss"), background(page, ".card")) >= 4.5
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        assert "theme=light" in page.url


def test_settings_are_remembered_and_the_url_wins(tmp_path, page):
    write_scalars(tmp_path / "one", {"loss": [3.0, 2.0, 1.0], "acc": [0.1, 0.5, 0.9]})
    write_scalars(tmp_path / "two", {"loss": [2.0, 1.5, 1.2], "acc": [0.2, 0.4, 0.6]})
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=scalars")
        page.fill(".smoothing-number", "0.3")
        page.press(".smoothing-number", "Enter")
        page.check("input[name=logY]")
        page.select_option("select[name=xAxis]", "relative")
        page.fill(".tag-filter", "loss")
        page.uncheck(".run-row[data-run='two'] input[type=checkbox]")
        page.click(".theme-toggle")
        page.focus(".sidebar-resizer")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => /tags=loss.*smooth=0.3|smooth=0.3.*tags=loss/.test(location.search)"
        )
        page.goto(url)  # a bare address: everything comes back from the last visit
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector(".scalar-card")
        assert page.input_value(".smoothing-number") == "0.3"
        assert page.is_checked("input[name=logY]")
        assert page.input_value("select[name=xAxis]") == "relative"
        assert page.input_value(".tag-filter") == "loss"
        assert not page.is_checked(".run-row[data-run='two'] input[type=checkbox]")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert sidebar_width(page) == pytest.approx(276, abs=1)
        assert [c.get_attribute("data-key") for c in page.locator(".scalar-card").all()] == ["loss"]
        page.goto(url + "?smooth=0.8&tab=scalars")  # the URL names smoothing: it wins
        page.wait_for_selector("body[data-ready='1']")
        assert page.input_value(".smoothing-number") == "0.8"
        assert page.is_checked("input[name=logY]")


def sidebar_width(page) -> float:
    return page.evaluate("document.querySelector('.sidebar').getBoundingClientRect().width")


def run_name_fits(page, name: str) -> bool:
    return page.evaluate(
        """(name) => { const el = document.querySelector(`.run-row[data-run="${name}"] .run-name`);
                       return el.scrollWidth <= el.clientWidth; }""",
        name,
    )


def test_the_sidebar_drags_wider_and_long_names_show_whole(demo_board, page):
    name = "compare_optimizers/momentum_lr0.003_seed2"
    open_board(page, demo_board, f"?tab=text&runs={quote('momentum_lr0.003_seed2')}")
    page.wait_for_selector(f".run-row[data-run='{name}']")
    assert not run_name_fits(page, name)  # cut off at the default width
    assert page.get_attribute(f".run-row[data-run='{name}'] label", "title") == name
    handle = page.locator(".sidebar-resizer").bounding_box()
    start = sidebar_width(page)
    page.mouse.move(handle["x"] + 3, handle["y"] + 200)
    page.mouse.down()
    page.mouse.move(handle["x"] + 120, handle["y"] + 200, steps=5)
    page.mouse.move(handle["x"] + 160, handle["y"] + 200, steps=5)
    page.mouse.up()
    wide = sidebar_width(page)
    assert wide == pytest.approx(start + 157, abs=4)
    assert run_name_fits(page, name)
    page.focus(".sidebar-resizer")
    page.keyboard.press("ArrowLeft")
    narrower = sidebar_width(page)
    assert narrower == pytest.approx(wide - 16, abs=1)
    screenshot(page, "design-wide-sidebar")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert sidebar_width(page) == pytest.approx(narrower, abs=1)


def test_card_width_setting_relays_out_the_charts(tmp_path, page):
    for name in ("a", "b"):
        write_scalars(tmp_path / name, {f"m/t{i}": [1.0, 2.0, 3.0] for i in range(4)})
    with running_board(tmp_path) as url:
        page.set_viewport_size({"width": 1280, "height": 800})
        open_board(page, url, "?tab=scalars&smooth=0")
        wait_for_traces(page, "m/t0", "data.length === 2")
        width_of = "() => document.querySelector('.scalar-card .plot svg').width.baseVal.value"
        cards_per_row = """() => {
            const tops = [...document.querySelectorAll('.scalar-card')]
                .map((c) => c.getBoundingClientRect().top);
            return tops.filter((t) => t === tops[0]).length; }"""
        narrow = page.evaluate(width_of)
        assert page.evaluate(cards_per_row) == 2
        page.click(".settings-button")
        page.locator(".card-width").fill("900")
        page.wait_for_function(f"({width_of})() > {narrow + 300}", timeout=10_000)
        assert page.evaluate(cards_per_row) == 1
        card = page.evaluate("document.querySelector('.scalar-card').getBoundingClientRect().width")
        assert page.evaluate(width_of) == pytest.approx(card - 26, abs=30)  # fills its card
        page.keyboard.press("Escape")
        screenshot(page, "design-card-width")


TAB_IDS = "[...document.querySelectorAll('.tabs .tab')]"
TABS_ROW = """() => {
    const header = document.querySelector('.topbar');
    const tabs = [...document.querySelectorAll('.tabs .tab, .tab-more')].filter((t) => !t.hidden);
    const tops = new Set(tabs.map((t) => Math.round(t.getBoundingClientRect().top)));
    const right = Math.max(...[...header.children].map((c) => c.getBoundingClientRect().right));
    return {overflow: header.scrollWidth - header.clientWidth,
            pageOverflow: document.documentElement.scrollWidth - innerWidth,
            rows: tops.size, right, width: innerWidth, shown: tabs.length};
}"""


@pytest.mark.parametrize("width", [1280, 768])
def test_the_header_fits_on_one_row(demo_board, page, width):
    page.set_viewport_size({"width": width, "height": 800 if width == 1280 else 1024})
    for tab in ("scalars", "text", "graph"):
        open_board(page, demo_board, f"?tab={tab}")
        fit = page.evaluate(TABS_ROW)
        assert fit["overflow"] <= 0 and fit["pageOverflow"] <= 0, fit
        assert fit["rows"] == 1 and fit["right"] <= width, fit
        assert page.get_attribute(f".tab[data-tab='{tab}']", "aria-selected") == "true"
        assert tab not in out_of_view(page)  # the open tab is scrolled into view
        screenshot(page, f"design-header-{tab}-{width}")
    # every tab stays reachable: the ones out of the row's view are in the More menu
    hidden = out_of_view(page)
    assert hidden, "at this width some tabs should be out of view"
    page.click(".tab-more")
    assert page.locator(".tab-menu [role=menuitem]").all_text_contents() == [
        page.text_content(f".tab[data-tab='{t}']") for t in hidden
    ]
    page.click(f".tab-menu [data-tab='{hidden[-1]}']")
    page.wait_for_function(f"document.body.dataset.tab === '{hidden[-1]}'")
    page.wait_for_timeout(200)
    assert hidden[-1] not in out_of_view(page)
    assert page.evaluate(TABS_ROW)["rows"] == 1


def out_of_view(page) -> list[str]:
    """The tabs not wholly inside the tab row's visible part."""
    return page.evaluate(
        f"""() => {{ const row = document.querySelector('.tabs').getBoundingClientRect();
            return {TAB_IDS}.filter((t) => {{ const b = t.getBoundingClientRect();
                return b.left < row.left - 1 || b.right > row.right + 1; }})
                .map((t) => t.dataset.tab); }}"""
    )


def test_keyboard_focus_is_visible(demo_board, page):
    open_board(page, demo_board, "?tab=scalars")
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
                       let bg = null;
                       for (let n = el; n && !bg; n = n.parentElement) {
                           const c = getComputedStyle(n).backgroundColor;
                           if (!/rgba\\(0, 0, 0, 0\\)|transparent/.test(c)) bg = c;
                       }
                       return {tag: el.tagName, cls: el.className, style: s.outlineStyle,
                               width: parseFloat(s.outlineWidth), color: s.outlineColor, bg}; }"""
        )
        seen.append(focus)
        assert focus["style"] == "solid" and focus["width"] >= 2, focus
        assert contrast(parse_color(focus["color"]), parse_color(focus["bg"])) >= 3, focus
    assert any(f["cls"] == "tab" for f in seen), seen
    screenshot(page, "design-focus")
    # the resize handle and the sidebar's controls are reachable too
    page.focus(".sidebar-resizer")
    ring = page.evaluate("getComputedStyle(document.activeElement).borderRightColor")
    assert ring != "rgba(0, 0, 0, 0)"


@pytest.mark.parametrize(
    ("theme", "width", "height"),
    [("light", 1280, 800), ("dark", 768, 1024)],
    ids=["light-1280", "dark-768"],
)
def test_every_view_fits_in_both_themes(demo_board, page, theme, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_board(page, demo_board, f"?tab=text&theme={theme}")
    tabs = page.evaluate(f"() => {TAB_IDS}.map((t) => t.dataset.tab)")
    for tab in tabs:
        page.goto(f"{demo_board}?tab={tab}&theme={theme}")
        page.wait_for_selector("body[data-ready='1']", timeout=90_000)  # the runs view is heavy
        time.sleep(0.3)
        fit = page.evaluate(TABS_ROW)
        assert fit["overflow"] <= 0 and fit["pageOverflow"] <= 0 and fit["rows"] == 1, (tab, fit)
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        screenshot(page, f"view-{tab}-{theme}-{width}")


def test_the_tag_filter_text_is_readable_in_the_top_bar(tmp_path, page):
    write_scalars(tmp_path / "one", {"loss": [3.0, 2.0, 1.0]})
    with running_board(tmp_path) as url:
        for theme in ("light", "dark"):
            open_board(page, url, f"?tab=scalars&tags=loss&theme={theme}")
            colors = page.evaluate(
                """() => {
                  const input = document.querySelector('.tag-filter');
                  const bar = document.querySelector('.topbar');
                  return [getComputedStyle(input).color, getComputedStyle(input).backgroundColor,
                          getComputedStyle(bar).backgroundColor];
                }"""
            )
            text, over, bar = colors
            # The input's background is a translucent tint over the bar: compose them.
            alpha = float(re.findall(r"[\d.]+", over)[3]) if over.startswith("rgba") else 1.0
            bg = tuple(
                a * alpha + b * (1 - alpha)
                for a, b in zip(parse_color(over), parse_color(bar), strict=True)
            )
            assert contrast(parse_color(text), bg) >= 4.5, (theme, colors)
            assert page.input_value(".tag-filter") == "loss"
