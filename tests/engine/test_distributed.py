"""engine.distributed on real MPI processes (mpiexec -n 2 / -n 4, oversubscribed).

The pytest side launches this same file under ``mpiexec`` (``python3 test_distributed.py
<scenario> <outdir>``); rank 0 writes its findings to ``outdir`` and the test compares them with
a single-process run computed here, without MPI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import engine as eg

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
MPIEXEC = shutil.which("mpiexec")
HAVE_MPI = MPIEXEC is not None and importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(
    not HAVE_MPI, reason="needs mpi4py and mpiexec: pip install 'flowboard[mpi]'"
)

FEATURES, HIDDEN, BATCH, STEPS, LR = 6, 16, 8, 6, 0.05


# -- the model every scenario trains ----------------------------------------------------------
def initial_values(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0, 0.5, (FEATURES, HIDDEN)).astype(np.float32),
        "b1": rng.normal(0, 0.1, (HIDDEN,)).astype(np.float32),
        "w2": rng.normal(0, 0.5, (HIDDEN, 1)).astype(np.float32),
        "b2": np.zeros((1,), np.float32),
    }


def data(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, FEATURES)).astype(np.float32)
    true_w = np.linspace(-1, 1, FEATURES, dtype=np.float32).reshape(-1, 1)
    y = np.tanh(x @ true_w) + 0.05 * rng.normal(size=(n, 1)).astype(np.float32)
    return x, y.astype(np.float32)


def build(init: dict):
    x = eg.placeholder(eg.float32, [None, FEATURES], name="x")
    y = eg.placeholder(eg.float32, [None, 1], name="y")
    vs = {k: eg.Variable(v, name=k) for k, v in init.items()}
    h = eg.nn.relu(eg.matmul(x, vs["w1"]) + vs["b1"])
    pred = eg.matmul(h, vs["w2"]) + vs["b2"]
    loss = eg.reduce_mean(eg.square(pred - y))
    return x, y, vs, loss


def make_optimizer(name: str):
    if name == "adam":
        return eg.train.AdamOptimizer(0.01)
    if name == "momentum":
        return eg.train.MomentumOptimizer(LR, 0.9)
    return eg.train.GradientDescentOptimizer(LR)


def reference_training(opt_name: str, ranks: int, steps: int = STEPS, seed: int = 0) -> dict:
    """One process, batch ranks·B per step: what N synchronous ranks must reproduce."""
    with eg.Graph().as_default():
        x, y, vs, loss = build(initial_values(seed))
        train = make_optimizer(opt_name).minimize(loss)
        xs, ys = data(ranks * BATCH * steps)
        per = ranks * BATCH
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            for step in range(steps):
                sl = slice(step * per, (step + 1) * per)
                sess.run(train, {x: xs[sl], y: ys[sl]})
            return dict(zip(vs, sess.run(list(vs.values())), strict=True))


def build_embedding():
    ids = eg.placeholder(eg.int64, [None, 3], name="ids")
    y = eg.placeholder(eg.float32, [None, 1], name="y")
    rng = np.random.default_rng(5)
    table = eg.Variable(rng.normal(size=(20, 4)).astype(np.float32), name="table")
    w = eg.Variable(rng.normal(size=(4, 1)).astype(np.float32), name="w")
    pooled = eg.reduce_mean(eg.nn.embedding_lookup(table, ids), axis=1)
    loss = eg.reduce_mean(eg.square(eg.matmul(pooled, w) - y))
    return ids, y, {"table": table, "w": w}, loss


def embedding_data(n: int):
    rng = np.random.default_rng(11)
    return rng.integers(0, 20, (n, 3)), rng.normal(size=(n, 1)).astype(np.float32)


def reference_embedding(ranks: int) -> dict:
    with eg.Graph().as_default():
        ids, y, vs, loss = build_embedding()
        train = make_optimizer("sgd").minimize(loss)
        xs, ys = embedding_data(ranks * BATCH * STEPS)
        per = ranks * BATCH
        with eg.Session() as sess:
            sess.run(eg.global_variables_initializer())
            for step in range(STEPS):
                sl = slice(step * per, (step + 1) * per)
                sess.run(train, {ids: xs[sl], y: ys[sl]})
            return dict(zip(vs, sess.run(list(vs.values())), strict=True))


# -- the launcher ----------------------------------------------------------------------------
def mpirun(n: int, scenario: str, outdir, *args, timeout: float = 120, env=None):
    cmd = [MPIEXEC, "-n", str(n), "--oversubscribe", sys.executable, HERE, scenario, str(outdir)]
    full_env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    full_env.update(OMPI_MCA_rmaps_base_oversubscribe="1", PYTHONPATH=ROOT)
    full_env.update(env or {})
    start = time.monotonic()
    proc = subprocess.run(
        cmd + [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
    )
    return proc, time.monotonic() - start


def check(proc) -> None:
    assert proc.returncode == 0, (
        f"mpiexec failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )


# -- tests -----------------------------------------------------------------------------------
@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 4])
def test_broadcast_makes_different_initial_values_identical(tmp_path, n):
    proc, _ = mpirun(n, "broadcast", tmp_path)
    check(proc)
    result = json.loads((tmp_path / "broadcast.json").read_text())
    assert result["differed_before"] is True
    assert result["identical_after"] is True
    assert result["rank0_kept_its_values"] is True


@needs_mpi
@pytest.mark.slow
def test_collectives_values_gradients_graph_and_trace(tmp_path):
    proc, _ = mpirun(4, "collectives", tmp_path)
    check(proc)
    r = json.loads((tmp_path / "collectives.json").read_text())
    assert r["allreduce_sum"] == [0 + 1 + 2 + 3] * 3
    assert r["allreduce_mean"] == [1.5] * 3
    # rank r contributes r+1 rows holding r+1: rows 1, 2,2, 3,3,3, 4,4,4,4
    assert r["allgather"] == [1, 2, 2, 3, 3, 3, 4, 4, 4, 4]
    assert r["broadcast"] == [4.0, 4.0]  # rank 2's xb holds 2 + 2
    # d/dx of sum_r mean(allreduce(x))... every rank's loss depends on every x: grad = size
    assert r["allreduce_grad"] == [4.0, 4.0, 4.0]
    # rank 0's one row (1.0) is squared in all 4 ranks' losses: 4 * 2 * 1.0
    assert r["allgather_grad"] == [8.0]
    assert r["broadcast_grad_root"] == [4.0, 4.0]
    assert r["broadcast_grad_other"] == [0.0, 0.0]
    assert {"MPIAllreduce", "MPIAllgather", "MPIBroadcast"} <= set(r["graph_op_types"])
    assert any(name.startswith("MPIAllreduce") for name in r["traced_nodes"])
    assert r["fused_buckets"] == [[0, 1], [2], [3, 4]]
    # ~1 s of rank 0 waiting in MPI: its other thread ran (1 ms ticks) instead of being blocked
    assert r["ticks_during_run"] > 200, r["ticks_during_run"]


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize(("n", "opt"), [(2, "sgd"), (4, "sgd"), (4, "adam")])
def test_sync_training_on_n_ranks_matches_one_process_on_n_times_the_batch(tmp_path, n, opt):
    proc, _ = mpirun(n, "sync", tmp_path, opt)
    check(proc)
    got = dict(np.load(tmp_path / "sync.npz"))
    want = reference_training(opt, n)
    start = initial_values(0)
    for k in want:
        assert not np.allclose(want[k], start[k]), f"{k} did not train"
        np.testing.assert_allclose(got[k], want[k], rtol=2e-5, atol=2e-6, err_msg=k)
    assert json.loads((tmp_path / "sync.json").read_text())["ranks_agree"] is True


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("as_dense", ["sparse", "dense"])
def test_sync_sparse_gradients_allgathered_match_one_process(tmp_path, as_dense):
    proc, _ = mpirun(2, "embedding", tmp_path, as_dense)
    check(proc)
    r = json.loads((tmp_path / "embedding.json").read_text())
    assert r["gradient_is_sparse"] is True
    assert r["has_allgather"] is (as_dense == "sparse")
    got = dict(np.load(tmp_path / "embedding.npz"))
    want = reference_embedding(2)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=2e-5, atol=2e-6, err_msg=k)


@needs_mpi
@pytest.mark.slow
def test_async_parameter_server_converges(tmp_path):
    proc, _ = mpirun(4, "async", tmp_path)
    check(proc)
    r = json.loads((tmp_path / "async.json").read_text())
    assert r["updates"] == 3 * r["steps_per_worker"]  # every push applied once, by the server
    assert r["final_loss"] < 0.25 * r["initial_loss"], r
    assert r["ranks_agree"] is True


@needs_mpi
@pytest.mark.slow
def test_dead_rank_fails_the_job_fast_and_training_resumes_from_checkpoint(tmp_path):
    ckpt = tmp_path / "ckpt"
    proc, elapsed = mpirun(2, "checkpointed", tmp_path, ckpt, "die", timeout=90)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    # Open MPI's launcher ends the job and names the process (jobid,rank) and its exit code
    assert "exited with non-zero status" in text and ",1]" in text and "Exit code:    3" in text
    assert elapsed < 30, f"the job took {elapsed:.1f} s to fail"
    assert (tmp_path / "died_at").read_text() == "7"
    saved = eg.train.latest_checkpoint(str(ckpt))
    assert saved is not None and saved.endswith("-6"), saved
    proc, _ = mpirun(2, "checkpointed", tmp_path, ckpt, "resume", timeout=90)
    check(proc)
    r = json.loads((tmp_path / "resume.json").read_text())
    assert r["restored_step"] == 6 and r["final_step"] == 10
    assert r["ranks_agree"] is True
    got = dict(np.load(tmp_path / "resume.npz"))
    want = reference_training("sgd", 2, steps=10, seed=100)  # rank 0's initial values
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=2e-5, atol=2e-6, err_msg=k)


@needs_mpi
@pytest.mark.slow
def test_ranks_reducing_different_tensors_fail_instead_of_mixing_them(tmp_path):
    proc, _ = mpirun(2, "mismatch", tmp_path)
    check(proc)
    for rank in (0, 1):
        text = (tmp_path / f"mismatch_{rank}.txt").read_text()
        assert "ranks [1] reduce different tensors than rank 0" in text, text


def test_fusion_buckets_follow_order_dtype_and_threshold():
    from engine.distributed.ops import DEFAULT_FUSION_THRESHOLD, fusion_buckets

    assert DEFAULT_FUSION_THRESHOLD == 64 * 1024 * 1024
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert fusion_buckets([10, 10, 10], [f32] * 3, 64) == [[0, 1, 2]]
    assert fusion_buckets([40, 40, 10], [f32] * 3, 64) == [[0], [1, 2]]
    assert fusion_buckets([100, 8], [f32] * 2, 64) == [[0], [1]]  # too big: alone
    assert fusion_buckets([8, 8, 8], [f32, f64, f32], 64) == [[0], [1], [2]]
    assert fusion_buckets([], [], 64) == []


def test_importing_engine_distributed_does_not_start_mpi():
    code = "import engine.distributed as d; from mpi4py import MPI; print(MPI.Is_initialized())"
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("needs mpi4py: pip install 'flowboard[mpi]'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


@needs_mpi
@pytest.mark.slow
def test_stuck_rank_makes_the_others_fail_naming_it(tmp_path):
    proc, elapsed = mpirun(2, "stuck", tmp_path, timeout=90, env={"FLOWBOARD_MPI_TIMEOUT": "2"})
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "CollectiveTimeoutError" in text and "ranks not responding: [1]" in text, text
    assert elapsed < 40, f"took {elapsed:.1f} s"


@needs_mpi
@pytest.mark.slow
def test_distributed_mnist_example_writes_per_worker_logs(tmp_path):
    cmd = [MPIEXEC, "-n", "2", "--oversubscribe", sys.executable, "-m"]
    cmd += ["examples.distributed_mnist", "--logdir", str(tmp_path), "--steps", "40"]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    check(proc)
    from summaries import SummaryReader  # noqa: PLC0415 - only this test needs the reader

    final = {}
    for run in ("worker_0", "worker_1", "aggregate"):
        files = [f for f in os.listdir(tmp_path / run) if f.startswith("events.out.tfevents")]
        assert files, run
        scalars = SummaryReader(str(tmp_path / run)).scalars
        losses = scalars[scalars["tag"] == "loss"].sort_values("step")
        assert list(losses["step"]) == [1, 10, 20, 30, 40], run
        assert losses["value"].iloc[-1] < losses["value"].iloc[0], run
        final[run] = float(losses["value"].iloc[-1])
    # the aggregate is the mean of the workers' losses at the same step
    assert final["aggregate"] == pytest.approx((final["worker_0"] + final["worker_1"]) / 2, 1e-5)
    assert eg.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-40")


# -- the scenarios, run by every rank under mpiexec -----------------------------------------
def _agree(hvd, arrays) -> bool:
    flat = np.concatenate([np.ravel(a).astype(np.float64) for a in arrays])
    with eg.Graph().as_default():
        everyone = eg.Session().run(hvd.allgather(flat.reshape(1, -1)))
    return bool(np.all(everyone == everyone[0]))


def scenario_broadcast(hvd, outdir):
    x, y, vs, loss = build(initial_values(100 + hvd.rank()))
    bcast = hvd.broadcast_global_variables(0)
    gathered = hvd.allgather(eg.reshape(vs["w1"], [1, -1]))
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        before = sess.run(gathered)
        mine = sess.run(vs["w1"])
        sess.run(bcast)
        after = sess.run(gathered)
        kept = bool(np.array_equal(sess.run(vs["w1"]), initial_values(100)["w1"]))
    if hvd.rank() == 0:
        result = {
            "differed_before": bool(not np.allclose(before[0], before[1])),
            "identical_after": bool(np.all(after == after[0])),
            "rank0_kept_its_values": kept and bool(np.array_equal(mine, initial_values(100)["w1"])),
        }
        (outdir / "broadcast.json").write_text(json.dumps(result))


def scenario_collectives(hvd, outdir):
    from engine.distributed.ops import fusion_buckets

    r = hvd.rank()
    v = eg.constant(np.full(3, float(r), np.float32))
    rows = eg.constant(np.full((r + 1, 1), float(r + 1), np.float32))
    xb = eg.Variable(np.full(2, float(r + 2), np.float32), name="xb")
    s = hvd.allreduce(v, average=False)
    m = hvd.allreduce(v)
    g = hvd.allgather(rows)
    b = hvd.broadcast(xb.value(), root_rank=2)
    (ar_grad,) = eg.gradients(eg.reduce_sum(hvd.allreduce(v, average=False)), [v])
    (ag_grad,) = eg.gradients(eg.reduce_sum(eg.square(g)), [rows])
    (bc_grad,) = eg.gradients(eg.reduce_sum(b), [xb])
    meta = eg.RunMetadata()
    opts = eg.RunOptions(trace_level=eg.RunOptions.FULL_TRACE)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        # rank 0 waits in the first allreduce while the others sleep; a Python thread of rank 0
        # must keep running meanwhile (the wait holds no GIL)
        ticks, stop = [0], threading.Event()

        def count():
            while not stop.is_set():
                ticks[0] += 1
                time.sleep(0.001)

        counter = threading.Thread(target=count)
        counter.start()
        if r != 0:
            time.sleep(1.0)
        before = ticks[0]
        out = sess.run([s, m, g, b, ar_grad, ag_grad, bc_grad], options=opts, run_metadata=meta)
        ticks_during_run = ticks[0] - before
        stop.set()
        counter.join()
    traced = [n.node_name for d in meta.step_stats.dev_stats for n in d.node_stats]
    grads = {k: hvd.allgather(eg.reshape(eg.constant(out[6]), [1, -1])) for k in ["bc"]}
    bc_all = eg.Session().run(grads["bc"])
    if r == 0:
        result = {
            "allreduce_sum": out[0].tolist(),
            "allreduce_mean": out[1].tolist(),
            "allgather": out[2].ravel().tolist(),
            "broadcast": out[3].tolist(),
            "allreduce_grad": out[4].tolist(),
            "allgather_grad": out[5].ravel().tolist(),
            "broadcast_grad_root": bc_all[2].tolist(),
            "broadcast_grad_other": bc_all[1].tolist(),
            "graph_op_types": sorted({n.op for n in eg.get_default_graph().as_graph_def().node}),
            "traced_nodes": traced,
            "ticks_during_run": ticks_during_run,
            "fused_buckets": fusion_buckets(
                [40, 24, 100, 8, 8], [np.float32] * 3 + [np.float64] * 2, 64
            ),
        }
        (outdir / "collectives.json").write_text(json.dumps(result))


def scenario_sync(hvd, outdir, opt_name):
    n, r = hvd.size(), hvd.rank()
    x, y, vs, loss = build(initial_values(0))
    train = hvd.DistributedOptimizer(make_optimizer(opt_name)).minimize(loss)
    xs, ys = data(n * BATCH * STEPS)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for step in range(STEPS):
            start = (step * n + r) * BATCH
            sess.run(train, {x: xs[start : start + BATCH], y: ys[start : start + BATCH]})
        final = dict(zip(vs, sess.run(list(vs.values())), strict=True))
    agree = _agree(hvd, list(final.values()))
    if r == 0:
        np.savez(outdir / "sync.npz", **final)
        (outdir / "sync.json").write_text(json.dumps({"ranks_agree": agree}))


def scenario_embedding(hvd, outdir, as_dense):
    n, r = hvd.size(), hvd.rank()
    ids, y, vs, loss = build_embedding()
    opt = hvd.DistributedOptimizer(make_optimizer("sgd"), sparse_as_dense=as_dense == "dense")
    local = make_optimizer("sgd").compute_gradients(loss)
    train = opt.minimize(loss)
    xs, ys = embedding_data(n * BATCH * STEPS)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for step in range(STEPS):
            start = (step * n + r) * BATCH
            sess.run(train, {ids: xs[start : start + BATCH], y: ys[start : start + BATCH]})
        final = dict(zip(vs, sess.run(list(vs.values())), strict=True))
    if r == 0:
        types = {node.op for node in eg.get_default_graph().as_graph_def().node}
        result = {
            "gradient_is_sparse": isinstance(local[0][0], eg.IndexedSlices),
            "has_allgather": "MPIAllgather" in types,
        }
        np.savez(outdir / "embedding.npz", **final)
        (outdir / "embedding.json").write_text(json.dumps(result))


def scenario_async(hvd, outdir):
    steps = 60
    x, y, vs, loss = build(initial_values(0))
    opt = hvd.DistributedOptimizer(eg.train.GradientDescentOptimizer(LR), mode="async")
    train = opt.minimize(loss)
    xs, ys = data(2048)
    xv, yv = data(512, seed=99)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))
        initial = float(sess.run(loss, {x: xv, y: yv}))
        updates = 0
        if opt.is_server:
            updates = opt.serve(sess)
        else:
            rng = np.random.default_rng(hvd.rank())
            for _ in range(steps):
                idx = rng.integers(0, len(xs), BATCH)
                sess.run(train, {x: xs[idx], y: ys[idx]})
            opt.finish(sess)
        final = float(sess.run(loss, {x: xv, y: yv}))
        agree = _agree(hvd, sess.run(list(vs.values())))
    if hvd.rank() == 0:
        result = {
            "updates": updates,
            "steps_per_worker": steps,
            "initial_loss": initial,
            "final_loss": final,
            "ranks_agree": agree,
        }
        (outdir / "async.json").write_text(json.dumps(result))


def scenario_checkpointed(hvd, outdir, ckpt, phase):
    """Sync SGD with a checkpoint by rank 0 every 2 steps; in 'die' rank 1 exits at step 7."""
    n, r = hvd.size(), hvd.rank()
    x, y, vs, loss = build(initial_values(100 + r))  # rank 0's values win by broadcast
    step_var = eg.train.get_or_create_global_step()
    train = hvd.DistributedOptimizer(make_optimizer("sgd")).minimize(loss, global_step=step_var)
    hooks = [hvd.BroadcastGlobalVariablesHook(0), eg.train.StopAtStepHook(last_step=10)]
    xs, ys = data(n * BATCH * 10)
    restored = None
    with eg.train.MonitoredTrainingSession(
        checkpoint_dir=hvd.checkpoint_dir(ckpt),
        hooks=hooks,
        save_checkpoint_steps=2,
        save_summaries_steps=None,
        save_summaries_secs=None,
        log_step_count_steps=None,
    ) as sess:
        while not sess.should_stop():
            step = int(sess.run(step_var))
            restored = step if restored is None else restored
            if phase == "die" and r == 1 and step == 7:
                (outdir / "died_at").write_text(str(step))
                os._exit(3)
            start = (step * n + r) * BATCH
            sess.run(train, {x: xs[start : start + BATCH], y: ys[start : start + BATCH]})
            if phase == "die" and step >= 7:
                time.sleep(0.2)
        raw = sess.raw_session()
        final = dict(zip(vs, raw.run(list(vs.values())), strict=True))
        final_step = int(raw.run(step_var))
    agree = _agree(hvd, list(final.values()))
    if r == 0:
        np.savez(outdir / "resume.npz", **final)
        result = {"restored_step": restored, "final_step": final_step, "ranks_agree": agree}
        (outdir / "resume.json").write_text(json.dumps(result))


def scenario_mismatch(hvd, outdir):
    """Rank 1 builds its first variable with another shape: the fused allreduce must refuse."""
    init = initial_values(0)
    if hvd.rank() == 1:
        init["w1"] = np.zeros((FEATURES, HIDDEN + 1), np.float32)
        init["b1"] = np.zeros(HIDDEN + 1, np.float32)
        init["w2"] = np.zeros((HIDDEN + 1, 1), np.float32)
    x, y, vs, loss = build(init)
    train = hvd.DistributedOptimizer(make_optimizer("sgd")).minimize(loss)
    xs, ys = data(BATCH)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        try:
            sess.run(train, {x: xs, y: ys})
        except eg.errors.InvalidArgumentError as e:
            (outdir / f"mismatch_{hvd.rank()}.txt").write_text(str(e))
            return
    (outdir / f"mismatch_{hvd.rank()}.txt").write_text("no error")


def scenario_stuck(hvd, outdir):
    x, y, vs, loss = build(initial_values(0))
    train = hvd.DistributedOptimizer(make_optimizer("sgd")).minimize(loss)
    xs, ys = data(BATCH)
    with eg.Session() as sess:
        sess.run(eg.global_variables_initializer())
        for step in range(5):
            if hvd.rank() == 1 and step == 2:
                time.sleep(600)  # alive but stuck outside the engine
            sess.run(train, {x: xs, y: ys})


def _main(argv):
    import pathlib

    import engine.distributed as hvd

    hvd.init()
    scenario, outdir, *rest = argv
    globals()[f"scenario_{scenario}"](hvd, pathlib.Path(outdir), *rest)


if __name__ == "__main__":
    _main(sys.argv[1:])
