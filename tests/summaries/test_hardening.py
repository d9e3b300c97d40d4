"""Hostile or damaged input never crashes, stalls or loses other data (issue #13, summaries).

Readers: a header with a valid CRC declaring a huge length. Normalize: tensors whose declared
shape disagrees with their content, histograms with mismatched buckets. Writer: one bad item,
a full disk.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summaries import EventFileReader, SummaryWriter, _records, read_scalars
from summaries.normalize import MAX_BROADCAST_ELEMENTS, normalize_event, normalize_value
from summaries.proto import event_pb2, summary_pb2, types_pb2
from summaries.records import MAX_RECORD_BYTES, frame, masked_crc32c

from .conftest import only_event_file, tensorboard_events

pytestmark = pytest.mark.native


def scalar_record(tag: str, value: float, step: int) -> bytes:
    event = event_pb2.Event(wall_time=100.0 + step, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return frame(event.SerializeToString())


def header_declaring(length: int) -> bytes:
    """A 12-byte record header whose CRC is valid, declaring ``length`` data bytes."""
    head = struct.pack("<Q", length)
    return head + struct.pack("<I", masked_crc32c(head))


def steps_of(path: str, offset: int = 0) -> list[int]:
    return [e.step for e in EventFileReader(path, offset) if e.HasField("summary")]


# -- 1. huge declared lengths ---------------------------------------------------------------


def test_native_cap_matches_python():
    assert _records.MAX_RECORD_BYTES == MAX_RECORD_BYTES == 1 << 30


@pytest.mark.parametrize("length", [MAX_RECORD_BYTES + 1, 1 << 36, 1 << 40, (1 << 64) - 1])
def test_oversized_header_is_skipped_and_later_records_are_kept(tmp_path, caplog, length):
    path = str(tmp_path / "events.out.tfevents.1.host")
    before = b"".join(scalar_record("x", 1.0, s) for s in range(3))
    after = b"".join(scalar_record("x", 2.0, s) for s in range(3, 6))
    with open(path, "wb") as f:
        f.write(before + header_declaring(length) + b"junk" * 10 + after)

    reader = EventFileReader(path)
    with caplog.at_level(logging.WARNING, logger="summaries.reader"):
        assert steps_of(path) == list(range(6))
        assert [e.step for e in reader] == list(range(6))
    assert reader.crc_errors >= 1 and reader.oversized_records == 1
    assert reader.offset == os.path.getsize(path)
    assert f"byte offset {len(before)} declares {length} bytes" in caplog.text

    for max_bytes in (None, 128 << 20, 200):
        offset, steps, oversized = 0, [], 0
        while offset < os.path.getsize(path):
            batch = read_scalars(path, offset, max_bytes=max_bytes)
            assert batch.offset > offset  # never stuck on the bad header
            steps += batch.scalars["x"].step.tolist() if "x" in batch.scalars else []
            oversized += batch.oversized_records
            offset = batch.offset
        assert steps == list(range(6)) and oversized == 1


def test_length_beyond_the_file_is_a_partial_record_until_it_is_written(tmp_path):
    path = str(tmp_path / "events.out.tfevents.1.host")
    first = scalar_record("x", 1.0, 0)
    big = event_pb2.Event(step=1, file_version="v" * 300_000).SerializeToString()
    record = frame(big)
    with open(path, "wb") as f:
        f.write(first + record[:5000])  # header declares 300 kB, the file holds 5 kB of it
    batch = read_scalars(path, 0, max_bytes=1000)
    assert batch.offset == len(first) and batch.crc_errors == 0
    again = read_scalars(path, batch.offset, max_bytes=1000)  # the writer is not done yet
    assert again.offset == len(first) and again.records == 0 and again.crc_errors == 0
    reader = EventFileReader(path)
    assert len(list(reader)) == 1 and reader.offset == len(first) and reader.crc_errors == 0
    with open(path, "ab") as f:
        f.write(record[5000:])
    done = read_scalars(path, len(first), max_bytes=1000)  # larger than max_bytes: read whole
    assert done.offset == len(first) + len(record) and done.file_version == "v" * 300_000


_NO_BIG_ALLOCATION = """
import json, resource, struct, sys
from summaries import EventFileReader, read_scalars
from summaries.records import frame, masked_crc32c
from summaries.proto import event_pb2

path = sys.argv[1]
rec = lambda step: frame(event_pb2.Event(step=step, file_version="x").SerializeToString())
out = {}
for length in (1 << 29, 1 << 36, 1 << 40):
    head = struct.pack("<Q", length)
    with open(path, "wb") as f:
        f.write(rec(0) + head + struct.pack("<I", masked_crc32c(head)) + b"z" * 64 + rec(1))
    # Address space for what is loaded now plus 256 MiB: allocating any declared length of
    # 1 GiB or more fails with MemoryError.
    with open("/proc/self/status") as status:
        vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (vm * 1024 + (256 << 20), hard))
    try:
        first = len(rec(0))
        batch = read_scalars(path, first, max_bytes=128 << 20)
        reader = EventFileReader(path, first)
        events = list(reader)
        out[str(length)] = [batch.offset, batch.records, reader.offset, len(events)]
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
print(json.dumps(out))
"""


def test_huge_lengths_never_allocate_the_declared_size(tmp_path):
    path = str(tmp_path / "events.out.tfevents.1.host")
    run = subprocess.run(
        [sys.executable, "-c", _NO_BIG_ALLOCATION, path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    first = len(frame(event_pb2.Event(step=0, file_version="x").SerializeToString()))
    # 512 MiB: under the cap, beyond the file: a partial record, nothing read, offset kept.
    assert got[str(1 << 29)] == [first, 0, first, 0]
    # Over the cap: skipped, and the record after it is found.
    size = os.path.getsize(path)
    assert got[str(1 << 36)] == [size, 1, size, 1]
    assert got[str(1 << 40)] == [size, 1, size, 1]


# -- 2. declared tensor shapes must agree with the content ---------------------------------


def tensor_value(tag, dtype, shape, plugin="", **fields) -> summary_pb2.Summary.Value:
    value = summary_pb2.Summary.Value(tag=tag)
    value.tensor.dtype = dtype
    for size in shape:
        value.tensor.tensor_shape.dim.add(size=size)
    for name, items in fields.items():
        if name == "tensor_content":
            value.tensor.tensor_content = items
        else:
            getattr(value.tensor, name).extend(items)
    if plugin:
        value.metadata.plugin_data.plugin_name = plugin
    return value


@pytest.mark.parametrize("rows", [1 << 20, 1 << 40, 1 << 62])
def test_one_value_declaring_a_huge_histogram_is_rejected_fast(rows):
    value = tensor_value("h", types_pb2.DT_FLOAT, [rows, 3], "histograms", float_val=[1.0])
    start = time.perf_counter()
    with pytest.raises(ValueError, match="repeating the last value"):
        normalize_value(value)
    assert time.perf_counter() - start < 0.5  # nothing of the declared size was built


@pytest.mark.parametrize("shape", [[-1, 3], [1 << 63, 3], [(1 << 62) + 1], [2, -5]])
def test_dims_out_of_range_are_rejected(shape):
    if shape[0] >= 1 << 63:  # protobuf's int64 dim cannot hold it: the wire can (as uint64)
        shape = [-(1 << 63), 3]
    value = tensor_value("t", types_pb2.DT_FLOAT, shape, float_val=[1.0])
    with pytest.raises(ValueError, match="dim outside"):
        normalize_value(value)


def test_tensor_content_must_match_the_declared_shape():
    content = np.arange(6, dtype="<f4").tobytes()
    ok = tensor_value("t", types_pb2.DT_FLOAT, [2, 3], tensor_content=content)
    assert normalize_value(ok).data.tolist() == [[0, 1, 2], [3, 4, 5]]
    for shape in ([1 << 40, 3], [2, 4], [5], []):
        bad = tensor_value("t", types_pb2.DT_FLOAT, shape, tensor_content=content)
        with pytest.raises(ValueError, match="tensor_content holds 24 bytes"):
            normalize_value(bad)
    half = tensor_value("t", types_pb2.DT_BFLOAT16, [1 << 40], tensor_content=b"\0\0")
    with pytest.raises(ValueError, match="tensor_content holds 2 bytes"):
        normalize_value(half)


def test_broadcast_of_the_last_value_is_kept_up_to_the_cap():
    # TensorFlow's MakeNdarray pads a shorter list with its last value ("edge"); so do we,
    # for shapes up to MAX_BROADCAST_ELEMENTS.
    value = tensor_value("t", types_pb2.DT_INT32, [MAX_BROADCAST_ELEMENTS], int_val=[1, 7])
    data = normalize_value(value).data
    assert data.shape == (MAX_BROADCAST_ELEMENTS,) and data[0] == 1 and (data[1:] == 7).all()
    over = tensor_value("t", types_pb2.DT_INT32, [MAX_BROADCAST_ELEMENTS + 1], int_val=[1, 7])
    with pytest.raises(ValueError, match="repeating the last value"):
        normalize_value(over)
    strings = tensor_value("s", types_pb2.DT_STRING, [1 << 40], "text", string_val=[b"a"])
    with pytest.raises(ValueError, match="repeating the last value"):
        normalize_value(strings)


def test_normalize_event_skips_only_the_bad_value(caplog):
    event = event_pb2.Event(step=4)
    event.summary.value.append(
        tensor_value("bad", types_pb2.DT_FLOAT, [1 << 20, 3], "histograms", float_val=[1.0])
    )
    event.summary.value.add(tag="good", simple_value=2.5)
    with caplog.at_level(logging.WARNING, logger="summaries.normalize"):
        out = normalize_event(event)
    assert [(n.tag, n.data) for n in out] == [("good", 2.5)]
    assert "'bad' at step 4" in caplog.text


# -- 3. histograms whose parts disagree -----------------------------------------------------


def test_legacy_histogram_with_mismatched_buckets_is_rejected():
    value = summary_pb2.Summary.Value(tag="h")
    value.histo.min, value.histo.max, value.histo.num = 0.0, 3.0, 6.0
    value.histo.bucket_limit.extend([1.0, 2.0, 3.0])
    value.histo.bucket.extend([1.0, 2.0, 3.0])
    data = normalize_value(value).data
    assert len(data.left) == len(data.right) == len(data.count) == 3
    for limits, counts in (([1.0, 2.0], [1.0, 2.0, 3.0]), ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0])):
        del value.histo.bucket_limit[:], value.histo.bucket[:]
        value.histo.bucket_limit.extend(limits)
        value.histo.bucket.extend(counts)
        with pytest.raises(ValueError, match="bucket counts but"):
            normalize_value(value)


@pytest.mark.parametrize("shape", [[6], [2, 2], [1, 3, 1], [3, 2], [0, 2], [0]])
def test_histogram_tensor_must_be_k_by_3(shape):
    size = int(np.prod(shape))
    value = tensor_value("h", types_pb2.DT_DOUBLE, shape, "histograms", double_val=[1.0] * size)
    with pytest.raises(ValueError, match=r"\[k, 3\]"):
        normalize_value(value)
    good = tensor_value(
        "h", types_pb2.DT_DOUBLE, [2, 3], "histograms", double_val=[0, 1, 2, 1, 2, 3]
    )
    assert normalize_value(good).data.count.tolist() == [2.0, 3.0]
    empty = tensor_value("h", types_pb2.DT_DOUBLE, [0, 3], "histograms")
    assert normalize_value(empty).data.count.size == 0


def test_string_histogram_tensor_is_rejected():
    value = tensor_value("h", types_pb2.DT_STRING, [1, 3], "histograms", string_val=[b"1"] * 3)
    with pytest.raises(ValueError, match="numeric"):
        normalize_value(value)


# -- 4. one bad writer item never takes others with it ---------------------------------------


@pytest.mark.parametrize(
    ("tag", "step", "error", "match"),
    [
        ("x", 1 << 63, ValueError, "int64"),
        ("x", -(1 << 63) - 1, ValueError, "int64"),
        ("x", float("inf"), ValueError, "finite"),
        ("x", float("nan"), ValueError, "NaN"),
        ("bad\udc80tag", 1, ValueError, "UTF-8"),
        (b"x", 1, TypeError, "must be a str"),
    ],
)
def test_bad_scalar_raises_at_the_call_and_the_rest_is_written(log_dir, tag, step, error, match):
    w = SummaryWriter(log_dir, max_queue=10_000)
    for i in range(500):
        w.add_scalar("x", float(i), i)
    with pytest.raises(error, match=match):
        w.add_scalar(tag, 1.0, step)
    for i in range(500, 1000):
        w.add_scalar("x", float(i), i)
    w.close()
    events = [e for e in tensorboard_events(only_event_file(log_dir)) if e.HasField("summary")]
    assert [e.step for e in events] == list(range(1000))


def test_non_finite_values_are_fine(log_dir):
    with SummaryWriter(log_dir) as w:
        for i, x in enumerate([float("nan"), float("inf"), -float("inf"), 1.0]):
            w.add_scalar("x", x, i)
    batch = read_scalars(only_event_file(log_dir))
    got = batch.scalars["x"].value
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf and got[3] == 1.0


def test_every_add_call_checks_tag_and_step(log_dir):
    with SummaryWriter(log_dir) as w:
        calls = {
            "add_histogram": lambda tag, step: w.add_histogram(tag, [1.0, 2.0], step),
            "add_histogram_raw": lambda tag, step: w.add_histogram_raw(
                tag, 0, 1, 1, 1, 1, [1.0], [1.0], step
            ),
            "add_image": lambda tag, step: w.add_image(tag, np.zeros((3, 2, 2)), step),
            "add_images": lambda tag, step: w.add_images(tag, np.zeros((1, 3, 2, 2)), step),
            "add_text": lambda tag, step: w.add_text(tag, "hello", step),
            "add_audio": lambda tag, step: w.add_audio(tag, np.zeros(10), step),
            "add_scalars": lambda tag, step: w.add_scalars(tag, {"a": 1.0}, step),
            "add_scalar new_style": lambda tag, step: w.add_scalar(tag, 1.0, step, new_style=True),
            "add_run_metadata": lambda tag, step: w.add_run_metadata(b"", tag, step),
        }
        for call in calls.values():
            with pytest.raises(ValueError, match="int64"):
                call("ok", 1 << 63)
            with pytest.raises(ValueError, match="UTF-8"):
                call("bad\ud800", 1)
            call("ok", 3)  # and the call works with good arguments
        w.add_scalars("main", {"ok": 1.0}, 2)
        with pytest.raises(ValueError, match="UTF-8"):
            w.add_scalars("main", {"ok": 1.0, "bad\ud800": 2.0}, 2)  # nothing of it is written
    steps = {}
    for root, _, names in os.walk(log_dir):
        for name in names:
            run = os.path.relpath(root, log_dir)
            for event in tensorboard_events(os.path.join(root, name)):
                if event.HasField("summary"):
                    steps.setdefault(run, []).append(event.step)
    assert steps == {".": [3] * 8, "ok_a": [3], "main_ok": [2]}


def test_an_item_that_fails_to_encode_drops_only_itself(log_dir):
    w = SummaryWriter(log_dir, max_queue=10_000)
    sink = w._sink
    for i in range(1000):
        w.add_scalar("x", float(i), i)
        if i == 500:  # past the checks at the call: the encoder itself must cope
            sink.queue.append(("x", 1.0, 1 << 64, 0.0))
            sink.queue.append(("bad\udc80", 1.0, 1, 0.0))
    with pytest.raises(RuntimeError, match=r"dropped scalar 'x' at step 18446744073709551616"):
        w.flush()
    assert sink.failed_items == 2 and sink.errors == 2
    w.close()  # the error was reported once: close has nothing more to say
    steps = [e.step for e in tensorboard_events(only_event_file(log_dir)) if e.HasField("summary")]
    assert steps == list(range(1000))


def test_a_failing_deferred_encoder_drops_only_itself(log_dir):
    w = SummaryWriter(log_dir, max_queue=10_000)
    w.add_scalar("x", 1.0, 1)
    w.add_image("bad", np.zeros((3, 2, 2)), 1)
    w._sink.queue[-1] = lambda: (_ for _ in ()).throw(ValueError("encoder failed"))
    w.add_scalar("x", 2.0, 2)
    with pytest.raises(RuntimeError, match=r"events\.out\.tfevents.*encoder failed"):
        w.close()
    steps = [e.step for e in tensorboard_events(only_event_file(log_dir)) if e.HasField("summary")]
    assert steps == [1, 2] and w._sink.failed_items == 1


# -- 5. a full disk is reported at the next call ---------------------------------------------


def point_file_at_dev_full(writer: SummaryWriter) -> None:
    """Make every later write of the writer's event file fail as on a full disk (ENOSPC),
    through the real OS: the file's descriptor now refers to /dev/full."""
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        os.dup2(full, writer._sink._file.fileno())
    finally:
        os.close(full)


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


@needs_dev_full
def test_disk_full_raises_at_the_next_add_call_with_the_path(log_dir):
    w = SummaryWriter(log_dir, max_queue=10)
    point_file_at_dev_full(w)
    deadline = time.monotonic() + 20
    raised = None
    step = 0
    while raised is None and time.monotonic() < deadline:
        try:
            w.add_scalar("x", 1.0, step)
        except OSError as error:
            raised = error
        step += 1
        if step % 1000 == 0:
            time.sleep(0.01)  # let the background thread write
    assert raised is not None, "add_scalar never reported the failed writes"
    assert raised.errno == errno.ENOSPC and raised.filename == w._sink.path
    assert w._sink.errors >= 1
    w.add_scalar("x", 1.0, step)  # the error was raised once; this point is accepted again
    with pytest.raises(OSError, match="No space left") as at_close:
        w.close()
    assert at_close.value.filename == w._sink.path


@needs_dev_full
def test_disk_full_raises_at_flush_and_at_other_add_calls(log_dir):
    w = SummaryWriter(log_dir)
    point_file_at_dev_full(w)
    w.add_text("t", "x" * 20_000, 1)  # larger than the file's buffer: the write reaches the OS
    with pytest.raises(OSError) as at_flush:
        w.flush()
    assert at_flush.value.errno == errno.ENOSPC and at_flush.value.filename == w._sink.path
    w.add_text("t", "x" * 20_000, 2)
    w._sink.wake()  # the background thread writes it, and fails
    deadline = time.monotonic() + 10
    while w._sink._first_error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(OSError, match="No space left"):
        w.add_histogram("h", [1.0, 2.0], 4)
    with contextlib.suppress(OSError):
        w.close()


_EXIT_SCRIPT = """
import os, sys
from summaries import SummaryWriter
w = SummaryWriter(sys.argv[1])
full = os.open("/dev/full", os.O_WRONLY)
os.dup2(full, w._sink._file.fileno())
for step in range(2000):
    w.add_scalar("x", 1.0, step)
if sys.argv[2] == "surfaced":
    try:
        w.flush()
    except OSError:
        pass
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, w._sink._file.fileno())  # space again: the rest is written at exit
"""


@needs_dev_full
@pytest.mark.parametrize("mode", ["never_surfaced", "surfaced"])
def test_an_error_never_raised_is_one_line_at_exit(tmp_path, mode):
    run = subprocess.run(
        [sys.executable, "-c", _EXIT_SCRIPT, str(tmp_path), mode],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0
    lines = run.stderr.splitlines()
    if mode == "surfaced":
        assert lines == []
    else:
        assert len(lines) == 1, run.stderr
        assert "never reported" in lines[0] and "No space left" in lines[0]
        assert str(tmp_path) in lines[0]


def test_validation_errors_do_not_count_as_write_errors(log_dir):
    w = SummaryWriter(log_dir)
    with pytest.raises(ValueError):
        w.add_scalar("x", 1.0, 1 << 63)
    w.close()
    assert w._sink.errors == 0


def test_scalar_tags_that_need_utf8_still_work(log_dir):
    tags = ["é", "日本", "emoji 😀"]
    with SummaryWriter(log_dir) as w:
        for i, tag in enumerate(tags):
            w.add_scalar(tag, float(i), i)
    assert sorted(read_scalars(only_event_file(log_dir)).scalars) == sorted(tags)


def test_numpy_and_float_steps_still_work(log_dir):
    with SummaryWriter(log_dir) as w:
        w.add_scalar("x", 1.0, np.int64(5))
        w.add_scalar("x", 1.0, 6.0)
        w.add_scalar("x", 1.0, np.array(7))
    assert read_scalars(only_event_file(log_dir)).scalars["x"].step.tolist() == [5, 6, 7]


def _next_header_reference(data: bytes, start: int) -> int:
    last = len(data) - 12
    for i in range(start, last + 1):
        if masked_crc32c(data[i : i + 8]) == struct.unpack_from("<I", data, i + 8)[0]:
            return i
    return max(start, last + 1)


def test_native_resync_finds_the_same_header_as_the_byte_by_byte_rule():
    rng = np.random.default_rng(13)
    record = scalar_record("x", 1.0, 7)
    for trial in range(200):
        junk = rng.integers(0, 256, int(rng.integers(0, 64)), dtype=np.uint8).tobytes()
        tail = record[: int(rng.integers(0, len(record) + 1))] if trial % 2 else record
        data = junk + tail
        for start in range(0, len(data) + 1, 5):
            assert _records.next_header(data, start) == _next_header_reference(data, start)


def test_read_record_checks_the_length_against_the_file_first(tmp_path):
    from summaries.records import RecordError, read_record

    path = tmp_path / "events.out.tfevents.1.host"
    good = scalar_record("x", 1.0, 1)
    path.write_bytes(good + header_declaring(1 << 29) + b"z" * 10 + header_declaring(1 << 40))
    with open(path, "rb") as f:
        assert event_pb2.Event.FromString(read_record(f, 0)).step == 1
        assert read_record(f, len(good)) is None  # 512 MiB declared, not in the file: partial
        with pytest.raises(RecordError, match="over the cap"):
            read_record(f, len(good) + 22)
        with pytest.raises(RecordError, match="header CRC"):
            read_record(f, 1)
        assert read_record(f, os.path.getsize(path)) is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(
        st.one_of(
            st.integers(0, (1 << 64) - 1).map(header_declaring),
            st.binary(max_size=40),
            st.integers(0, 50).map(lambda step: scalar_record("x", 1.0, step)),
        ),
        max_size=12,
    ),
    max_bytes=st.sampled_from([None, 64, 1 << 20]),
)
def test_any_declared_length_never_raises_and_always_progresses(tmp_path, pieces, max_bytes):
    path = str(tmp_path / "events.out.tfevents.fuzz")
    with open(path, "wb") as f:
        f.write(b"".join(pieces))
    size = os.path.getsize(path)
    reader = EventFileReader(path)
    protobuf_steps = [e.step for e in reader if e.HasField("summary")]
    assert reader.offset <= size
    offset, native_steps = 0, []
    for _ in range(size + 2):
        batch = read_scalars(path, offset, max_bytes=max_bytes)
        native_steps += batch.scalars["x"].step.tolist() if "x" in batch.scalars else []
        if batch.offset == offset:
            break  # a partial record: the rest waits for more bytes
        offset = batch.offset
    assert offset == reader.offset
    assert sorted(native_steps) == sorted(protobuf_steps)


TF_MAKE_NDARRAY = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf_make_ndarray.json")


def test_tensor_to_numpy_agrees_with_tensorflows_make_ndarray():
    # Made by make_tf_tensor_fixtures.py with TensorFlow; all these shapes are under the cap.
    from summaries.normalize import tensor_to_numpy
    from summaries.proto import tensor_pb2

    with open(TF_MAKE_NDARRAY) as f:
        cases = json.load(f)
    assert len(cases) == 8
    for name, case in cases.items():
        tensor = tensor_pb2.TensorProto.FromString(bytes.fromhex(case["proto"]))
        if "error" in case:
            with pytest.raises(ValueError):
                tensor_to_numpy(tensor)
            continue
        ours = tensor_to_numpy(tensor)
        values = [v.decode() if isinstance(v, bytes) else v for v in ours.reshape(-1).tolist()]
        assert values == case["values"], name
        assert list(ours.shape) == case["shape"] and str(ours.dtype) == case["dtype"], name
