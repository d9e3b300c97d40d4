"""Readers: tolerance to damage, resuming, and the native fast path agreeing with protobuf."""

from __future__ import annotations

import glob
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summaries import EventFileReader, SummaryWriter, encode, iter_run_events, read_scalars
from summaries.normalize import normalize_event
from summaries.proto import event_pb2
from summaries.records import frame
from summaries.types import Kind

from .conftest import only_event_file

pytestmark = pytest.mark.native

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "peers")


def scalar_event(tag: str, value: float, step: int) -> bytes:
    event = event_pb2.Event(wall_time=100.0 + step, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event.SerializeToString()


def write_records(path, payloads) -> list[int]:
    """Write framed payloads; return the byte offset of each record."""
    offsets, position = [], 0
    with open(path, "wb") as f:
        for payload in payloads:
            offsets.append(position)
            data = frame(payload)
            f.write(data)
            position += len(data)
    return offsets


def protobuf_scalars(path, offset=0) -> dict[str, list]:
    """Reference: every scalar the protobuf path + normalize finds, restarts applied."""
    out: dict[str, list] = {}
    known: dict = {}
    for event in EventFileReader(path, offset):
        if event.HasField("session_log") and event.session_log.status == 1:
            for tag in out:
                out[tag] = [p for p in out[tag] if p[0] < event.step]
        for n in normalize_event(event, known):
            if n.kind is Kind.SCALAR:
                out.setdefault(n.tag, []).append((event.step, event.wall_time, n.data))
    return out


def native_scalars(path, offset=0) -> dict[str, list]:
    """Native columns plus scalars that normalize finds in the records left to protobuf."""
    batch = read_scalars(path, offset)
    out = {
        tag: list(zip(c.step.tolist(), c.wall_time.tolist(), c.value.tolist(), strict=True))
        for tag, c in batch.scalars.items()
    }
    known: dict = {}
    for _, event in batch.other_events():
        for n in normalize_event(event, known):
            if n.kind is Kind.SCALAR:
                out.setdefault(n.tag, []).append((event.step, event.wall_time, n.data))
    return out


def same_scalars(a: dict, b: dict) -> bool:
    """Equal as multisets of points, comparing floats bit for bit (NaN equals NaN)."""

    def canonical(points):
        return sorted((step, float(wall).hex(), float(value).hex()) for step, wall, value in points)

    return {k: canonical(v) for k, v in a.items() if v} == {
        k: canonical(v) for k, v in b.items() if v
    }


def test_truncated_last_record_is_left_for_later(tmp_path):
    path = tmp_path / "events.out.tfevents.1"
    payloads = [scalar_event("x", i, i) for i in range(5)]
    offsets = write_records(path, payloads)
    full = path.read_bytes()
    path.write_bytes(full[: offsets[4] + 7])  # the writer is mid-way through record 4
    reader = EventFileReader(path)
    assert [e.step for e in reader] == [0, 1, 2, 3]
    assert reader.offset == offsets[4] and reader.crc_errors == 0
    batch = read_scalars(path)
    assert batch.offset == offsets[4] and batch.scalars["x"].step.tolist() == [0, 1, 2, 3]
    path.write_bytes(full)  # the record is now complete
    assert [e.step for e in reader] == [4]
    assert read_scalars(path, batch.offset).scalars["x"].step.tolist() == [4]
    assert [e.step for e in EventFileReader(path, reader.offset)] == []


def test_crc_flipped_middle_record_is_skipped_and_counted(tmp_path):
    path = tmp_path / "events.out.tfevents.2"
    offsets = write_records(path, [scalar_event("x", i, i) for i in range(6)])
    data = bytearray(path.read_bytes())
    data[offsets[2] + 12 + 3] ^= 0x40  # a bit inside record 2's payload
    path.write_bytes(bytes(data))
    reader = EventFileReader(path)
    assert [e.step for e in reader] == [0, 1, 3, 4, 5]
    assert reader.crc_errors == 1 and reader.offset == len(data)
    batch = read_scalars(path)
    assert batch.scalars["x"].step.tolist() == [0, 1, 3, 4, 5] and batch.crc_errors == 1


def test_damaged_header_resynchronises_on_the_next_record(tmp_path):
    path = tmp_path / "events.out.tfevents.3"
    offsets = write_records(path, [scalar_event("x", i, i) for i in range(6)])
    data = bytearray(path.read_bytes())
    data[offsets[3] + 1] ^= 0x01  # record 3's length
    path.write_bytes(bytes(data))
    reader = EventFileReader(path)
    assert [e.step for e in reader] == [0, 1, 2, 4, 5]
    assert reader.crc_errors == 1
    batch = read_scalars(path)
    assert batch.scalars["x"].step.tolist() == [0, 1, 2, 4, 5] and batch.crc_errors == 1
    assert batch.offset == reader.offset == len(data)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "events.out.tfevents.4"
    empty.write_bytes(b"")
    for path in (empty, tmp_path / "missing"):
        reader = EventFileReader(path)
        assert list(reader) == [] and reader.offset == 0 and reader.crc_errors == 0
        batch = read_scalars(path)
        assert batch.scalars == {} and batch.offset == 0 and len(batch.other_offsets) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "events.out.tfevents.5"
    path.write_bytes(data)
    reader = EventFileReader(path)
    list(reader)
    batch = read_scalars(path)
    list(batch.other_events())
    assert 0 <= batch.offset <= len(data) and 0 <= reader.offset <= len(data)
    assert batch.offset == reader.offset and batch.crc_errors == reader.crc_errors


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b/c", "ü"]),
            st.floats(width=32, allow_nan=False),
            st.integers(-5, 10**12),
        ),
        max_size=30,
    ),
    st.data(),
)
def test_damage_anywhere_recovers_everything_intact(tmp_path_factory, points, data):
    """Flip one byte anywhere: every record not containing it is still read, by both paths."""
    path = tmp_path_factory.mktemp("damage") / "events.out.tfevents.6"
    payloads = [scalar_event(t, v, s) for t, v, s in points]
    offsets = write_records(path, payloads)
    raw = bytearray(path.read_bytes())
    if raw:
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] ^= 0xFF
        path.write_bytes(bytes(raw))
        ends = offsets[1:] + [len(raw)]
        intact = [p for p, o, e in zip(points, offsets, ends, strict=True) if not o <= at < e]
    else:
        intact = []
    reference = protobuf_scalars(path)
    for tag, value, step in intact:
        assert (step, 100.0 + step, float(np.float32(value))) in reference.get(tag, [])
    assert same_scalars(native_scalars(path), reference)


def test_resume_from_offset_on_a_growing_file(log_dir):
    w = SummaryWriter(log_dir)
    for i in range(10):
        w.add_scalar("x", i, i)
    w.flush()
    path = only_event_file(log_dir)
    first = read_scalars(path)
    reader = EventFileReader(path)
    assert len(list(reader)) == 11
    for i in range(10, 15):
        w.add_scalar("x", i, i)
    w.add_histogram("h", [1, 2, 3], 15)
    w.close()
    second = read_scalars(path, first.offset, plugins=first.plugins)
    assert second.scalars["x"].step.tolist() == list(range(10, 15))
    assert [e.step for e in reader] == list(range(10, 16))
    assert second.offset == reader.offset == os.path.getsize(path)
    ((offset, event),) = second.other_events()
    assert event.summary.value[0].tag == "h" and offset == second.other_offsets[0]


def test_restarts_purge_earlier_points_at_or_after_their_step(tmp_path):
    path = tmp_path / "events.out.tfevents.7"
    start = event_pb2.Event(step=3, wall_time=1.0)
    start.session_log.status = event_pb2.SessionLog.START
    payloads = [scalar_event("x", i, i) for i in range(6)]
    payloads += [start.SerializeToString()] + [scalar_event("x", 10 + i, i) for i in (3, 4)]
    write_records(path, payloads)
    batch = read_scalars(path)
    assert batch.scalars["x"].step.tolist() == [0, 1, 2, 3, 4]
    assert batch.scalars["x"].value.tolist() == [0, 1, 2, 13, 14]
    assert [(r.step, r.wall_time) for r in batch.restarts] == [(3, 1.0)]
    assert same_scalars(native_scalars(path), protobuf_scalars(path))


def test_mixed_and_non_scalar_records_go_to_the_protobuf_path(tmp_path):
    path = tmp_path / "events.out.tfevents.8"
    mixed = event_pb2.Event(step=1)
    mixed.summary.value.add(tag="loss", simple_value=1.0)
    mixed.summary.value.append(encode.histogram("h", [1.0, 2.0]).value[0])
    graph = event_pb2.Event(graph_def=b"\n\x03\n\x01x")
    offsets = write_records(
        path,
        [
            event_pb2.Event(file_version="brain.Event:2").SerializeToString(),
            mixed.SerializeToString(),
            graph.SerializeToString(),
            scalar_event("loss", 2.0, 2),
        ],
    )
    batch = read_scalars(path)
    assert batch.file_version == "brain.Event:2"
    assert batch.other_offsets.tolist() == offsets[1:3]
    assert batch.scalars["loss"].step.tolist() == [2]
    assert same_scalars(native_scalars(path), protobuf_scalars(path))


def test_tf2_tensor_scalars_without_metadata_keep_their_plugin(tmp_path):
    path = tmp_path / "events.out.tfevents.9"
    first = event_pb2.Event(step=0)
    first.summary.CopyFrom(encode.scalar("s", 1.5, new_style=True))
    first.summary.value.add().CopyFrom(encode.text("t", "x").value[0])
    later = event_pb2.Event(step=1)
    later.summary.value.add(tag="s").tensor.CopyFrom(first.summary.value[0].tensor)
    offsets = write_records(path, [first.SerializeToString(), later.SerializeToString()])
    batch = read_scalars(path)
    assert batch.plugins == {"s": "scalars", "t": "text"}
    assert (
        batch.scalars["s"].value.tolist() == [1.5] and batch.other_offsets.tolist() == offsets[:1]
    )
    # Rank-0 float tensors of another plugin are not scalars, even without metadata later on.
    resumed = read_scalars(path, offsets[1], plugins={"s": "other"})
    assert resumed.scalars == {} and resumed.other_offsets.tolist() == [offsets[1]]


def test_double_and_int_tensor_scalars(tmp_path):
    path = tmp_path / "events.out.tfevents.10"
    payloads = []
    for step, (dtype, field, value) in enumerate(
        [(2, "double_val", 0.1), (3, "int_val", -7), (9, "int64_val", 2**40), (1, "float_val", 2.5)]
    ):
        event = event_pb2.Event(step=step)
        v = event.summary.value.add(tag="x")
        v.metadata.plugin_data.plugin_name = "scalars"
        v.tensor.dtype = dtype
        getattr(v.tensor, field).append(value)
        payloads.append(event.SerializeToString())
    content = event_pb2.Event(step=9)
    v = content.summary.value.add(tag="x")
    v.tensor.dtype, v.tensor.tensor_content = 2, struct.pack("<d", 1e-300)
    payloads.append(content.SerializeToString())
    write_records(path, payloads)
    assert read_scalars(path).scalars["x"].value.tolist() == [0.1, -7, 2**40, 2.5, 1e-300]
    assert same_scalars(native_scalars(path), protobuf_scalars(path))


def peer_files() -> list[str]:
    return sorted(glob.glob(os.path.join(FIXTURES, "**", "*tfevents*"), recursive=True))


@pytest.mark.parametrize("path", peer_files(), ids=os.path.basename)
def test_native_and_protobuf_agree_on_every_fixture(path):
    reference = protobuf_scalars(path)
    assert reference and same_scalars(native_scalars(path), reference)


def test_iter_run_events_reads_files_in_name_order(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    write_records(run / "events.out.tfevents.0000000002.h.1.0", [scalar_event("x", 2, 2)])
    write_records(run / "events.out.tfevents.0000000001.h.1.0", [scalar_event("x", 1, 1)])
    (run / "notes.txt").write_text("not an event file")
    assert [e.step for e in iter_run_events(run)] == [1, 2]


def _seed_events() -> list[bytes]:
    """Valid events of every shape the native decoder handles, to be mutated."""
    out = [scalar_event("loss", 0.5, 3), event_pb2.Event(file_version="v").SerializeToString()]
    for summary in (
        encode.scalar("t", 1.25, new_style=True),
        encode.scalar("d", 0.1, new_style=True, double_precision=True),
        encode.text("txt", "hi"),
        encode.histogram("h", [1.0, 2.0]),
    ):
        out.append(event_pb2.Event(step=4, wall_time=2.0, summary=summary).SerializeToString())
    start = event_pb2.Event(step=2, session_log=event_pb2.SessionLog(status=1, msg="m"))
    out.append(start.SerializeToString())
    tagged = event_pb2.Event(step=1)
    value = tagged.summary.value.add(tag="n", node_name="node", simple_value=2.0)
    value.metadata.display_name = "shown"
    out.append(tagged.SerializeToString())
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 7),
            st.lists(
                st.tuples(
                    st.integers(0, 200),
                    st.integers(0, 255),
                    st.sampled_from(["flip", "insert", "delete"]),
                ),
                max_size=3,
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_native_decoder_agrees_with_protobuf_on_mutated_events(tmp_path_factory, plan):
    """Correctly framed records whose payloads are mutated protobuf: the native decoder must
    never crash and must find exactly the scalars protobuf + normalize find."""
    seeds = _seed_events()
    payloads = []
    for seed_index, mutations in plan:
        data = bytearray(seeds[seed_index])
        for position, byte, kind in mutations:
            at = position % (len(data) + 1)
            if kind == "insert":
                data.insert(at, byte)
            elif data and kind == "flip":
                data[at % len(data)] ^= byte or 1
            elif data:
                del data[at % len(data)]
        payloads.append(bytes(data))
    path = tmp_path_factory.mktemp("mutated") / "events.out.tfevents.11"
    write_records(path, payloads)
    assert same_scalars(native_scalars(path), protobuf_scalars(path))


def test_reading_in_slices_with_max_bytes(log_dir):
    import torch

    with SummaryWriter(log_dir) as w:
        for i in range(300):
            w.add_scalar("x", float(i), i)
            if i == 150:  # one record far larger than a slice
                w.add_image("big", torch.rand(3, 64, 64), i)
                w.add_histogram("h", torch.randn(1000), i)
    path = only_event_file(log_dir)
    offset, steps, others, calls = 0, [], 0, 0
    while True:
        batch = read_scalars(path, offset, max_bytes=1000)
        calls += 1
        if batch.offset == offset:
            break
        offset = batch.offset
        steps += batch.scalars["x"].step.tolist() if "x" in batch.scalars else []
        others += len(list(batch.other_events()))
    assert steps == list(range(300)) and others == 2
    assert offset == os.path.getsize(path) and calls > 10
