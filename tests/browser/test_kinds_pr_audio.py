"""The PR curves, audio, tensors and text-table views, and images with boxes, as a user sees
them: curves drawn with a step slider and a tooltip, players that load the WAV, tensor
summaries and values, tables of Markdown cells (issue #16)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from .conftest import open_board, running_board, screenshot

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "board" / "fixtures" / "tf2_kinds"
PR_STEPS = 4


def _write(logdir: Path) -> None:
    import torch
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from summaries import SummaryWriter

    rng = np.random.default_rng(3)
    for run, skill in (("good", 0.7), ("weak", 0.25)):
        with SummaryWriter(str(logdir / run)) as w:
            for step in range(PR_STEPS):
                labels = rng.integers(0, 2, 200)
                scores = np.clip(
                    labels * skill * (step + 1) / PR_STEPS + rng.random(200) * 0.6, 0, 1
                )
                w.add_pr_curve("pr/cat", labels, scores, step, num_thresholds=33)
                t = np.arange(4000) / 8000
                w.add_audio(
                    "speech/tone", np.sin(2 * np.pi * 220 * (step + 1) * t) * 0.4, step, 8000
                )
                w.add_tensor(
                    "weights", np.arange(12, dtype=np.float32).reshape(3, 4) * (step + 1), step
                )
    with TorchWriter(str(logdir / "torch")) as w:
        image = torch.full((3, 48, 64), 0.15)
        w.add_image_with_boxes("boxed", image, torch.tensor([[8, 6, 40, 30]]), 0, labels=["cat"])
    shutil.copytree(FIXTURES / "tf2", logdir / "tf2")


@pytest.fixture(scope="module")
def board_url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("kinds")
    _write(logdir)
    with running_board(logdir) as url:
        yield url


def test_pr_curves_slider_and_tooltip(board_url, page):
    open_board(page, board_url, "?tab=pr_curves")
    card = ".pr-curves-card[data-key='pr/cat']"
    page.wait_for_function(f'() => document.querySelector("{card} .plot")?.data?.length === 2')
    drawn = page.evaluate(
        f"""() => document.querySelector("{card} .plot").data.map((t) => ({{
            run: t.meta.run, step: t.meta.step, x: Array.from(t.x), y: Array.from(t.y)}}))"""
    )
    assert sorted(d["run"] for d in drawn) == ["good", "weak"]
    assert {d["step"] for d in drawn} == {PR_STEPS - 1}  # the newest step by default
    for d in drawn:  # precision against recall, both in [0, 1]; recall falls as thresholds rise
        assert 2 <= len(d["x"]) <= 33 and all(0 <= v <= 1 for v in d["x"] + d["y"])
        assert d["x"] == sorted(d["x"], reverse=True)
    # A real hover over one point of the good run's curve: the tooltip says what it is.
    page.locator(card).scroll_into_view_if_needed()
    point = page.evaluate(
        f"""() => {{
            const gd = document.querySelector("{card} .plot");
            const i = gd.data.findIndex((t) => t.meta.run === 'good');
            const t = gd.data[i], k = Math.floor(t.x.length / 2), L = gd._fullLayout;
            const box = gd.getBoundingClientRect();
            return {{x: box.left + L._size.l + L.xaxis.d2p(t.x[k]),
                     y: box.top + L._size.t + L.yaxis.d2p(t.y[k])}};
        }}"""
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(f"{card} .hoverlayer .hovertext", timeout=5_000)
    tip = page.locator(f"{card} .hoverlayer .hovertext").first.text_content()
    for word in ("good", "threshold", "precision", "recall", "TP"):
        assert word in tip, tip
    screenshot(page, "pr_curves")
    # Move the good run's slider to step 0: its curve is redrawn at that step.
    page.locator(f"{card} .pr-run[data-run='good'] input.step-slider").fill("0")
    page.wait_for_function(
        f"""() => document.querySelector("{card} .plot").data
            .find((t) => t.meta.run === 'good').meta.step === 0"""
    )
    assert page.locator(f"{card} .pr-run[data-run='weak']").get_attribute("data-step") == "3"


def test_audio_players_load_the_wav(board_url, page):
    open_board(page, board_url, "?tab=audio")
    card = ".audio-card[data-run='good'][data-tag='speech/tone']"
    page.wait_for_selector(f"{card} audio")
    assert page.locator(card).get_attribute("data-step") == str(PR_STEPS - 1)
    src = page.locator(f"{card} audio").get_attribute("src")
    response = page.request.get(src)
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    assert response.body()[:4] == b"RIFF"
    page.wait_for_function(
        f'() => document.querySelector("{card} audio").readyState >= 1', timeout=10_000
    )
    duration = page.evaluate(f'() => document.querySelector("{card} audio").duration')
    assert duration == pytest.approx(0.5, abs=0.01)  # 4000 frames at 8 kHz, decoded by Chromium
    assert "8000 Hz" in page.locator(f"{card} .image-info").text_content()
    page.locator(f"{card} input.step-slider").fill("1")
    page.wait_for_function(f"() => document.querySelector(\"{card}\").dataset.step === '1'")
    assert page.locator(f"{card} audio").get_attribute("src") != src
    tf2 = ".audio-card[data-run='tf2'][data-tag='voice']"
    page.wait_for_function(f'() => document.querySelectorAll("{tf2} audio").length === 2')
    page.wait_for_function(  # every player has read its clip's header (duration shown)
        "() => [...document.querySelectorAll('.audio-card audio')].every((a) => a.readyState >= 1)",
        timeout=10_000,
    )
    screenshot(page, "audio")


def test_tensors_summary_preview_and_values(board_url, page):
    open_board(page, board_url, "?tab=tensors")
    card = ".tensors-card[data-run='good'][data-tag='weights']"
    page.wait_for_selector(f"{card} .tensor-summary")
    summary = page.locator(f"{card} .tensor-summary").text_content()
    assert "float32 [3, 4]" in summary and "12 values" in summary and "plugin tensor" in summary
    expected = (np.arange(12) * PR_STEPS).tolist()
    assert page.locator(f"{card} .tensor-preview").text_content() == (
        "[" + ", ".join(str(v) for v in expected) + "]"
    )
    assert f"max {12 * PR_STEPS - PR_STEPS}" in page.locator(f"{card} .tensor-stats").text_content()
    page.locator(f"{card} button.more").click()
    page.wait_for_selector(f"{card} .tensor-grid")
    cells = page.locator(f"{card} .tensor-grid tr").evaluate_all(
        "(rows) => rows.map((r) => Array.from(r.cells, (c) => c.textContent))"
    )
    assert cells == [[str(v) for v in expected[r * 4 : r * 4 + 4]] for r in range(3)]
    page.locator(f"{card} input.step-slider").fill("0")
    page.wait_for_function(f"() => document.querySelector(\"{card}\").dataset.step === '0'")
    assert page.locator(f"{card} .tensor-preview").text_content().startswith("[0, 1, 2,")
    screenshot(page, "tensors")


def test_text_tensors_are_tables(board_url, page):
    open_board(page, board_url, "?tab=text")
    card = ".text-card[data-run='tf2'][data-tag='table']"
    page.wait_for_selector(f"{card} table.text-table")
    newest = page.locator(f"{card} .text-entry").first
    assert newest.get_attribute("data-step") == "2"
    rows = newest.locator("table.text-table tr").evaluate_all(
        "(rows) => rows.map((r) => Array.from(r.cells, (c) => c.textContent.trim()))"
    )
    assert rows == [[f"r{r}c{c} s2" for c in range(3)] for r in range(2)]
    assert newest.locator("table.text-table td em").first.text_content() == "s2"  # Markdown
    cube = page.locator(".text-card[data-run='tf2'][data-tag='cube'] .text-entry").first
    assert "3-D text tensor [2, 2, 2]" in cube.locator(".text-note").text_content()
    assert cube.locator("table.text-table tr").count() == 2
    page.locator(card).scroll_into_view_if_needed()
    screenshot(page, "text_tables")


def test_images_with_boxes_show(board_url, page):
    open_board(page, board_url, "?tab=images")
    img = ".images-card[data-run='torch'][data-tag='boxed'] img"
    page.wait_for_function(f'() => document.querySelector("{img}")?.naturalWidth === 64')
    # The box is drawn in the pixels: sample the image through a canvas.
    colours = page.evaluate(
        f"""() => {{
            const im = document.querySelector("{img}");
            const c = document.createElement('canvas'); c.width = 64; c.height = 48;
            const g = c.getContext('2d'); g.drawImage(im, 0, 0);
            const at = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3));
            return {{inside: at(20, 18), edge: at(8, 18), outside: at(55, 42)}};
        }}"""
    )
    assert colours["inside"] == colours["outside"]  # the flat grey image
    assert colours["edge"] != colours["outside"]  # the box's left edge
    page.locator(img).scroll_into_view_if_needed()
    screenshot(page, "images_with_boxes")


def test_hostile_names_and_live_steps(tmp_path, page):
    """Run and tag names are shown as text (never markup), `constructor` works as a name, and
    a PR curve written while the page is open shows up on the slider."""
    from summaries import SummaryWriter

    rng = np.random.default_rng(5)
    runs = ["<b>bold</b>", "constructor"]

    def write(run: str, steps: range) -> None:
        with SummaryWriter(str(tmp_path / run)) as w:
            for step in steps:
                labels = rng.integers(0, 2, 50)
                w.add_pr_curve("__proto__", labels, rng.random(50), step, num_thresholds=9)
                w.add_audio("__proto__", rng.uniform(-0.5, 0.5, 800), step, 8000)

    for run in runs:
        write(run, range(2))
    with running_board(tmp_path) as url:
        open_board(page, url, "?tab=pr_curves")
        card = ".pr-curves-card[data-key='__proto__']"
        page.wait_for_function(f'() => document.querySelector("{card} .plot")?.data?.length === 2')
        names = page.locator(f"{card} .pr-run-name").all_text_contents()
        assert sorted(names) == sorted(runs)
        assert page.locator(f"{card} b").count() == 0  # the name is text, not an element
        assert page.locator(
            f"{card} .pr-run[data-run='constructor'] .step-label"
        ).text_content() == ("1 (2/2)")
        write("constructor", range(2, 3))  # a new event file in the run, while the page is open
        page.wait_for_function(
            f"""() => document.querySelector("{card} .pr-run[data-run='constructor'] .step-label")
                ?.textContent === '2 (3/3)'""",
            timeout=20_000,
        )
        open_board(page, url, "?tab=audio")
        page.wait_for_function("() => document.querySelectorAll('.audio-card audio').length === 2")
        assert page.locator(".audio-card b").count() == 0
        subtitles = page.locator(".audio-card").evaluate_all(
            "(cards) => cards.map((c) => c.dataset.run)"
        )
        assert sorted(subtitles) == sorted(runs)
