"""`FastPathApp`: the hot reads answered without FastAPI, byte for byte as the FastAPI routes
answer them, and everything else handed to the full app."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time

import numpy as np
import orjson
import pytest

from board.api import create_app
from board.api.fast import FastPathApp
from board.store import Store


def _store() -> Store:
    store = Store()
    steps = np.arange(50, dtype=np.int64)
    wall = 1.7e9 + steps * 0.125
    store.add_scalars("a", "loss", steps, wall, np.float32(np.sin(steps)).astype(np.float64))
    store.add_scalars("a", "λ/accuracy", steps, wall + 1, steps / 7.0)
    odd = np.array([0.5, np.nan, np.inf, -np.inf, 2.0])
    store.add_scalars("b/c", "loss", np.arange(5, dtype=np.int64), 1.6e9 + np.arange(5.0), odd)
    big = np.array([2**53 - 1, 2**53, 2**62], np.int64)
    store.add_scalars("b/c", "big steps", big, 1.6e9 + np.arange(3.0), np.ones(3))
    store.ensure_run("empty")
    return store


def _get(
    app,
    path: str,
    query: bytes = b"",
    method: str = "GET",
    headers: tuple = (),
    client: str = "127.0.0.1",
):
    """(status, headers, body) of one request through the ASGI app."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": (client, 1234),
        "server": ("127.0.0.1", 80),
    }
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    async def run():
        await app(scope, receive, send)

    asyncio.run(run())
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], list(start["headers"]), body


@pytest.fixture(scope="module")
def apps():
    store = _store()
    full = create_app(store)
    return FastPathApp(store, lambda: full, assets=full.state.assets), full


HOT = [  # answered by the front itself
    ("/data/runs", b""),
    ("/data/plugin/scalars/tags", b""),
    ("/data/plugin/scalars/tags", b"experiment=x"),
    ("/data/plugin/scalars/scalars", b"run=a&tag=loss"),
    ("/data/plugin/scalars/scalars", b"tag=%CE%BB%2Faccuracy&run=a"),
    ("/data/plugin/scalars/scalars", b"run=b%2Fc&tag=loss"),
    ("/data/plugin/scalars/scalars", b"run=b/c&tag=big+steps"),
    ("/api/scalars", b"run=a&tag=loss"),
    ("/api/scalars", b"run=a&run=b%2Fc&run=a&tag=loss&max_points=3"),
    ("/api/scalars", b"run=a&tag=loss&max_points=0&since_step=10&max_step=40"),
    ("/api/scalars", b"run=a&tag=loss&min_step=-9223372036854775808&max_step=007"),
    ("/api/scalars", b"run=a&tag=loss&since_step=9223372036854775807"),
    ("/api/scalars", b"run=b/c&tag=loss&max_points=10000000"),
    ("/api/scalars", b"run=nobody&tag=loss"),
    ("/api/scalars", b"run=&tag="),
    ("/api/scalars", b"run=a&run=b%2Fc&tag=loss&format=binary"),
    ("/api/scalars", b"run=a&tag=loss&max_points=5&format=binary"),
    ("/api/scalars", b"run=b/c&tag=big+steps&format=binary"),
    ("/api/scalars", b"run=nobody&tag=loss&format=binary"),
    ("/api/scalars", b"run=a&tag=loss&format=json"),
    ("/api/runs", b""),
    ("/", b""),
    ("/static/app.js", b""),
    ("/static/style.css", b""),
    ("/static/widgets/lineLayer.js", b""),
    ("/vendor/plotly.min.js", b""),
]

DELEGATED = [  # left to FastAPI, whose answer the front must pass on unchanged
    ("/data/plugin/scalars/scalars", b"run=a"),
    ("/data/plugin/scalars/scalars", b"run=a&tag=nope"),
    ("/data/plugin/scalars/scalars", b"run=a&tag=loss&tag=loss"),
    ("/data/plugin/scalars/scalars", b"run=a&tag=loss&format=csv"),
    ("/data/plugin/scalars/scalars", b"run=a&tag=loss&format=json"),
    ("/api/scalars", b"tag=loss"),
    ("/api/scalars", b"run=a&tag=loss&max_points=-1"),
    ("/api/scalars", b"run=a&tag=loss&max_points=10000001"),
    ("/api/scalars", b"run=a&tag=loss&max_points=+5"),
    ("/api/scalars", b"run=a&tag=loss&max_points=5.0"),
    ("/api/scalars", b"run=a&tag=loss&max_points="),
    ("/api/scalars", b"run=a&tag=loss&max_points=1&max_points=2"),
    ("/api/scalars", b"run=a&tag=loss&since_step=9223372036854775808"),
    ("/api/scalars", b"run=a&tag=loss&cache=1"),
    ("/api/scalars", b"run=a&tag=loss&format=csv"),
    ("/api/scalars", b"run=a&tag=loss&format=binary&format=json"),
    ("/api/runs", b"x=1"),
    ("/static/nope.js", b""),
    ("/static/", b""),
    ("/static/.eslintrc", b""),
    ("/static/../api/app.py", b""),
    ("/static/views/../../cli.py", b""),
    ("/static/widgets", b""),
    ("/vendor/plotly.js", b""),
    ("/data/plugin/scalars/tags/", b""),
    ("/nowhere", b""),
]


@pytest.mark.parametrize(("path", "query"), HOT)
def test_hot_reads_are_answered_as_fastapi_answers_them(apps, path, query):
    front, full = apps
    delegated = front.delegated
    assert _get(front, path, query) == _get(full, path, query)
    assert front.delegated == delegated, "the front should have answered this itself"


@pytest.mark.parametrize(("path", "query"), DELEGATED)
def test_other_requests_get_fastapis_answer(apps, path, query):
    front, full = apps
    delegated = front.delegated
    assert _get(front, path, query) == _get(full, path, query)
    assert front.delegated == delegated + 1


def test_only_get_is_answered_by_the_front(apps):
    front, full = apps
    for method in ("HEAD", "POST"):
        got = _get(front, "/data/runs", method=method)
        assert got == _get(full, "/data/runs", method=method)
        assert got[0] == 405


def test_hot_reads_need_no_full_app_and_others_build_it_on_demand():
    store = _store()
    built = []

    def build():
        built.append(threading.current_thread().name)
        return create_app(store)

    front = FastPathApp(store, build, build_after=threading.Event())  # never due by itself
    status, _, body = _get(front, "/data/plugin/scalars/scalars", b"run=a&tag=loss")
    assert status == 200 and body.startswith(b"[[")
    assert built == []
    status, _, body = _get(front, "/api/status")
    assert status == 200 and b'"loaded":true' in body
    assert len(built) == 1
    _get(front, "/api/runs")
    assert len(built) == 1


def test_full_app_is_built_once_due_and_idle(monkeypatch):
    monkeypatch.setattr("board.api.fast.IDLE_BEFORE_BUILD_S", 0.05)
    store = _store()
    loaded = threading.Event()
    front = FastPathApp(store, lambda: create_app(store), build_after=loaded)
    _get(front, "/data/runs")  # starts the builder, which waits for `loaded`
    time.sleep(0.2)
    assert front._app is None
    loaded.set()
    for _ in range(500):
        if front._app is not None:
            break
        time.sleep(0.01)
    assert front._app is not None
    assert front.delegated == 0


def test_hot_reads_are_served_while_the_full_app_builds(monkeypatch):
    monkeypatch.setattr("board.api.fast.IDLE_BEFORE_BUILD_S", 0.0)
    store = _store()
    building, release = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        release.wait(10)
        return create_app(store)

    loaded = threading.Event()
    loaded.set()
    front = FastPathApp(store, slow_build, build_after=loaded)
    _get(front, "/data/runs")  # starts the builder
    assert building.wait(10)
    started = time.monotonic()
    status, _, _ = _get(front, "/data/plugin/scalars/scalars", b"run=a&tag=loss")
    assert status == 200 and time.monotonic() - started < 1.0
    release.set()
    assert _get(front, "/api/runs")[0] == 200


def test_status_is_answered_as_fastapi_answers_it_without_building_the_app(tmp_path):
    from board.ingest.discovery import Root
    from board.ingest.ingestor import Ingestor

    store = _store()
    ingestor = Ingestor(store, [Root(None, str(tmp_path))], reload_interval=0, progress=False)
    built = []

    def build():
        built.append(1)
        return create_app(store, ingestor)

    front = FastPathApp(store, build, build_after=threading.Event(), status=ingestor.status)
    got = _get(front, "/api/status")
    assert got[0] == 200 and b'"loaded":false' in got[2] and built == []
    ingestor.loaded.set()
    got = _get(front, "/api/status")
    assert b'"loaded":true' in got[2] and built == []
    assert got == _get(create_app(store, ingestor), "/api/status")
    assert _get(front, "/api/status", b"x=1")[0] == 200 and built == [1]  # not ours: delegated


# ---- the binary form of /api/scalars ----------------------------------------------------------


def _read_binary(body: bytes) -> dict:
    """The series of a `format=binary` body, decoded as docs/http-api.md describes it."""
    assert body[:4] == b"FBS1"
    length = int.from_bytes(body[4:8], "little")
    assert (8 + length) % 8 == 0
    head = orjson.loads(body[8 : 8 + length])
    offset = 8 + length
    series = []
    for entry in head["series"]:
        n = entry.pop("n")
        cols = {}
        for name in ("step", "wall_time", "value"):
            cols[name] = np.frombuffer(body, "<f8", n, offset)
            offset += 8 * n
        series.append({**entry, **cols})
    assert offset == len(body)
    return {"tag": head["tag"], "series": series}


@pytest.mark.parametrize(
    "query",
    [
        b"run=a&run=b%2Fc&run=empty&tag=loss",
        b"run=a&tag=loss&max_points=5",
        b"run=a&tag=loss&since_step=10&max_step=40&max_points=0",
        b"run=b/c&tag=big+steps",
        b"run=nobody&tag=loss",
    ],
)
def test_binary_scalars_hold_the_json_series(apps, query):
    front, _ = apps
    status, headers, body = _get(front, "/api/scalars", query + b"&format=binary")
    assert status == 200
    assert dict(headers)[b"content-type"] == b"application/x-flowboard-scalars"
    binary = _read_binary(body)
    _, _, text = _get(front, "/api/scalars", query)
    json_body = orjson.loads(text)
    assert binary["tag"] == json_body["tag"]
    assert [s["run"] for s in binary["series"]] == [s["run"] for s in json_body["series"]]
    for got, want in zip(binary["series"], json_body["series"], strict=True):
        assert (got["total"], got["downsampled"]) == (want["total"], want["downsampled"])
        np.testing.assert_array_equal(got["step"], np.array(want["step"], np.float64))
        np.testing.assert_array_equal(got["wall_time"], np.array(want["wall_time"], np.float64))
        # JSON sends NaN and infinities as null; the binary form keeps them
        values = np.array([np.nan if v is None else v for v in want["value"]], np.float64)
        finite = np.isfinite(got["value"])
        np.testing.assert_array_equal(got["value"][finite], values[finite])
        assert np.isnan(values[~finite]).all()


def test_binary_scalars_keep_nan_and_infinities(apps):
    front, _ = apps
    _, _, body = _get(front, "/api/scalars", b"run=b%2Fc&tag=loss&format=binary")
    (series,) = _read_binary(body)["series"]
    np.testing.assert_array_equal(series["value"], [0.5, np.nan, np.inf, -np.inf, 2.0])


def test_binary_scalars_are_compressed_only_for_other_machines(apps):
    front, full = apps
    query = b"run=a&run=b%2Fc&tag=loss&format=binary"
    gzip_ok = ((b"accept-encoding", b"gzip, deflate"),)
    plain = _get(front, "/api/scalars", query)[2]
    for client, compressed in (("127.0.0.1", False), ("::1", False), ("10.1.2.3", True)):
        got = _get(front, "/api/scalars", query, headers=gzip_ok, client=client)
        want = _get(full, "/api/scalars", query, headers=gzip_ok, client=client)
        # the same headers and bytes, but for the second each gzip header says it was written
        assert got[:2] == want[:2]
        status, headers, body = got
        assert (dict(headers).get(b"content-encoding") == b"gzip") is compressed
        assert (gzip.decompress(body) if compressed else body) == plain
        assert (gzip.decompress(want[2]) if compressed else want[2]) == plain
    assert _get(full, "/api/scalars", b"run=a&tag=loss&format=xml")[0] == 422


# ---- the page and its files -------------------------------------------------------------------

ASSETS = ["/", "/static/app.js", "/static/style.css", "/vendor/plotly.min.js"]


@pytest.mark.parametrize("path", ASSETS)
def test_assets_are_gzipped_cached_and_revalidated(apps, path):
    front, full = apps
    gzip_ok = ((b"accept-encoding", b"gzip"),)
    got = _get(front, path, headers=gzip_ok)
    assert got == _get(full, path, headers=gzip_ok)
    status, headers, body = got
    headers = dict(headers)
    assert status == 200 and headers[b"cache-control"] == b"no-cache"
    assert headers[b"content-encoding"] == b"gzip"
    plain = _get(front, path)[2]
    assert gzip.decompress(body) == plain
    if path == "/vendor/plotly.min.js":
        assert len(body) < len(plain) / 3
    again = ((b"if-none-match", b'"other", ' + headers[b"etag"]),)
    for app in (front, full):
        status, headers304, body304 = _get(app, path, headers=again)
        assert (status, body304) == (304, b"")
        assert dict(headers304)[b"etag"] == headers[b"etag"]


def test_assets_follow_the_disk_and_stay_inside_the_frontend(tmp_path):
    from board.api.static_assets import StaticAssets

    root = tmp_path / "frontend"
    (root / "views").mkdir(parents=True)
    (root / "index.html").write_text("<html><title>Flowboard</title></html>")
    (root / "app.js").write_text("one")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "views" / "link.js").symlink_to(tmp_path / "secret.txt")
    (root / ".env").write_text("hidden")
    assets = StaticAssets(str(root), window_title="<b>A & B</b>")
    page = assets.respond("/", [])[2]
    assert page == b"<html><title>&lt;b&gt;A &amp; B&lt;/b&gt;</title></html>"
    assert assets.respond("/static/app.js", [])[2] == b"one"
    (root / "app.js").write_text("two, longer")  # another size: seen at once
    assert assets.respond("/static/app.js", [])[2] == b"two, longer"
    for hostile in [
        "/static/views/link.js",
        "/static/../secret.txt",
        "/static/views/../../secret.txt",
        "/static/.env",
        "/static/views",
        "/static/app.js\x00.png",
        "/static/views\\..\\app.js",
        "/static/",
        "/elsewhere",
    ]:
        assert assets.respond(hostile, []) is None, hostile
    (root / "index.html").unlink()
    assert assets.respond("/", []) == (
        200,
        [(b"content-type", b"text/plain; charset=utf-8")],
        b"Flowboard: the frontend is not installed.",
    )
