"""Hostile inputs must give TF-like errors, never kill the process or silently change values
(issue #13, engine): sizes that overflow, truncated op libraries, NaN through activations and
max/min, and integer feeds and constants out of range.

Cases that crashed the process before the fix run in a subprocess, so a regression fails the
test instead of killing pytest."""

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import engine as eg
import engine.plan
from engine import _executor
from engine.custom import include_dir

HERE = os.path.dirname(os.path.abspath(__file__))
NAN_FIXTURES = os.path.join(HERE, "fixtures", "nan_ops.npz")


def run_isolated(code: str, timeout: float = 120) -> list:
    """Runs `code` in a fresh interpreter; it prints one JSON value per line. Fails the test when
    the interpreter dies (a signal) instead of returning."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "FLOWBOARD_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, (
        f"subprocess died with status {proc.returncode} (negative: signal)\n"
        f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    )
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith(("[", "{"))]


# ---- 1. sizes that overflow -------------------------------------------------------------------

SIZE_CASES = {
    # name: (engine expression building the fetched tensor, expected error class)
    "fill_2**62_f32": ("eg.fill(eg.constant([2**62], eg.int64), 1.0)", "ResourceExhaustedError"),
    "fill_2**61_f64": (
        "eg.fill(eg.constant([2**61], eg.int64), eg.constant(1.0, eg.float64))",
        "ResourceExhaustedError",
    ),
    "fill_count_overflow": (
        "eg.fill(eg.constant([2**31, 2**31, 4], eg.int64), 1.0)",
        "InvalidArgumentError",
    ),
    # 2**48 bytes: more than any x86-64 user address space, so the allocation always fails.
    "fill_2**46_f32": ("eg.fill(eg.constant([2**46], eg.int64), 1.0)", "ResourceExhaustedError"),
    "fill_negative": ("eg.fill(eg.constant([3, -1], eg.int64), 1.0)", "InvalidArgumentError"),
    "broadcast_2**61": (
        "eg.broadcast_to(eg.constant(1.0), eg.constant([2**61], eg.int64))",
        "ResourceExhaustedError",
    ),
    "broadcast_negative": (
        "eg.broadcast_to(eg.constant([1.0]), eg.constant([-4, 1], eg.int64))",
        "InvalidArgumentError",
    ),
    # 4 * (2**62 + 1) wraps to 4, the input's size: it used to alias 16 bytes as 2**64 values.
    "reshape_wraps": (
        "eg.reshape(eg.constant([1.0, 2, 3, 4]), eg.constant([2**62 + 1, 4], eg.int64))",
        "InvalidArgumentError",
    ),
    "reshape_negative": (
        "eg.reshape(eg.constant([1.0, 2, 3, 4]), eg.constant([-2, -2], eg.int64))",
        "InvalidArgumentError",
    ),
    "zeros_from_tensor": ("eg.zeros(eg.constant([2**61, 2], eg.int64))", "ResourceExhaustedError"),
    "zeros_count_overflow": ("eg.zeros(eg.constant([2**62, 2], eg.int64))", "InvalidArgumentError"),
    "tile_2**62": (
        "eg.tile(eg.constant([1.0, 2.0]), eg.constant([2**62], eg.int64))",
        ("ResourceExhaustedError", "InvalidArgumentError"),
    ),
    "pad_2**62": (
        "eg.pad(eg.constant([1.0, 2.0]), eg.constant([[0, 2**62]], eg.int64))",
        ("ResourceExhaustedError", "InvalidArgumentError"),
    ),
    "range_2**62": (
        "eg.range(eg.constant(0, eg.int64), eg.constant(2**62, eg.int64))",
        ("ResourceExhaustedError", "InvalidArgumentError"),
    ),
    # depth is int32: refused when the graph is built (TF 2.x wraps it to 0 silently).
    "one_hot_2**62": ("eg.one_hot(eg.constant([1, 2]), 2**62)", "TypeError"),
    "one_hot_2**40_tensor": (
        "eg.one_hot(eg.constant([1, 2]), eg.constant(2**40, eg.int64))",
        ("ResourceExhaustedError", "InvalidArgumentError", "TypeError"),
    ),
}


def test_overflowing_sizes_raise_tf_errors_naming_the_node():
    lines = []
    for name, (expr, _) in SIZE_CASES.items():
        lines.append(f"""
            g = eg.Graph()
            t = None
            with g.as_default():
                try:
                    t = {expr}
                    with eg.Session(graph=g) as s:
                        s.run(t)
                    print(json.dumps([{name!r}, "no error", "", t.op.name]))
                except Exception as e:
                    node = t.op.name if t is not None else "(not built)"
                    print(json.dumps([{name!r}, type(e).__name__, str(e), node]))
            """)
    code = "import json\nimport engine as eg\n" + "".join(textwrap.dedent(x) for x in lines)
    results = {r[0]: r[1:] for r in run_isolated(code)}
    assert results.keys() == SIZE_CASES.keys()
    for name, (_, want) in SIZE_CASES.items():
        kind, message, node = results[name]
        want = (want,) if isinstance(want, str) else want
        assert kind in want, f"{name}: {kind}: {message}"
        if kind != "TypeError":  # TypeErrors come from building the graph, before any node runs
            assert node in message, f"{name}: the error must name node {node}: {message}"


def test_untrusted_graphdef_fill_with_huge_const_dims():
    g = eg.Graph()
    with g.as_default():
        eg.fill(eg.constant([2**62], eg.int64), 1.0, name="hostile_fill")
    blob = g.as_graph_def().SerializeToString()
    code = f"""
        import json
        import engine as eg
        gd = type(eg.Graph().as_graph_def()).FromString({blob!r})
        g = eg.Graph()
        with g.as_default():
            eg.import_graph_def(gd, name="")
            with eg.Session(graph=g) as s:
                try:
                    s.run("hostile_fill:0")
                    print(json.dumps(["no error", ""]))
                except eg.OpError as e:
                    print(json.dumps([type(e).__name__, str(e)]))
        """
    ((kind, message),) = run_isolated(code)
    assert kind == "ResourceExhaustedError", message
    assert "hostile_fill" in message and "OOM when allocating tensor with shape" in message


def test_gradient_kernels_check_their_shapes_against_the_geometry():
    # Shapes from data (a GraphDef) that disagree with the window geometry used to read and
    # write out of bounds.
    x = eg.constant(np.ones((1, 4, 4, 2), np.float32))
    dy = eg.constant(np.ones((1, 2, 2, 3), np.float32))
    g = eg.get_default_graph()
    bad_filter = g.create_op(
        "Conv2DBackpropFilter",
        [x, eg.constant([3, 3, 2, 64]), dy],
        attrs={"strides": [1, 1, 1, 1], "padding": "VALID", "T": eg.float32},
        name="bad_filter_grad",
    ).outputs[0]
    pooled = eg.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    bad_pool = g.create_op(
        "MaxPoolGrad",
        [x, pooled, eg.constant(np.ones((1, 1, 1, 2), np.float32))],
        attrs={
            "ksize": [1, 2, 2, 1],
            "strides": [1, 2, 2, 1],
            "padding": "VALID",
            "T": eg.float32,
        },
        name="bad_pool_grad",
    ).outputs[0]
    with eg.Session() as sess:
        with pytest.raises(eg.InvalidArgumentError, match="(?s)out_backprop shape.*bad_filter"):
            sess.run(bad_filter)
        with pytest.raises(eg.InvalidArgumentError, match="(?s)must both have shape.*bad_pool"):
            sess.run(bad_pool)


def test_huge_window_attrs_do_not_wrap_buffer_sizes():
    # Dilations and window sizes come from attrs (a GraphDef may hold any value); the padded
    # copy of the direct kernels used to size itself with a product that wrapped. With every
    # dilated tap in the SAME padding the result is all zeros: TensorFlow's for dilation 8 (for
    # 2**40 TF 2.x aborts the process on a CHECK that the attr fits int32).
    code = """
        import json
        import numpy as np
        import engine as eg
        x = eg.constant(np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1))
        w = eg.constant(np.ones((2, 2, 1, 3), np.float32))
        w3 = eg.constant(np.ones((3, 3, 1, 3), np.float32))
        outs = [eg.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", dilations=[1, d, d, 1])
                for d in (8, 2**40, 2**59)]
        outs.append(eg.nn.conv2d(x, w3, [1, 1, 1, 1], "SAME", dilations=[1, 2**62, 2**62, 1]))
        pool = eg.nn.max_pool(x, [1, 2**40, 2**40, 1], [1, 1, 1, 1], "SAME")
        with eg.Session() as s:
            for out in outs:
                try:
                    v = s.run(out)
                    print(json.dumps(["ok", list(v.shape), float(np.abs(v).sum())]))
                except eg.OpError as e:
                    print(json.dumps([type(e).__name__, str(e), 0]))
            print(json.dumps(["pool", s.run(pool).ravel().tolist(), 0]))
        """
    *convs, pool = run_isolated(code)
    assert convs[:3] == [["ok", [1, 4, 4, 3], 0.0]] * 3
    # (3 - 1) * 2**62 overflows int64: refused, naming the node.
    assert convs[3][0] == "InvalidArgumentError" and "Conv2D" in convs[3][1], convs[3]
    assert pool[1] == [15.0] * 16


def test_resource_exhausted_error_is_tfs_class():
    assert eg.ResourceExhaustedError.error_code == 8
    assert eg.errors.error_for_code(8) is eg.ResourceExhaustedError
    assert issubclass(eg.ResourceExhaustedError, eg.OpError)


def test_static_huge_shapes_do_not_crash_shape_functions():
    x = eg.fill(eg.constant([2**62, 2**62], eg.int64), 0.0)
    assert x.shape.as_list() == [2**62, 2**62]
    y = eg.reshape(eg.placeholder(eg.float32, [None]), [2**40, -1])
    assert y.shape.as_list()[0] == 2**40


ALLOC_KERNEL = r"""
#include <flowboard/kernel.h>

/* AllocShape(dims): a float32 output of shape dims (an int64 vector from the graph). */
static int alloc_shape(fb_context* ctx, const fb_tensor* in, int n) {
  (void)n;
  float* out = (float*)ctx->allocate_output(ctx, 0, FB_FLOAT32, (int)in[0].shape[0],
                                            (const int64_t*)in[0].data);
  if (!out) return 1;
  if (fb_num_elements(&in[0]) > 0 && ((const int64_t*)in[0].data)[0] > 0) out[0] = 1.0f;
  return 0;
}

static const fb_op_def kOps[] = {{"AllocShape", 1, 1, alloc_shape, {-1}, {FB_FLOAT32}}};
const fb_op_def* fb_op_defs(int* count) {
  *count = 1;
  return kOps;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_custom_kernel_allocations_are_checked(tmp_path):
    src = tmp_path / "alloc.c"
    src.write_text(ALLOC_KERNEL)
    lib = tmp_path / "liballoc.so"
    subprocess.run(
        ["gcc", "-O1", "-shared", "-fPIC", f"-I{include_dir()}", str(src), "-o", str(lib)],
        check=True,
    )
    code = f"""
        import json
        import engine as eg
        lib = eg.load_op_library({str(lib)!r})
        for dims in ([2**62], [2**31, 2**31, 4], [3, -1], [2, 3]):
            t = lib.alloc_shape(eg.constant(dims, eg.int64), name="alloc")
            try:
                with eg.Session() as s:
                    print(json.dumps([dims, "ok", list(s.run(t).shape)]))
            except eg.OpError as e:
                print(json.dumps([dims, type(e).__name__, str(e)]))
        """
    results = run_isolated(code)
    kinds = [r[1] for r in results]
    assert kinds == [
        "ResourceExhaustedError",
        "InvalidArgumentError",
        "InvalidArgumentError",
        "ok",
    ], results
    assert results[3][2] == [2, 3]
    assert all("alloc" in r[2] for r in results[:3])


# ---- 2. truncated shared libraries ------------------------------------------------------------


def _library() -> str:
    return _executor.__file__


def _zero_section_headers(blob: bytearray) -> None:
    # e_shoff (offset 40) and e_shnum (offset 60) of an ELF64 header: a library whose section
    # table is gone, so only the program headers can tell that it is truncated.
    struct.pack_into("<Q", blob, 40, 0)
    struct.pack_into("<H", blob, 60, 0)


def test_truncated_libraries_raise_not_found_instead_of_sigbus(tmp_path):
    data = Path(_library()).read_bytes()
    paths = []
    for frac in (0.1, 0.25, 0.5, 0.9):
        p = tmp_path / f"trunc_{int(frac * 100)}.so"
        p.write_bytes(data[: int(len(data) * frac)])
        paths.append(str(p))
        stripped = bytearray(data[: int(len(data) * frac)])
        _zero_section_headers(stripped)
        p = tmp_path / f"trunc_noshdr_{int(frac * 100)}.so"
        p.write_bytes(bytes(stripped))
        paths.append(str(p))
    code = f"""
        import json
        import engine as eg
        for p in {paths!r}:
            try:
                eg.load_op_library(p)
                print(json.dumps([p, "loaded", ""]))
            except eg.NotFoundError as e:
                print(json.dumps([p, type(e).__name__, str(e)]))
        """
    results = run_isolated(code)
    assert [r[0] for r in results] == paths
    for path, kind, message in results:
        assert kind == "NotFoundError", (path, message)
        assert message.startswith("load_op_library: ") and path in message
        assert "is truncated" in message, message
        if "noshdr" in path:
            assert "(PT_LOAD)" in message, message


def test_bad_elf_headers_are_named(tmp_path):
    data = bytearray(Path(_library()).read_bytes())
    cases = {
        "not_elf.so": b"this is not a shared library\n" * 10,
        "empty.so": b"",
        "class32.so": bytes(data[:4]) + b"\x01" + bytes(data[5:]),
        "big_endian.so": bytes(data[:5]) + b"\x02" + bytes(data[6:]),
        "exec_type.so": bytes(data[:16]) + struct.pack("<H", 2) + bytes(data[18:]),
    }
    expect = {
        "not_elf.so": "not an ELF file",
        "empty.so": "not an ELF file",
        "class32.so": "32-bit ELF file",
        "big_endian.so": "wrong byte order",
        "exec_type.so": "not a shared object",
    }
    for name, blob in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        with pytest.raises(eg.NotFoundError) as info:
            eg.load_op_library(str(p))
        assert expect[name] in str(info.value) and str(p) in str(info.value)
    with pytest.raises(eg.NotFoundError, match="not a regular file"):
        eg.load_op_library(str(tmp_path))


def test_dlopen_and_symbol_errors_read_as_text_not_a_tuple():
    # A real, whole library that is not an op library: the message is plain text.
    with pytest.raises(eg.NotFoundError) as info:
        eg.load_op_library(_library())
    message = str(info.value)
    assert message == f"load_op_library: {os.path.abspath(_library())} does not export fb_op_defs"


# ---- 3. NaN through activations, max and min --------------------------------------------------


def _nan_cases():
    fx = np.load(NAN_FIXTURES)
    names = sorted({k.split("/")[0] for k in fx.files})
    return fx, names


NAN_BUILDERS = {
    "relu": eg.nn.relu,
    "relu6": eg.nn.relu6,
    "elu": eg.nn.elu,
    "leaky_relu": lambda t: eg.nn.leaky_relu(t, alpha=0.2),
    "softplus": eg.nn.softplus,
    "sigmoid": eg.sigmoid,
    "tanh": eg.tanh,
    "abs": eg.abs,
    "clip": lambda t: eg.minimum(eg.maximum(t, -1.0), 1.0),
    "max_scalar": lambda t: eg.maximum(t, 0.5),
    "scalar_max": lambda t: eg.maximum(0.5, t),
    "min_scalar": lambda t: eg.minimum(t, 0.5),
    "scalar_min": lambda t: eg.minimum(0.5, t),
    "chain_relu": lambda t: eg.nn.relu(t * 2.0 + 1.0) - 0.5,
    "chain_max_min": lambda t: eg.minimum(eg.maximum(t * 3.0, -2.0), 4.0) + 1.0,
    "chain_relu6": lambda t: eg.nn.relu6(eg.abs(t) - 1.0) * 0.5,
    "reduce_max": lambda t: eg.reduce_max(eg.reshape(t, [6, 6]), axis=1),
    "reduce_min": lambda t: eg.reduce_min(eg.reshape(t, [6, 6]), axis=0),
    "reduce_max_all": eg.reduce_max,
    "reduce_min_all": eg.reduce_min,
    "max_pool": lambda t: eg.nn.max_pool(
        eg.reshape(t, [1, 6, 6, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "VALID"
    ),
    "max_pool_c": lambda t: eg.nn.max_pool(
        eg.reshape(t, [1, 3, 3, 4]), [1, 2, 2, 1], [1, 1, 1, 1], "SAME"
    ),
    "relu_grad": lambda t: eg.gradients(eg.nn.relu(t), [t], grad_ys=[eg.ones_like(t)])[0],
    "maximum": eg.maximum,
    "minimum": eg.minimum,
}


@pytest.mark.parametrize("fusion", [True, False], ids=["fused", "unfused"])
def test_nan_matches_tensorflow(monkeypatch, fusion):
    monkeypatch.setattr(engine.plan, "FUSION", fusion)
    fx, names = _nan_cases()
    assert set(names) == set(NAN_BUILDERS)
    with eg.Graph().as_default():
        fetches, feeds = {}, {}
        for name in names:
            x = eg.placeholder(eg.float32, [None])
            feeds[x] = fx[f"{name}/x"]
            if f"{name}/y" in fx.files:
                y = eg.placeholder(eg.float32, [None])
                feeds[y] = fx[f"{name}/y"]
                fetches[name] = NAN_BUILDERS[name](x, y)
            else:
                fetches[name] = NAN_BUILDERS[name](x)
        with eg.Session() as sess:
            got = sess.run(fetches, feeds)
    for name in names:
        want = fx[f"{name}/out"]
        have = np.asarray(got[name])
        assert have.shape == want.shape, name
        np.testing.assert_array_equal(np.isnan(have), np.isnan(want), err_msg=name)
        ok = ~np.isnan(want)
        np.testing.assert_allclose(have[ok], want[ok], rtol=2e-6, atol=0, err_msg=name)
        # Signs of zeros too (relu(-0) is +0 in TF; elu(-0) is -0).
        zero = ok & (want == 0)
        np.testing.assert_array_equal(np.signbit(have[zero]), np.signbit(want[zero]), name)


def test_check_numerics_after_an_activation_fires():
    x = eg.placeholder(eg.float32, [None])
    for act in (eg.nn.relu, eg.nn.relu6, lambda t: eg.maximum(t, 0.0)):
        checked = eg.check_numerics(act(x * 2.0), "activation")
        with eg.Session() as sess:
            with pytest.raises(eg.InvalidArgumentError, match="activation"):
                sess.run(checked, {x: np.array([1.0, np.nan, -1.0], np.float32)})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_in_every_lane_of_long_vectors(dtype):
    # Every position of vectors long enough for the vectorised loops and their tails.
    n = 67
    base = np.linspace(-3, 3, n).astype(dtype)
    x = eg.placeholder(dtype, [n])
    outs = [eg.nn.relu(x), eg.nn.relu6(x), eg.maximum(x, 0.25), eg.minimum(0.25, x)]
    outs.append(eg.maximum(x, eg.constant(base[::-1].copy())))
    with eg.Session() as sess:
        for i in range(n):
            v = base.copy()
            v[i] = np.nan
            for out in sess.run(outs, {x: v}):
                assert np.isnan(out[i]) and np.isnan(out).sum() == 1, i


# ---- 4. integers out of range -----------------------------------------------------------------

TF_INT_MESSAGE = "is not compatible with Tensor type <class 'numpy.int32'>"


def test_python_int_out_of_range_feed_is_refused_as_tf_does():
    p = eg.placeholder(eg.int32, [])
    y = eg.identity(p)
    with eg.Session() as sess:
        with pytest.raises(TypeError, match="Type of feed value 1099511627783 with type"):
            sess.run(y, {p: 2**40 + 7})
        with pytest.raises(TypeError, match=TF_INT_MESSAGE):
            sess.run(y, {p: 2**31})
        assert sess.run(y, {p: -(2**31)}) == -(2**31)
        assert sess.run(y, {p: True}) == 1
    u = eg.placeholder(eg.uint8, [])
    with eg.Session() as sess:
        for bad in (300, -1):
            with pytest.raises(TypeError, match="numpy.uint8"):
                sess.run(eg.identity(u), {u: bad})
        assert sess.run(eg.identity(u), {u: 255}) == 255


def test_out_of_range_lists_and_arrays_are_refused():
    p = eg.placeholder(eg.int32, [None])
    y = eg.identity(p)
    with eg.Session() as sess:
        for bad in (
            [1, 2**40 + 7],
            np.array([1, 2**40 + 7], np.int64),
            np.array([2**32 - 1], np.uint32),
        ):
            with pytest.raises(TypeError, match=TF_INT_MESSAGE):
                sess.run(y, {p: bad})
        np.testing.assert_array_equal(sess.run(y, {p: np.array([1, -7], np.int64)}), [1, -7])
        np.testing.assert_array_equal(sess.run(y, {p: [1.0, 2.0]}), [1, 2])
        for bad in ([1.5], np.array([np.nan]), np.array([2.0**31])):
            with pytest.raises(TypeError):
                sess.run(y, {p: bad})
    q = eg.placeholder(eg.int64, [None])
    with eg.Session() as sess:
        with pytest.raises(TypeError, match="numpy.int64"):
            sess.run(eg.identity(q), {q: np.array([2**63], np.uint64)})


def test_constant_out_of_range_is_refused():
    with pytest.raises(TypeError, match="int32"):
        eg.constant(2**40, eg.int32)
    with pytest.raises(TypeError, match="uint8"):
        eg.constant([1, 300], eg.uint8)
    with pytest.raises(TypeError, match="int64"):
        eg.constant(np.array([2**63], np.uint64), eg.int64)
    with eg.Session() as sess:
        assert sess.run(eg.constant(255, eg.uint8)) == 255
        assert sess.run(eg.constant(-(2**31), eg.int32)) == -(2**31)
