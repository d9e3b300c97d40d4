"""Discovery, incremental reading, restarts, deletions: the ingestor against real files."""

from __future__ import annotations

import io
import os
import shutil
import time

import numpy as np
import pytest
from PIL import Image

from board.ingest import Ingestor, discover, parse_logdir_spec
from board.store import Store


def _ingest(spec):
    store = Store()
    ing = Ingestor(store, parse_logdir_spec(str(spec)), progress=False)
    ing.sweep()
    return store, ing


def test_parse_logdir_spec(tmp_path):
    (tmp_path / "x").mkdir()
    (root,) = parse_logdir_spec(str(tmp_path / "x"))
    assert root.name is None and root.path == os.path.realpath(tmp_path / "x")
    roots = parse_logdir_spec(f"a:{tmp_path}/x,b:{tmp_path}/y")
    assert [(r.name, r.path) for r in roots] == [
        ("a", os.path.realpath(tmp_path / "x")),
        ("b", os.path.realpath(tmp_path / "y")),
    ]
    with pytest.raises(ValueError, match="repeat"):
        parse_logdir_spec("a:/x,a:/y")
    with pytest.raises(ValueError, match="NAME:PATH"):
        parse_logdir_spec("a:/x,:/y")
    with pytest.raises(ValueError):
        parse_logdir_spec("  ")


def test_discovers_nested_runs_and_root_run(logdir, writers):
    writers.write_scalars(logdir, steps=range(2))
    writers.write_scalars(logdir / "a" / "b" / "c", steps=range(2))
    writers.write_scalars(logdir / "z", steps=range(2))
    (logdir / "empty").mkdir()
    (logdir / "notes.txt").write_text("not an event file")
    store, _ = _ingest(logdir)
    assert sorted(store.runs()) == [".", "a/b/c", "z"]


def test_named_logdirs(tmp_path, writers):
    writers.write_scalars(tmp_path / "one", steps=range(2))
    writers.write_scalars(tmp_path / "two" / "sub", steps=range(3))
    store, _ = _ingest(f"first:{tmp_path / 'one'},second:{tmp_path / 'two'}")
    assert sorted(store.runs()) == ["first", "second/sub"]
    assert len(store.scalars("second/sub", "loss")) == 3


def test_every_file_of_a_run_in_name_order(logdir):
    from tensorboardX import SummaryWriter

    for suffix, steps in (("1", range(0, 5)), ("2", range(5, 10))):
        with SummaryWriter(str(logdir), filename_suffix=f".{suffix}") as w:
            for s in steps:
                w.add_scalar("loss", s, s)
    store, _ = _ingest(logdir)
    assert store.scalars(".", "loss").step.tolist() == list(range(10))


def test_growing_file_is_read_incrementally(tmp_path, logdir, writers):
    from summaries.reader import EventFileReader

    source = writers.write_scalars(tmp_path / "src", steps=range(8))
    (src,) = list(source.iterdir())
    data = src.read_bytes()
    reader = EventFileReader(src)
    ends = [reader.offset for _ in reader.records()]  # file_version, then one per step
    cut = ends[3]  # the offset where the 4th scalar record starts
    path = logdir / src.name
    path.write_bytes(data[:cut])
    store, ing = _ingest(logdir)
    assert store.scalars(".", "loss").step.tolist() == [0, 1, 2]
    assert ing.runs["."].offsets[str(path)] == cut
    with open(path, "ab") as f:
        f.write(data[cut:])
    ing.sweep()
    assert store.scalars(".", "loss").step.tolist() == list(range(8))
    assert ing.runs["."].offsets[str(path)] == len(data)


def test_partial_trailing_record_waits_for_the_rest(logdir, writers):
    writers.write_scalars(logdir, steps=range(6))
    (path,) = [p for p in logdir.iterdir()]
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    store, ing = _ingest(logdir)
    assert len(store.scalars(".", "loss")) == 5
    path.write_bytes(data)
    ing.sweep()
    assert store.scalars(".", "loss").step.tolist() == list(range(6))


def test_purge_step_replaces_points(logdir):
    from tensorboardX import SummaryWriter

    with SummaryWriter(str(logdir), filename_suffix=".a") as w:
        for s in range(10):
            w.add_scalar("loss", s, s)
            w.add_scalar("other", s, s)
    # A restarted job resumes from step 6 (writes SessionLog.START at 6) and only writes "loss".
    with SummaryWriter(str(logdir), purge_step=6, filename_suffix=".b") as w:
        for s in range(6, 8):
            w.add_scalar("loss", 100 + s, s)
    store, _ = _ingest(logdir)
    loss = store.scalars(".", "loss")
    assert loss.step.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert loss.value.tolist() == [0, 1, 2, 3, 4, 5, 106, 107]
    assert store.scalars(".", "other").step.tolist() == [0, 1, 2, 3, 4, 5]


def test_steps_going_back_without_session_log(logdir):
    from tensorboardX import SummaryWriter

    with SummaryWriter(str(logdir)) as w:
        for s in [*range(10), *range(3, 6)]:
            w.add_scalar("loss", s, s)
    store, _ = _ingest(logdir)
    assert store.scalars(".", "loss").step.tolist() == [0, 1, 2, 3, 4, 5]


def test_deleted_file_and_deleted_run(logdir, writers):
    from tensorboardX import SummaryWriter

    with SummaryWriter(str(logdir / "r"), filename_suffix=".1") as w:
        w.add_scalar("loss", 1, 1)
    with SummaryWriter(str(logdir / "r"), filename_suffix=".2") as w:
        w.add_scalar("loss", 2, 2)
    writers.write_scalars(logdir / "gone", steps=range(3))
    store, ing = _ingest(logdir)
    assert store.scalars("r", "loss").step.tolist() == [1, 2]
    (first,) = [p for p in (logdir / "r").iterdir() if p.name.endswith(".1")]
    first.unlink()
    shutil.rmtree(logdir / "gone")
    ing.sweep()
    assert store.runs() == ["r"]
    assert store.scalars("r", "loss").step.tolist() == [2]


def test_truncated_file_reloads_run(logdir, writers):
    writers.write_scalars(logdir, steps=range(10))
    store, ing = _ingest(logdir)
    (path,) = list(logdir.iterdir())
    path.unlink()
    writers.write_scalars(logdir, steps=range(3), fn=lambda t, s: -s)
    ing.sweep()
    assert store.scalars(".", "loss").value.tolist() == [0, -1, -2]


def test_symlinked_file_leaving_the_logdir_is_ignored(tmp_path, writers):
    outside = writers.write_scalars(tmp_path / "outside", steps=range(2))
    (target,) = list(outside.iterdir())
    root = tmp_path / "logs"
    (root / "run").mkdir(parents=True)
    os.symlink(target, root / "run" / target.name)
    os.symlink(outside, root / "linked_dir")
    assert discover(parse_logdir_spec(str(root))) == {}


def test_corrupt_records_are_skipped_not_fatal(logdir, writers):
    writers.write_scalars(logdir, steps=range(20))
    (path,) = list(logdir.iterdir())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip a byte inside some record's payload
    path.write_bytes(bytes(data))
    store, ing = _ingest(logdir)
    loaded = store.scalars(".", "loss")
    assert loaded is not None and 15 <= len(loaded) <= 20


def test_garbage_file_does_not_crash(logdir, writers):
    writers.write_scalars(logdir / "ok", steps=range(3))
    (logdir / "bad").mkdir()
    (logdir / "bad" / "events.out.tfevents.1.garbage").write_bytes(os.urandom(5000))
    big = np.uint64(2**62).tobytes() + b"\0" * 100
    (logdir / "bad" / "events.out.tfevents.2.huge_length").write_bytes(big)
    store, ing = _ingest(logdir)
    assert len(store.scalars("ok", "loss")) == 3
    ing.sweep()  # and again, still fine


def test_runs_are_ordered_by_first_event_like_tensorboard(logdir):
    from summaries import SummaryWriter

    # "b" starts first (its file_version event) but logs its first scalar last.
    with SummaryWriter(str(logdir / "b")) as wb:
        wb.flush()
        time.sleep(0.05)
        with SummaryWriter(str(logdir / "a")) as wa:
            wa.add_scalar("x", 1.0, 0)
        time.sleep(0.05)
        wb.add_scalar("x", 1.0, 0)
    store, _ = _ingest(logdir)
    assert store.runs() == ["b", "a"]


def test_image_bytes_stay_on_disk(logdir):
    """Memory held after ingest does not grow with image bytes: only references are kept."""
    import gc
    import tracemalloc

    from summaries import SummaryWriter

    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (3, 128, 128), dtype=np.uint8)  # ~49 KB PNG each
    with SummaryWriter(str(logdir)) as w:
        for step in range(200):
            w.add_image("img", np.roll(noise, step, axis=2), step)
    on_disk = sum(p.stat().st_size for p in logdir.iterdir())
    assert on_disk > 8_000_000
    gc.collect()
    tracemalloc.start()
    try:
        store, _ = _ingest(logdir)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(store.images(".", "img")) == 200
    assert held < on_disk / 20, (held, on_disk)
    ref = store.images(".", "img")[123]
    img = Image.open(io.BytesIO(store.image_bytes(ref)))
    assert img.size == (128, 128)


@pytest.mark.parametrize("first_load", [True, False])
def test_files_larger_than_a_slice_are_read_whole(logdir, writers, monkeypatch, first_load):
    import board.ingest.ingestor

    monkeypatch.setattr(board.ingest.ingestor, "SLICE_BYTES", 200)  # a few records per native read
    writers.write_scalars(logdir / "big", steps=range(300))
    store = Store()
    ing = Ingestor(store, parse_logdir_spec(str(logdir)), progress=False)
    if first_load:
        ing._initial_load()
    else:
        ing.sweep()
    assert store.scalars("big", "loss").step.tolist() == list(range(300))
    (path,) = (logdir / "big").iterdir()
    assert ing.runs["big"].offsets[str(path)] == os.path.getsize(path)
