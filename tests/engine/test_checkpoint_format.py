"""TensorFlow's V2 checkpoint format: TF-written checkpoints restore bit-exact, engine-written
ones are what TensorFlow read (fixtures from make_tf_checkpoint_fixtures.py), writes are
atomic, and damaged files fail with errors that name them."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine as eg
from engine.checkpoint import CheckpointReader, build_table, read_meta_graph_file, read_table
from engine.checkpoint import bundle as bundle_module

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
TF_DIR = os.path.join(FIXTURES, "tf_ckpt")
ENGINE_DIR = os.path.join(FIXTURES, "engine_ckpt")


def _npz(path):
    with np.load(path) as data:
        return {k.replace("|", "/"): data[k] for k in data.files}


def _bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_engine_restores_tensorflow_checkpoint_bit_exact(tmp_path):
    want = _npz(os.path.join(TF_DIR, "values.npz"))
    assert {"layer1/weights/Adam", "beta1_power", "global_step"} <= set(want)
    shutil.copytree(TF_DIR, tmp_path / "ckpt")
    prefix = eg.train.latest_checkpoint(str(tmp_path / "ckpt"))
    assert prefix == str(tmp_path / "ckpt" / "model.ckpt-3")
    variables = {k: eg.Variable(np.zeros_like(v), name=k) for k, v in want.items()}
    with eg.Session() as sess:
        eg.train.Saver().restore(sess, prefix)
        got = sess.run({k: v.value() for k, v in variables.items()})
    for k, v in want.items():
        assert _bits_equal(got[k], v), k


def test_checkpoint_reader_api_on_tensorflow_checkpoint():
    want = _npz(os.path.join(TF_DIR, "values.npz"))
    listed = dict(eg.train.list_variables(TF_DIR))
    assert listed == {k: list(v.shape) for k, v in want.items()}
    assert _bits_equal(eg.train.load_variable(TF_DIR, "layer1/biases:0"), want["layer1/biases"])
    reader = eg.train.NewCheckpointReader(os.path.join(TF_DIR, "model.ckpt-3"))
    assert reader.has_tensor("layer2/weights") and not reader.has_tensor("nope")
    assert reader.get_variable_to_dtype_map()["embedding/ids"] is eg.int32
    assert b"layer1/weights (float32) [5, 3]" in reader.debug_string()


def test_engine_checkpoint_is_what_tensorflow_read():
    with open(os.path.join(ENGINE_DIR, "tf_read.json")) as f:
        info = json.load(f)
    tf_read = _npz(os.path.join(ENGINE_DIR, "tf_read.npz"))
    reader = CheckpointReader(os.path.join(ENGINE_DIR, info["latest_checkpoint"]))
    assert sorted(reader.get_variable_to_shape_map()) == sorted(info["tensors"])
    for name, meta in info["tensors"].items():
        value = reader.get_tensor(name)
        assert value.dtype.name == meta["dtype"] and list(value.shape) == meta["shape"]
        assert _bits_equal(value, tf_read[name]), name
    assert int(tf_read["global_step"]) == 5


def test_engine_writes_the_bytes_tensorflow_read(tmp_path):
    """The committed engine checkpoint was read by TensorFlow; today's engine must still write
    exactly those index and data bytes for the same program."""
    writer = os.path.join(os.path.dirname(__file__), "engine_ckpt_writer.py")
    subprocess.run([sys.executable, writer, str(tmp_path)], check=True)
    for name in ["model.ckpt-5.index", "model.ckpt-5.data-00000-of-00001"]:
        with open(os.path.join(ENGINE_DIR, name), "rb") as f:
            assert (tmp_path / name).read_bytes() == f.read(), name


def test_round_trip_of_every_dtype_and_strings(tmp_path):
    tensors = {
        "f16": np.array([1.5, -2.0, 65504.0], np.float16),
        "f32": np.array([[np.inf, -0.0], [np.nan, 1e-45]], np.float32),
        "f64": np.arange(6, dtype=np.float64).reshape(3, 2, 1) / 7,
        "i8": np.array([-128, 127], np.int8),
        "i16": np.array([-32768], np.int16),
        "i32": np.array(7, np.int32),
        "i64": np.array([2**62, -(2**62)], np.int64),
        "u8": np.array([0, 255], np.uint8),
        "b": np.array([True, False]),
        "empty": np.zeros((0, 4), np.float32),
        "s": np.array([b"hello", b"", "ü".encode()], dtype=object),
    }
    tensors.update({f"many/{i:04d}": np.full(3, i, np.int64) for i in range(300)})
    bundle_module.write_bundle(str(tmp_path / "x"), tensors)
    reader = CheckpointReader(str(tmp_path / "x"))
    for k, v in tensors.items():
        got = reader.get_tensor(k)
        if k == "s":
            assert list(got) == list(v)
        else:
            assert _bits_equal(got, v), k


def test_table_spans_blocks_and_rejects_unsorted_keys(monkeypatch):
    monkeypatch.setattr("engine.checkpoint.table.BLOCK_SIZE", 64)
    items = [(f"key{i:05d}".encode(), bytes([i % 256]) * (i % 13)) for i in range(500)]
    data = build_table(items)
    assert read_table(data) == items
    with pytest.raises(ValueError, match="strictly increasing"):
        build_table([(b"b", b""), (b"a", b"")])


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _saved(tmp_path, steps=(1,)):
    eg.Variable(np.arange(4, dtype=np.float32), name="w")
    step = eg.train.get_or_create_global_step()
    saver = eg.train.Saver()
    sess = eg.Session()
    sess.run(eg.global_variables_initializer())
    for s in steps:
        sess.run(step.assign(s))
        saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    return saver, sess


def test_truncated_or_corrupt_checkpoint_names_the_file(tmp_path):
    saver, sess = _saved(tmp_path)
    prefix = str(tmp_path / "model.ckpt-1")
    data = prefix + ".data-00000-of-00001"
    index = prefix + ".index"
    original = _read(data)
    _write(data, original[:-3])
    with pytest.raises(eg.DataLossError, match="data-00000-of-00001.*truncated"):
        saver.restore(sess, prefix)
    _write(data, original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(eg.DataLossError, match="checksum mismatch"):
        saver.restore(sess, prefix)
    _write(data, original)
    saver.restore(sess, prefix)
    idx = bytearray(_read(index))
    _write(index, bytes(idx[:20]))
    with pytest.raises(eg.DataLossError, match=r"model\.ckpt-1\.index"):
        saver.restore(sess, prefix)
    idx[3] ^= 0xFF
    _write(index, bytes(idx))
    with pytest.raises(eg.DataLossError, match=r"model\.ckpt-1\.index: corrupted block"):
        saver.restore(sess, prefix)
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        saver.restore(sess, str(tmp_path / "missing"))
    os.unlink(data)
    idx[3] ^= 0xFF
    _write(index, bytes(idx))
    with pytest.raises(eg.NotFoundError, match="data-00000-of-00001"):
        saver.restore(sess, prefix)


def test_crash_mid_save_leaves_latest_checkpoint_restorable(tmp_path, monkeypatch):
    saver, sess = _saved(tmp_path, steps=(1,))
    real = bundle_module._atomic_write

    def crash_on_index(path, data):
        if path.endswith(".index"):
            raise KeyboardInterrupt("killed mid-save")
        real(path, data)

    monkeypatch.setattr(bundle_module, "_atomic_write", crash_on_index)
    sess.run(eg.train.get_global_step().assign(2))
    with pytest.raises(KeyboardInterrupt):
        saver.save(sess, str(tmp_path / "model.ckpt"), global_step=2)
    latest = eg.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "model.ckpt-1")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]
    saver.restore(sess, latest)
    assert sess.run(eg.train.get_global_step()) == 1


def test_max_to_keep_and_keep_every_n_hours(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("engine.saver.time.time", lambda: clock[0])
    eg.Variable(1.0, name="v")
    saver = eg.train.Saver(max_to_keep=2, keep_checkpoint_every_n_hours=1)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for i in range(6):
            clock[0] += 1500.0
            saver.save(sess, str(tmp_path / "m"), global_step=i)
    # Saves at t = 2500, 4000, ... 10000; the first one pushed out at or after 4600 (the saver's
    # creation + 1 hour) is m-2, preserved, and the next preserved one would be due at 8200.
    kept = sorted(p[: -len(".index")] for p in os.listdir(tmp_path) if p.endswith(".index"))
    assert kept == ["m-2", "m-4", "m-5"]
    assert saver.last_checkpoints == [str(tmp_path / "m-4"), str(tmp_path / "m-5")]
    state = eg.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == str(tmp_path / "m-5")
    assert list(state.all_model_checkpoint_paths) == saver.last_checkpoints
    assert not os.path.exists(tmp_path / "m-0.meta")


def test_var_list_dict_and_restore_errors(tmp_path):
    a = eg.Variable(np.ones((2, 2), np.float32), name="a")
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        path = eg.train.Saver({"renamed/a": a}).save(sess, str(tmp_path / "c"))
    assert eg.train.list_variables(path) == [("renamed/a", [2, 2])]
    with eg.Graph().as_default():
        b = eg.Variable(np.zeros((2, 2), np.float32), name="b")
        c = eg.Variable(np.zeros((2, 2), np.float32), name="c")
        with eg.Session() as sess:
            eg.train.Saver({"renamed/a": b}).restore(sess, path)
            np.testing.assert_array_equal(sess.run(b), np.ones((2, 2)))
            with pytest.raises(eg.NotFoundError, match="Key c not found"):
                eg.train.Saver([c]).restore(sess, path)
    with eg.Graph().as_default():
        d = eg.Variable(np.zeros((2, 2), np.int32), name="d")
        with eg.Session() as sess, pytest.raises(eg.InvalidArgumentError, match="dtype"):
            eg.train.Saver({"renamed/a": d}).restore(sess, path)


def test_meta_graph_round_trip(tmp_path):
    x = eg.placeholder(eg.float32, [None, 2], name="x")
    with eg.name_scope("layer"):
        w = eg.Variable(np.array([[1.0], [2.0]], np.float32), name="w")
    y = eg.matmul(x, w, name="y")
    eg.add_to_collection("outputs", y)
    step = eg.train.get_or_create_global_step()
    train = eg.train.GradientDescentOptimizer(0.1).minimize(eg.reduce_sum(y), global_step=step)
    eg.add_to_collection("train_op", train)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        sess.run(train, {x: [[1.0, 1.0]]})
        prefix = eg.train.Saver().save(sess, str(tmp_path / "m"), global_step=step)
        want = sess.run(y, {x: [[3.0, 4.0]]})
    with eg.Graph().as_default() as g:
        saver = eg.train.import_meta_graph(prefix + ".meta")
        assert [v.op.name for v in eg.trainable_variables()] == ["layer/w"]
        assert {v.op.name for v in eg.global_variables()} == {"layer/w", "global_step"}
        assert eg.train.get_global_step() is not None
        (y2,) = eg.get_collection("outputs")
        (train2,) = eg.get_collection("train_op")
        with eg.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(y2, {"x:0": [[3.0, 4.0]]}), want)
            sess.run(train2, {"x:0": [[1.0, 1.0]]})
            assert sess.run(eg.train.get_global_step()) == 2
        assert g.get_tensor_by_name("y:0") is y2


def test_reads_tensorflow_meta_graph_collections():
    meta = read_meta_graph_file(os.path.join(TF_DIR, "model.ckpt-3.meta"))
    from engine.proto.meta_graph_pb2 import VariableDef

    names = [
        VariableDef.FromString(b).variable_name
        for b in meta.collection_def["trainable_variables"].bytes_list.value
    ]
    assert names[:2] == ["layer1/weights:0", "layer1/biases:0"]
    assert meta.saver_def.version == meta.saver_def.V2
    assert "layer2/weights" in {n.name for n in meta.graph_def.node}


def test_old_npz_checkpoints_still_restore(tmp_path):
    v = eg.Variable(np.zeros(3, np.float32), name="scope/v")
    np.savez(tmp_path / "old.npz", **{"scope\x1fv": np.array([1, 2, 3], np.float32)})
    with eg.Session() as sess:
        eg.train.Saver().restore(sess, str(tmp_path / "old"))
        np.testing.assert_array_equal(sess.run(v), [1, 2, 3])


def test_tensorflow_ran_the_engine_meta_graph_as_the_engine_does():
    """TensorFlow's import_meta_graph rebuilt the engine's graph from model.ckpt-5.meta,
    restored it and ran dense/y:0 (fixture); the engine, importing the same file, agrees."""
    with open(os.path.join(ENGINE_DIR, "tf_read.json")) as f:
        want = json.load(f)["meta_graph"]
    prefix = os.path.join(ENGINE_DIR, "model.ckpt-5")
    with eg.Graph().as_default():
        saver = eg.train.import_meta_graph(prefix + ".meta")
        assert [v.op.name for v in eg.trainable_variables()] == want["trainable"]
        with eg.Session() as sess:
            saver.restore(sess, prefix)
            y = sess.run("dense/y:0", {"x:0": np.array(want["x"], np.float32)})
    np.testing.assert_allclose(y, want["y"], rtol=1e-6, atol=1e-7)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_checkpoints_fail_only_with_checkpoint_errors(tmp_path_factory, data):
    """Any truncation or byte change of the index or data file either still reads (the change
    hit nothing checked) or raises DataLossError / NotFoundError / UnimplementedError."""
    directory = tmp_path_factory.mktemp("fuzz")
    prefix = str(directory / "c")
    tensors = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b/c": np.array([b"xy", b""], dtype=object),
        "n": np.int64(3),
    }
    bundle_module.write_bundle(prefix, tensors)
    which = data.draw(st.sampled_from([".index", ".data-00000-of-00001"]))
    path = prefix + which
    raw = bytearray(_read(path))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    _write(path, bytes(raw))
    try:
        reader = CheckpointReader(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (eg.DataLossError, eg.NotFoundError, eg.UnimplementedError):
        pass


def test_well_framed_index_with_garbage_entries_is_data_loss(tmp_path):
    """Blocks with valid checksums but records that are not protos still fail as DataLoss."""
    prefix = str(tmp_path / "g")
    with open(prefix + ".index", "wb") as f:
        f.write(build_table([(b"", b"\xff\xff\xff"), (b"t", b"\x0a")]))
    with pytest.raises(eg.DataLossError, match="bad bundle header"):
        CheckpointReader(prefix)
    with open(prefix + ".index", "wb") as f:
        f.write(build_table([(b"t", b"\xff\xff\xff")]))
    with pytest.raises(eg.DataLossError, match="bad entry"):
        CheckpointReader(prefix)
