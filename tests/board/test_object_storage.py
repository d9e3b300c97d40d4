"""Logdirs and writers on object storage, against a real local S3 server (moto's
`ThreadedMotoServer` on a free loopback port), read and written through s3fs like real S3."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys

import httpx
import numpy as np
import pytest
from PIL import Image

from board.ingest import Ingestor, parse_logdir_spec, read_record_at
from board.ingest.fs import FilesystemUnavailable, list_files
from board.store import Store
from summaries import FileWriter, SummaryWriter, remote
from tests.conftest import BoardProcess, free_port

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")
pytest.importorskip("s3fs")

BUCKET = "logs"


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server; the process environment points boto3/s3fs (and boards started from
    here) at it, as a user's AWS_ENDPOINT_URL would."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    remote._filesystems.pop("s3", None)  # opened again with this endpoint
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    remote._filesystems.pop("s3", None)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


def _upload_dir(client, local_dir, prefix: str) -> None:
    for directory, _, files in os.walk(local_dir):
        for name in files:
            path = os.path.join(directory, name)
            key = prefix + "/" + os.path.relpath(path, local_dir).replace(os.sep, "/")
            client.upload_file(path, BUCKET, key)


def _load(spec: str) -> tuple[Store, Ingestor]:
    store = Store()
    ingestor = Ingestor(store, parse_logdir_spec(spec), reload_interval=60, progress=False)
    ingestor._initial_load()
    return store, ingestor


def _steps(store: Store, run: str, tag: str) -> list[int]:
    return [int(s) for s in store.scalars(run, tag).step]


# ---- the logdir spec ---------------------------------------------------------------------------


def test_urls_in_a_logdir_spec_are_urls_not_names(s3, tmp_path):
    (root,) = parse_logdir_spec("s3://logs/exp/")
    assert (root.name, root.path, root.remote) == (None, "s3://logs/exp", True)
    roots = parse_logdir_spec(f"cloud:s3://logs/exp,local:{tmp_path}")
    expected = [("cloud", "s3://logs/exp"), ("local", str(tmp_path))]
    assert [(r.name, r.path) for r in roots] == expected
    roots = parse_logdir_spec("s3://logs/a,s3://logs/b")
    assert [r.path for r in roots] == ["s3://logs/a", "s3://logs/b"]
    # TensorBoard's rule: an entry starting with / is a path, even with a colon in it
    assert parse_logdir_spec(f"{tmp_path}/a:b") == [type(root)(None, f"{tmp_path}/a:b")]


def test_a_scheme_without_a_filesystem_is_a_clear_error(monkeypatch):
    with pytest.raises(FilesystemUnavailable, match="not a filesystem fsspec knows"):
        parse_logdir_spec("nosuchscheme://bucket/x")
    if "gcsfs" not in sys.modules:
        try:
            import gcsfs  # noqa: F401
        except ImportError:
            with pytest.raises(FilesystemUnavailable) as err:
                parse_logdir_spec("gs://bucket/x")
            assert str(err.value) == "gs:// needs gcsfs: pip install 'flowboard[gcs]'"


def test_the_cli_names_the_extra_for_a_missing_filesystem(tmp_path):
    code = (
        "import sys; sys.modules['s3fs'] = None; "  # as if s3fs were not installed
        "from board.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "--logdir", "s3://logs/x", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "board: s3:// needs s3fs: pip install 'flowboard[s3]'" in out.stderr
    assert not (tmp_path / "s3:").exists()


# ---- reading ---------------------------------------------------------------------------------


def test_discovers_runs_and_reads_every_point(s3, tmp_path):
    for run, lr in (("lr_0.1", 0.1), ("sub/lr_0.01", 0.01)):
        with SummaryWriter(str(tmp_path / run)) as w:
            for step in range(50):
                w.add_scalar("loss", lr * step, step)
    _upload_dir(s3, tmp_path, "read/exp")
    s3.put_object(Bucket=BUCKET, Key="read/exp/notes.txt", Body=b"not a run")
    store, ingestor = _load("s3://logs/read/exp")
    assert sorted(ingestor.runs) == ["lr_0.1", "sub/lr_0.01"]
    assert _steps(store, "lr_0.1", "loss") == list(range(50))
    values = store.scalars("sub/lr_0.01", "loss").value
    np.testing.assert_allclose(values, [0.01 * s for s in range(50)], rtol=1e-6)
    store, ingestor = _load("cloud:s3://logs/read/exp")
    assert sorted(ingestor.runs) == ["cloud/lr_0.1", "cloud/sub/lr_0.01"]


def test_a_grown_object_is_read_from_its_offset_and_new_runs_appear(s3, tmp_path):
    with SummaryWriter(str(tmp_path / "run")) as w:
        for step in range(100):
            w.add_scalar("loss", float(step), step)
    (path,) = [str(p) for p in (tmp_path / "run").iterdir()]
    data = (tmp_path / "run" / os.path.basename(path)).read_bytes()
    key = "grow/run/" + os.path.basename(path)
    cut = len(data) // 2 + 3  # mid-record: the partial record waits for the rest
    s3.put_object(Bucket=BUCKET, Key=key, Body=data[:cut])
    store, ingestor = _load("s3://logs/grow")
    first = _steps(store, "run", "loss")
    assert 0 < len(first) < 100 and first == list(range(len(first)))
    offset = ingestor.runs["run"].offsets["s3://logs/" + key]
    assert offset <= cut
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)  # the writer's next whole-object upload
    with SummaryWriter(str(tmp_path / "late")) as w:
        w.add_scalar("acc", 1.0, 7)
    _upload_dir(s3, tmp_path / "late", "grow/late")
    loaded = ingestor.events_loaded
    ingestor.sweep()
    assert _steps(store, "run", "loss") == list(range(100))
    assert _steps(store, "late", "acc") == [7]
    assert ingestor.events_loaded - loaded == 101 - len(first) + 1  # nothing read twice
    assert list_files("s3://logs/grow")["s3://logs/" + key] == len(data)


def test_a_vanished_run_is_removed(s3, tmp_path):
    with SummaryWriter(str(tmp_path / "gone")) as w:
        w.add_scalar("loss", 1.0, 0)
    _upload_dir(s3, tmp_path, "vanish")
    store, ingestor = _load("s3://logs/vanish")
    assert list(ingestor.runs) == ["gone"]
    for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix="vanish/")["Contents"]:
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    ingestor.sweep()
    assert list(ingestor.runs) == []


def test_image_bytes_are_read_back_through_the_same_filesystem(s3, tmp_path):
    pixels = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    with SummaryWriter(str(tmp_path / "imgs")) as w:
        w.add_image("pic", pixels, 3, dataformats="HWC")
    _upload_dir(s3, tmp_path, "images")
    store, _ = _load("s3://logs/images")
    (ref,) = store.images("imgs", "pic")
    assert ref.path.startswith("s3://logs/images/imgs/")
    data = read_record_at(ref.path, ref.offset)
    assert data is not None
    from summaries.proto import event_pb2

    png = event_pb2.Event.FromString(data).summary.value[0].image.encoded_image_string
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)


# ---- writing ---------------------------------------------------------------------------------


def _events_of_object(s3, key: str, tmp_path) -> list:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    local = tmp_path / os.path.basename(key)
    local.write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return list(EventFileLoader(str(local)).Load())


def _keys(s3, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def test_summary_writer_writes_an_event_file_tensorboard_reads(s3, tmp_path):
    w = SummaryWriter("s3://logs/written/run", flush_secs=3600)
    for step in range(20):
        w.add_scalar("loss", 0.5 * step, step)
    w.flush()
    (key,) = _keys(s3, "written/run/")
    assert "tfevents" in key
    flushed = [e for e in _events_of_object(s3, key, tmp_path) if e.summary.value]
    assert [e.step for e in flushed] == list(range(20))
    for step in range(20, 30):
        w.add_scalar("loss", 0.5 * step, step)
    w.close()
    assert _keys(s3, "written/run/") == [key]  # the same object, rewritten whole
    events = _events_of_object(s3, key, tmp_path)
    assert events[0].file_version == "brain.Event:2"
    scalars = [(e.step, e.summary.value[0]) for e in events if e.summary.value]
    assert [s for s, _ in scalars] == list(range(30))
    assert [v.tag for _, v in scalars] == ["loss"] * 30
    # and the board reads what was written
    store, _ = _load("s3://logs/written")
    assert _steps(store, "run", "loss") == list(range(30))


def test_file_writer_writes_there_too(s3, tmp_path):
    from summaries.proto import summary_pb2

    with FileWriter("s3://logs/fw/run") as fw:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=2)])
        fw.add_summary(summary, global_step=5)
    (key,) = _keys(s3, "fw/run/")
    steps = [e.step for e in _events_of_object(s3, key, tmp_path) if e.summary.value]
    assert steps == [5]


# ---- the board command -------------------------------------------------------------------------


class PrefixedBoard(BoardProcess):
    prefix = "/tb"

    def _wait_ready(self, timeout: float) -> None:
        self.client = httpx.Client(base_url=self.url + self.prefix, timeout=10.0)
        super()._wait_ready(timeout)


def test_board_serves_an_s3_logdir_under_a_path_prefix_gzipped(s3, tmp_path):
    pixels = np.zeros((3, 3, 3), dtype=np.uint8)
    with SummaryWriter(str(tmp_path / "run")) as w:
        for step in range(300):
            w.add_scalar("loss", step * 0.25, step)
        w.add_image("pic", pixels, 0, dataformats="HWC")
    _upload_dir(s3, tmp_path, "served")
    b = PrefixedBoard("s3://logs/served", ("--path_prefix", "/tb", "--reload_interval", "0"))
    try:
        b.wait_loaded()
        assert b.get("/data/runs").json() == ["run"]
        points = b.get("/data/plugin/scalars/scalars", run="run", tag="loss").json()
        assert [p[1] for p in points] == list(range(300))
        images = b.get("/api/images", run="run", tag="pic").json()["images"]
        assert images[0]["url"].startswith("/tb/api/images/data?")  # under the prefix
        png = httpx.get(b.url + images[0]["url"])
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        # outside the prefix: nothing
        assert httpx.get(b.url + "/data/runs").status_code == 404
        assert httpx.get(b.url + "/tb", follow_redirects=False).headers["location"] == "/tb/"
        # gzip where it helps: plotly and the fast path's JSON
        raw = httpx.Client(headers={"accept-encoding": "gzip"}, timeout=10)
        js = raw.stream("GET", b.url + "/tb/vendor/plotly.min.js")
        with js as response:
            assert response.headers["content-encoding"] == "gzip"
            body = b"".join(response.iter_raw())
        assert len(body) < len(gzip.decompress(body)) / 2.5
        with raw.stream("GET", b.url + "/tb/data/plugin/scalars/scalars?run=run&tag=loss") as r:
            assert r.headers["content-encoding"] == "gzip"
        with raw.stream("GET", b.url + "/tb/api/events") as r:  # never the event stream
            assert r.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in r.headers
    finally:
        b.stop()
