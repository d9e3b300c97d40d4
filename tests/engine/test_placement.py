"""Placement, soft placement, copies between devices, partition graphs and per-device traces,
checked on the host CPU plus a fake second device (tests/engine/fake_device.py, not a GPU)."""

import warnings

import numpy as np
import pytest

import engine as eg
from engine import devices, placement

from .fake_device import FakeArray, FakeDevice

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
FAKE = "/job:localhost/replica:0/task:0/device:FAKE:0"


@pytest.fixture
def fake():
    dev = FakeDevice(0)
    placement.register_device(dev)
    yield dev
    placement.unregister_device(dev)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(devices, "gpu_available", lambda: False)
    monkeypatch.setattr(devices, "_warned", set())


def _trace(sess, fetches, feed_dict=None):
    opts = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE, output_partition_graphs=True)
    md = eg.RunMetadata()
    out = sess.run(fetches, feed_dict, options=opts, run_metadata=md)
    return out, md


def test_device_names_are_tf_canonical():
    with eg.Graph().as_default():
        with eg.device("/job:worker/task:0/gpu:0"):
            a = eg.constant(1.0)
            with eg.device("/cpu:0"):
                b = a + 1.0  # the inner spec's device replaces the outer one, job stays
            with eg.device(None):
                c = a + 2.0
        with eg.device("/device:GPU:1"):
            d = a * 2.0
    assert a.device == "/job:worker/task:0/device:GPU:0"
    assert b.device == "/job:worker/task:0/device:CPU:0"
    assert c.device == "" and d.device == "/device:GPU:1"


def test_pinned_ops_run_on_the_device_with_counted_copies(fake, no_gpu):
    xv = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
    with eg.Graph().as_default():
        x = eg.placeholder(eg.float32, [2, 2], name="x")
        with eg.device("/device:FAKE:0"):
            h = eg.nn.relu(eg.matmul(x, x, name="mm"), name="h")
            s = eg.reduce_sum(h, axis=1, name="s")
        out = eg.nn.softmax(s, name="out")  # no FAKE kernel: on the CPU
        with eg.Session() as sess:
            got = sess.run([out, h], {x: xv})
            ref_h = np.maximum(xv @ xv, 0)
            np.testing.assert_allclose(got[1], ref_h, rtol=1e-6)
            e = np.exp(ref_h.sum(1) - ref_h.sum(1).max())
            np.testing.assert_allclose(got[0], e / e.sum(), rtol=1e-6)
            assert fake.ran == ["mm", "h", "s"]
            # In: x (once, though read twice); out: h (fetched) and s (read by Softmax).
            # reduce_sum's axes constant, made in the scope, stays on the host: Sum reads it
            # from host memory (TF's HostMemory inputs).
            assert (fake.to_device_count, fake.to_host_count) == (1, 2)
            sess.run([out, h], {x: xv})
            assert (fake.to_device_count, fake.to_host_count) == (2, 4)
            assert isinstance(got[1], np.ndarray) and not isinstance(got[1], FakeArray)


def test_unpinned_ops_go_to_the_preferred_device_that_has_a_kernel(no_gpu):
    # The same rule that sends unpinned ops to /gpu:0 when a GPU exists (GPU priority > CPU).
    dev = FakeDevice(0, priority=1000)
    placement.register_device(dev)
    try:
        with eg.Graph().as_default():
            a = eg.constant([1.0, 2.0], name="a")
            b = eg.multiply(a, 3.0, name="b")
            c = eg.exp(b, name="c")  # no FAKE kernel
            with eg.Session() as sess:
                np.testing.assert_allclose(sess.run(c), np.exp([3.0, 6.0]), rtol=1e-6)
                _, md = _trace(sess, c)
    finally:
        placement.unregister_device(dev)
    assert set(dev.ran) == {"b"}
    names = {ds.device: {n.node_name for n in ds.node_stats} for ds in md.step_stats.dev_stats}
    assert "b" in names[dev.name] and "c" in names[CPU]
    # Constants go where their reader is: a and b's scalar on the device, copied there once.
    assert {"a", "Const"} <= names[dev.name]
    assert dev.to_device_count == 2  # once per constant: the traced run reuses the plan


def test_partition_graphs_and_step_stats_per_device(fake, no_gpu):
    with eg.Graph().as_default():
        x = eg.placeholder(eg.float32, [3], name="x")
        with eg.device("/device:FAKE:0"):
            y = eg.negative(x, name="y") * 2.0
        z = eg.exp(y, name="z")
        with eg.Session() as sess:
            val, md = _trace(sess, z, {x: [1.0, 2.0, 3.0]})
    np.testing.assert_allclose(val, np.exp([-2.0, -4.0, -6.0]), rtol=1e-6)
    graphs = {g.node[0].device: g for g in md.partition_graphs}
    assert set(graphs) == {CPU, FAKE}
    nodes = {dev: {n.name: n for n in g.node} for dev, g in graphs.items()}
    sends = [n for g in graphs.values() for n in g.node if n.op == "_Send"]
    recvs = [n for g in graphs.values() for n in g.node if n.op == "_Recv"]
    assert len(sends) == len(recvs) == 2  # x to the device, y back to the host
    for send in sends:
        (recv,) = [r for r in recvs if r.attr["tensor_name"].s == send.attr["tensor_name"].s]
        assert send.device == send.attr["send_device"].s.decode()
        assert recv.device == recv.attr["recv_device"].s.decode() != send.device
    assert nodes[CPU]["_arg_x_0_0"].op == "_Arg"
    assert nodes[CPU]["_retval_z_0_0"].input == ["z"]
    neg = nodes[FAKE]["y"]
    (recv_x,) = [r for r in recvs if r.device == FAKE]
    assert neg.input == [recv_x.name] and neg.device == FAKE
    (recv_y,) = [r for r in recvs if r.device == CPU]
    assert nodes[CPU]["z"].input == [recv_y.name]
    stats = {ds.device: ds for ds in md.step_stats.dev_stats}
    assert set(stats) == {CPU, FAKE}
    on_fake = {n.node_name: n for n in stats[FAKE].node_stats}
    assert {"y", "mul", recv_x.name} <= set(on_fake)
    out = on_fake["y"].output[0].tensor_description
    assert [d.size for d in out.shape.dim] == [3]  # the device value's shape, not the handle's
    assert out.allocation_description.requested_bytes == 12
    assert out.allocation_description.allocator_name == "fake"
    assert recv_y.name in {n.node_name for n in stats[CPU].node_stats}


def test_soft_placement_falls_back_once_with_a_warning(fake, no_gpu):
    with eg.Graph().as_default():
        with eg.device("/device:FAKE:3"):  # no such index: same type, index 0
            a = eg.constant([1.0, -1.0]) + 1.0
        with eg.device("/device:FAKE:0"):
            b = eg.exp(a)  # no FAKE kernel: the CPU
        with eg.device("/gpu:0"):
            c = b * 2.0
        with eg.Session() as sess:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                got = sess.run(c)
                np.testing.assert_allclose(got, 2 * np.exp([2.0, 0.0]), rtol=1e-6)
                _, md = _trace(sess, [b, c])
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    assert "FAKE:3" in str(caught[0].message) and "FAKE:0" in str(caught[0].message)
    where = {n.node_name: ds.device for ds in md.step_stats.dev_stats for n in ds.node_stats}
    assert where[a.op.name] == FAKE
    assert where[b.op.name] == CPU and where[c.op.name] == CPU


def test_without_soft_placement_the_errors_are_tfs(fake, no_gpu):
    config = eg.ConfigProto(allow_soft_placement=False)
    with eg.Graph().as_default():
        one, three = eg.constant([1.0]), eg.constant(3.0)
        with eg.device("/gpu:0"):
            b = eg.multiply(one, three, name="b")
        with eg.Session(config=config) as sess:
            with pytest.raises(eg.errors.InvalidArgumentError) as err:
                sess.run(b)
    assert err.value.message == (
        "Cannot assign a device for operation b: {{node b}} was explicitly assigned to "
        "/device:GPU:0 but available devices are [ "
        f"{CPU}, {FAKE} ]. Make sure the device specification refers to a valid device."
    )
    with eg.Graph().as_default():
        with eg.device("/device:FAKE:0"):
            e = eg.exp(eg.constant([1.0]), name="e")
        with eg.Session(config=config) as sess:
            with pytest.raises(
                eg.errors.InvalidArgumentError, match="no supported kernel for FAKE"
            ):
                sess.run(e)
        with eg.Session() as sess:  # config=None: soft placement
            with pytest.warns(RuntimeWarning, match="no FAKE kernel"):
                assert sess.run(e) == pytest.approx(np.e)


def test_log_device_placement_prints_tf_lines(fake, no_gpu, capsys):
    with eg.Graph().as_default():
        with eg.device("/device:FAKE:0"):
            y = eg.negative(eg.constant([1.0], name="a"), name="y")
        config = eg.ConfigProto(allow_soft_placement=True, log_device_placement=True)
        with eg.Session(config=config) as sess:
            sess.run(y)
            sess.run(y)
    printed = capsys.readouterr()
    assert printed.err.splitlines() == ["Device mapping:", f"{FAKE} -> fake test device (numpy)"]
    # TF prints these on stdout (and logs them); once per op, not per run
    assert sorted(printed.out.splitlines()) == [f"a: (Const): {FAKE}", f"y: (Neg): {FAKE}"]


def test_placement_is_computed_once_per_plan(fake, no_gpu, monkeypatch):
    calls = []
    real = placement.place
    monkeypatch.setattr(placement, "place", lambda ops, sp: calls.append(1) or real(ops, sp))
    with eg.Graph().as_default():
        x = eg.placeholder(eg.float32, [2])
        with eg.device("/device:FAKE:0"):
            y = x * 2.0
        with eg.Session() as sess:
            for i in range(5):
                np.testing.assert_allclose(sess.run(y, {x: [i, 1.0]}), [2.0 * i, 2.0])
    assert len(calls) == 1


def test_training_with_device_ops_and_host_variables(fake, no_gpu):
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((16, 3)).astype(np.float32)
    yv = xv @ np.array([[1.0], [-2.0], [0.5]], np.float32)

    def train(pin):
        with eg.Graph().as_default():
            x = eg.placeholder(eg.float32, [16, 3])
            y = eg.placeholder(eg.float32, [16, 1])
            w = eg.Variable(np.zeros((3, 1), np.float32), name="w")
            with eg.device(pin):
                err = eg.matmul(x, w) - y
                loss = eg.reduce_sum(err * err)
            step = eg.train.GradientDescentOptimizer(0.01).minimize(loss)
            with eg.Session() as sess:
                sess.run(eg.global_variables_initializer())
                losses = [sess.run([step, loss], {x: xv, y: yv})[1] for _ in range(20)]
                return losses, sess.run(w)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        on_fake, w_fake = train("/device:FAKE:0")
    on_cpu, w_cpu = train(None)
    assert fake.ran and "MatMul" in fake.ran
    np.testing.assert_allclose(on_fake, on_cpu, rtol=1e-5)
    np.testing.assert_allclose(w_fake, w_cpu, rtol=1e-5)
    assert on_fake[-1] < on_fake[0] / 10


def test_list_devices_names_every_device(fake, no_gpu):
    assert eg.Session().list_devices() == ["/device:CPU:0", "/device:FAKE:0"]


def test_the_boards_reader_sees_both_devices_of_an_engine_trace(fake, no_gpu):
    from board.graph.parse import parse_run_metadata

    with eg.Graph().as_default():
        x = eg.placeholder(eg.float32, [4], name="x")
        with eg.device("/device:FAKE:0"):
            y = eg.negative(x, name="y")
        z = eg.exp(y, name="z")
        with eg.Session() as sess:
            _, md = _trace(sess, z, {x: np.ones(4, np.float32)})
    stats = parse_run_metadata(md.SerializeToString())
    assert stats["y"].device == FAKE and stats["z"].device == CPU
    assert stats["y"].memory_bytes == 16
