"""Issue #13's board points, in process: hostile graphs render, one bad file never stops
ingest (skipped, counted, backed off), idle means idle, and the cached runs listing."""

from __future__ import annotations

import time

import pytest

from board.store import Store
from summaries.proto import graph_pb2

# ---- hostile graphs ----------------------------------------------------------------------------


def _deep_graph(levels: int) -> bytes:
    scope = "/".join(f"s{i}" for i in range(levels))
    graph = graph_pb2.GraphDef()
    graph.node.add(name="x", op="Placeholder")
    graph.node.add(name=f"{scope}/w", op="Const")
    graph.node.add(name=f"{scope}/add", op="Add", input=[f"{scope}/w", "x"])
    graph.node.add(name=f"{scope}/add/inner", op="Relu", input=[f"{scope}/add"])
    return graph.SerializeToString()


def _huge_index_graph() -> bytes:
    graph = graph_pb2.GraphDef()
    placeholder = graph.node.add(name="a", op="Placeholder")
    shape = placeholder.attr["_output_shapes"].list.shape.add()
    shape.dim.add(size=2**62)
    shape.dim.add(size=2**62)
    big = str(2**70)
    graph.node.add(name="b", op="Add", input=[f"a:{big}", "a:2147483648", f"a:{'9' * 5000}"])
    graph.node.add(name="c", op="Relu", input=["b:١٢", "^a"])  # non-ASCII digits
    matmul = graph.node.add(name="m", op="MatMul", input=["a", "b"])
    for _ in range(2):
        shape = matmul.attr["_output_shapes"].list.shape.add()
        shape.dim.add(size=2**62)
        shape.dim.add(size=2**62)
    variable = graph.node.add(name="v", op="VariableV2")
    for _ in range(3):
        variable.attr["shape"].shape.dim.add(size=2**62)
    return graph.SerializeToString()


@pytest.fixture
def hostile_graphs(serve_store):
    store = Store()
    store.set_graph_def("deep", _deep_graph(1500), 1.0)
    store.set_graph_def("indices", _huge_index_graph(), 1.0)
    return serve_store(store)


def _expand_all(board, run: str, groups: list[str]) -> dict:
    params = [("run", run)] + [("expanded", name) for name in groups]
    response = board.client.get("/api/graph", params=params)
    assert response.status_code == 200, response.text[:300]
    scene = response.json()
    closed = [n["name"] for n in scene["nodes"] if n["expandable"] and not n["expanded"]]
    assert not closed, f"{len(closed)} groups left closed"
    return scene


def test_deeply_nested_names_render(hostile_graphs):
    from board.graph.hierarchy import MAX_SCOPE_DEPTH

    groups = ["/".join(f"s{i}" for i in range(k)) for k in range(1, MAX_SCOPE_DEPTH + 1)]
    scene = _expand_all(hostile_graphs, "deep", groups)
    names = {n["name"] for n in scene["nodes"]}
    assert "x" in names
    leaves = [n for n in scene["nodes"] if n["kind"] == "op" and n["name"] != "x"]
    assert leaves, "the deep ops are not drawn"
    deepest = "/".join(f"s{i}" for i in range(1500)) + "/add/inner"
    node = hostile_graphs.get("/api/graph/node", run="deep", name=deepest)
    assert node.status_code == 200, node.text[:300]
    assert node.json()["inputs"][0]["name"].endswith("/add")
    search = hostile_graphs.get("/api/graph/search", run="deep", q="inner")
    assert search.status_code == 200
    assert search.json()["results"][0]["name"] == deepest
    trace = hostile_graphs.get("/api/graph/trace", run="deep", name=deepest)
    assert trace.status_code == 200 and trace.json()["ops"] == 4


def test_input_indices_beyond_int64_render(hostile_graphs):
    scene = hostile_graphs.get("/api/graph", run="indices")
    assert scene.status_code == 200, scene.text[:300]
    body = scene.json()
    assert {("a", "b")} <= {(e["src"], e["dst"]) for e in body["edges"]}
    assert body["root"]["flops"] == 2**63 - 1  # saturated, not wrapped or overflowed
    details = hostile_graphs.get("/api/graph/node", run="indices", name="b")
    assert details.status_code == 200
    assert [i["name"] for i in details.json()["inputs"]] == ["a", "a", "a"]
    for name in ("a", "c", "m", "v"):
        assert hostile_graphs.get("/api/graph/node", run="indices", name=name).status_code == 200


# ---- ingest: one bad file never stops the others -----------------------------------------------


def _hostile_header(length: int) -> bytes:
    """A record header with a valid CRC declaring `length` bytes, and no data."""
    import struct

    from summaries.records import masked_crc32c

    head = struct.pack("<Q", length)
    return head + struct.pack("<I", masked_crc32c(head))


def _ingestor(logdir, reload_interval: float):
    from board.ingest import Ingestor, parse_logdir_spec

    store = Store()
    return store, Ingestor(store, parse_logdir_spec(str(logdir)), reload_interval, progress=False)


GOOD_RUNS = ("b_good", "c_good", "d_good")


def test_failing_file_is_skipped_counted_logged_once_and_backed_off(
    logdir, writers, monkeypatch, caplog
):
    import board.ingest.fs as ingestor_module  # where ingest calls the reader

    writers.write_scalars(logdir / "a_bad", steps=range(5))
    for name in GOOD_RUNS:
        writers.write_scalars(logdir / name, steps=range(7))
    writers.write_scalars(logdir / "b_good", steps=range(7, 9), filename_suffix=".2")
    bad_file = str(next((logdir / "a_bad").iterdir()))
    real_read = ingestor_module.read_scalars
    attempts = []

    def read_scalars(path, *args, **kwargs):
        if path == bad_file:
            attempts.append(time.monotonic())
            raise MemoryError("injected: cannot allocate 274877906944 bytes")
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(ingestor_module, "read_scalars", read_scalars)
    store, ingestor = _ingestor(logdir, reload_interval=0.2)
    caplog.set_level("WARNING", logger="board")
    ingestor.start()
    try:
        assert ingestor.loaded.wait(30)
        for name in GOOD_RUNS:  # the runs after the bad one are all there
            expected = 9 if name == "b_good" else 7
            assert len(store.scalars(name, "loss").step) == expected, name
        assert len(ingestor.failures) == 1
        sweeps, tried = ingestor.sweeps, len(attempts)
        time.sleep(3.0)
        assert ingestor.sweeps - sweeps >= 2  # live updates go on
        assert len(attempts) - tried <= 3  # retried with backoff, not on every sweep
        assert ingestor.failures.retries >= 1
        warnings = [r for r in caplog.records if bad_file in r.getMessage()]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "MemoryError" in warnings[0].getMessage()
        assert not warnings[0].exc_info  # one line, not a traceback per attempt
        # once the file reads again it is loaded and no longer counted as failed
        monkeypatch.setattr(ingestor_module, "read_scalars", real_read)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(ingestor.failures):
            time.sleep(0.1)
        assert len(ingestor.failures) == 0
        assert len(store.scalars("a_bad", "loss").step) == 5
    finally:
        ingestor.stop()


def test_failure_in_the_first_scan_or_the_apply_step_is_contained(logdir, writers, monkeypatch):
    """An exception anywhere in loading one file (the decode of its events here) is caught
    around that file: the first load and the later sweeps go on."""
    import board.ingest.ingestor as ingestor_module

    writers.write_scalars(logdir / "a_bad", steps=range(5))
    for name in GOOD_RUNS:
        writers.write_scalars(logdir / name, steps=range(4))
    real_apply = ingestor_module.Ingestor._apply

    def apply(self, run, state, path, batch):
        if run == "a_bad":
            raise RecursionError("injected")
        return real_apply(self, run, state, path, batch)

    monkeypatch.setattr(ingestor_module.Ingestor, "_apply", apply)
    store, ingestor = _ingestor(logdir, reload_interval=0.2)
    ingestor.start()
    try:
        assert ingestor.loaded.wait(30)
        for name in GOOD_RUNS:
            assert len(store.scalars(name, "loss").step) == 4
        assert len(ingestor.failures) == 1
        sweeps = ingestor.sweeps
        time.sleep(1.5)
        assert ingestor.sweeps - sweeps >= 2
    finally:
        ingestor.stop()


def test_hostile_record_length_leaves_other_runs_served_and_the_board_idle(
    logdir, writers, start_board
):
    (logdir / "a_hostile").mkdir()
    hostile = logdir / "a_hostile" / "events.out.tfevents.1.host.1.0"
    hostile.write_bytes(_hostile_header(2**38) + b"\0" * 64)
    for name in GOOD_RUNS:
        writers.write_scalars(logdir / name, steps=range(6))
    board = start_board(logdir, "--reload_interval", "0.5")
    board.wait_loaded()
    assert set(GOOD_RUNS) <= set(board.get("/data/runs").json())
    for name in GOOD_RUNS:
        points = board.get("/data/plugin/scalars/scalars", run=name, tag="loss").json()
        assert [p[1] for p in points] == list(range(6))
    before = board.get("/api/status").json()
    time.sleep(3.0)
    after = board.get("/api/status").json()
    assert 2 <= after["sweeps"] - before["sweeps"] <= 10  # the polling rhythm, no storm
    assert after["file_retries"] - before["file_retries"] <= 3


def _inotify_masks() -> list[int]:
    """The event masks of every inotify watch this process holds (from /proc)."""
    import os

    masks = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{fd}") as info:
                text = info.read()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("inotify wd:"):
                field = next(f for f in line.split() if f.startswith("mask:"))
                masks.append(int(field[5:], 16))
    return masks


def test_watches_ignore_the_loaders_own_reads(logdir):
    """Reading files and listing directories must raise no inotify events: with 10,000 runs
    each sweep's opens and closes overflowed the kernel's queue, and every overflow made
    watchdog rebuild every watch (which overflowed it again): a full core busy while nothing
    changed. Writes, creations, deletions and moves are still reported at once."""
    in_access, in_close_nowrite, in_open = 0x1, 0x10, 0x20
    payload = None
    for index in range(60):
        run = logdir / f"g{index // 20}" / f"run{index:03d}"
        run.mkdir(parents=True)
        if payload is None:
            from summaries import SummaryWriter

            with SummaryWriter(str(run)) as writer:
                writer.add_scalar("loss", 1.0, 0)
            payload = next(run.iterdir()).read_bytes()
        else:
            (run / f"events.out.tfevents.1.host.{index}.0").write_bytes(payload)
    before = set(_inotify_masks())
    store, ingestor = _ingestor(logdir, reload_interval=0.2)
    ingestor.start()
    try:
        assert ingestor.loaded.wait(30)
        deadline = time.monotonic() + 5
        while ingestor._observer is None and time.monotonic() < deadline:
            time.sleep(0.05)
        masks = _inotify_masks()
        assert len(masks) - len(before) >= 64  # the root, 3 groups and 60 runs are watched
        assert not any(m & (in_access | in_close_nowrite | in_open) for m in masks)
        time.sleep(0.5)
        events, sweeps = ingestor.fs_events, ingestor.sweeps
        time.sleep(2.0)
        assert ingestor.sweeps - sweeps >= 1
        assert ingestor.fs_events == events  # sweeps raised nothing
        added = logdir / "g0" / "run000" / "events.out.tfevents.2.host.0.1"
        added.write_bytes(payload)
        offsets = ingestor.runs["g0/run000"].offsets
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and offsets.get(str(added)) != len(payload):
            time.sleep(0.05)
        assert ingestor.fs_events > events
        assert offsets.get(str(added)) == len(payload)
    finally:
        ingestor.stop()


# ---- /api/runs at many runs: cached per run, never stale ---------------------------------------


def _listing_json(store) -> dict:
    import json

    from board.api.runs_listing import RunsListing

    class Uncached:  # the same store without versions: every entry built anew
        def __getattr__(self, name):
            if name in ("version", "run_version"):
                raise AttributeError(name)
            return getattr(store, name)

    body = json.loads(RunsListing(Uncached()).body())
    assert body["version"] is None  # a store without versions
    return {**body, "version": store.version()}


def test_runs_listing_reuses_entries_and_follows_every_change():
    import json

    import numpy as np

    from board.api.runs_listing import RunsListing

    store = Store()
    for name in ("a", "b", "c"):
        store.add_scalars(name, "loss", np.arange(3), np.arange(3.0) + 10, np.ones(3))
    listing = RunsListing(store)
    first = listing.body()
    assert json.loads(first) == _listing_json(store)
    assert listing.body() == first
    store.add_scalars("b", "acc", np.array([7]), np.array([20.0]), np.array([0.5]))
    store.see_event("b", 1.0, None)  # an earlier first event: only the wall-time span moves
    store.set_graph_def("a", b"", 30.0)
    store.set_hparams("a", {"lr": 0.1}, 31.0)
    store.ensure_run("d")
    store.remove_run("c")
    after = json.loads(listing.body())
    assert after == _listing_json(store)
    by_name = {run["name"]: run for run in after["runs"]}
    assert by_name["b"]["last_step"] == 7 and by_name["b"]["tags"]["scalars"] == ["acc", "loss"]
    assert by_name["b"]["first_wall_time"] == 1.0
    assert by_name["a"]["has_graph"] and by_name["a"]["hparams"] == {"lr": 0.1}
    assert set(by_name) == {"a", "b", "d"}


def test_api_runs_body_is_the_listing(serve_store):
    import numpy as np

    store = Store()
    store.add_scalars("__proto__", "constructor", np.arange(2), np.arange(2.0), np.ones(2))
    board = serve_store(store)
    response = board.get("/api/runs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == _listing_json(store)
    store.add_scalars("__proto__", "constructor", np.array([5]), np.array([9.0]), np.ones(1))
    assert board.get("/api/runs").json()["runs"][0]["last_step"] == 5


def test_files_saved_beside_runs_do_not_trigger_sweeps(logdir, writers):
    """Checkpoints and other files written into a run's folder change no run: they must not
    cost a full sweep each (at 10,000 runs, a sweep is a second of CPU). A new run still
    appears at once."""
    for name in GOOD_RUNS:
        writers.write_scalars(logdir / name, steps=range(3))
    store, ingestor = _ingestor(logdir, reload_interval=60.0)
    ingestor.start()
    try:
        assert ingestor.loaded.wait(30)
        deadline = time.monotonic() + 5
        while ingestor._observer is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        sweeps, events = ingestor.sweeps, ingestor.fs_events
        for step in range(10):
            checkpoint = logdir / "b_good" / f"model.ckpt-{step}.index"
            checkpoint.write_bytes(b"x" * 100)
            checkpoint.rename(logdir / "b_good" / f"model.ckpt-{step}.data")
            (logdir / "b_good" / f"model.ckpt-{step}.data").unlink()
        deadline = time.monotonic() + 5
        while ingestor.fs_events < events + 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert ingestor.fs_events >= events + 30  # the watcher saw them
        assert ingestor.sweeps == sweeps  # and no sweep was made for them
        writers.write_scalars(logdir / "e_new", steps=range(2))
        deadline = time.monotonic() + 10
        while "e_new" not in store.runs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "e_new" in store.runs()
    finally:
        ingestor.stop()
