"""Matrix products: `MatMul` for rank 2 and `BatchMatMulV2` (broadcast batch dimensions)
above, with their gradients."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, TensorShape, register_op
from .common import (
    UNKNOWN,
    as_tensors,
    broadcast_static,
    contiguous,
    native,
    out,
)

# ---- matmul --------------------------------------------------------------------------------


def _matmul_shape(op):
    a, b = op.inputs
    if a.dtype is not b.dtype:
        raise TypeError(
            f"MatMul '{op.name}': Input 'b' of 'MatMul' Op has type {b.dtype.name} that does not "
            f"match type {a.dtype.name} of argument 'a'."
        )
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    for t in (a, b):
        if t.shape.ndims is not None and t.shape.ndims != 2:
            raise ValueError(
                f"Shape must be rank 2 but is rank {t.shape.ndims} for '{op.name}' (op: "
                f"'MatMul') with input shapes: {a.shape}, {b.shape}."
            )
    ad = a.shape.dims if a.shape.ndims is not None else [None, None]
    bd = b.shape.dims if b.shape.ndims is not None else [None, None]
    m, k = (ad[1], ad[0]) if ta else (ad[0], ad[1])
    k2, n = (bd[1], bd[0]) if tb else (bd[0], bd[1])
    if k is not None and k2 is not None and k != k2:
        raise ValueError(
            f"Dimensions must be equal, but are {k} and {k2} for '{op.name}' (op: 'MatMul') "
            f"with input shapes: {a.shape}, {b.shape}."
        )
    return [(a.dtype, TensorShape([m, n]))]


def _matmul_grad(op, g):
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if not ta and not tb:
        return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
    if not ta and tb:
        return [matmul(g, b), matmul(g, a, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, g, transpose_b=True), matmul(a, g)]
    return [
        matmul(b, g, transpose_a=True, transpose_b=True),
        matmul(g, a, transpose_a=True, transpose_b=True),
    ]


def _matmul_py(ctx, a, b):
    a = a.T if ctx.attrs["transpose_a"] else a
    b = b.T if ctx.attrs["transpose_b"] else b
    return contiguous(a @ b)


register_op(
    "MatMul",
    fresh_outputs=True,
    tf_attr_defaults={"transpose_a": False, "transpose_b": False},
    shape_fn=_matmul_shape,
    gradient=_matmul_grad,
    cpu=native(
        "MatMul",
        D.FLOATS,
        pack=lambda op: ([int(op.attrs["transpose_a"]), int(op.attrs["transpose_b"])], []),
    ),
    python=_matmul_py,
)


def _bmm_shape(op):
    a, b = op.inputs
    if a.dtype is not b.dtype:
        raise TypeError(
            f"BatchMatMulV2 '{op.name}': dtypes differ {a.dtype.name} vs {b.dtype.name}"
        )
    if a.shape.ndims is None or b.shape.ndims is None:
        return [(a.dtype, UNKNOWN)]
    ad, bd = a.shape.dims, b.shape.dims
    m = ad[-1] if op.attrs["adj_x"] else ad[-2]
    k = ad[-2] if op.attrs["adj_x"] else ad[-1]
    k2 = bd[-1] if op.attrs["adj_y"] else bd[-2]
    n = bd[-2] if op.attrs["adj_y"] else bd[-1]
    if k is not None and k2 is not None and k != k2:
        raise ValueError(
            f"Dimensions must be equal, but are {k} and {k2} for '{op.name}' with input shapes: "
            f"{a.shape}, {b.shape}."
        )
    batch = broadcast_static(TensorShape(ad[:-2]), TensorShape(bd[:-2]), op.name)
    return [(a.dtype, TensorShape(batch.dims + [m, n]))]


def _bmm_grad(op, g):
    a, b = op.inputs
    ax, ay = op.attrs["adj_x"], op.attrs["adj_y"]
    if not ax:
        ga = matmul(g, b, adjoint_b=not ay)
    else:
        ga = matmul(b, g, adjoint_a=ay, adjoint_b=True)
    if not ay:
        gb = matmul(a, g, adjoint_a=not ax)
    else:
        gb = matmul(g, a, adjoint_a=True, adjoint_b=ax)
    return [
        out("SumToShapeOf", [ga, a], {"T": g.dtype}),
        out("SumToShapeOf", [gb, b], {"T": g.dtype}),
    ]


def _bmm_py(ctx, a, b):
    a = np.swapaxes(a, -1, -2) if ctx.attrs["adj_x"] else a
    b = np.swapaxes(b, -1, -2) if ctx.attrs["adj_y"] else b
    return contiguous(np.matmul(a, b))


register_op(
    "BatchMatMulV2",
    fresh_outputs=True,
    tf_attr_defaults={"adj_x": False, "adj_y": False},
    shape_fn=_bmm_shape,
    gradient=_bmm_grad,
    cpu=native(
        "BatchMatMulV2",
        D.FLOATS,
        pack=lambda op: ([int(op.attrs["adj_x"]), int(op.attrs["adj_y"])], []),
    ),
    python=_bmm_py,
)


def matmul(
    a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, name=None
) -> Tensor:
    """Returns the matrix product of `a` and `b`.

    Rank-2 inputs give a `MatMul` op; when either input has rank above 2 the leading
    dimensions broadcast and the op is `BatchMatMulV2`. `transpose_a`/`transpose_b` (or the
    `adjoint_*` aliases, identical for real dtypes) transpose the last two dimensions first.
    Both inputs share one dtype. Also reachable as `a @ b`.
    """
    a, b = as_tensors([a, b])
    ta, tb = transpose_a or adjoint_a, transpose_b or adjoint_b
    ra, rb = a.shape.ndims, b.shape.ndims
    if (ra is not None and ra > 2) or (rb is not None and rb > 2):
        return out(
            "BatchMatMulV2", [a, b], {"T": a.dtype, "adj_x": bool(ta), "adj_y": bool(tb)}, name
        )
    return out(
        "MatMul", [a, b], {"T": a.dtype, "transpose_a": bool(ta), "transpose_b": bool(tb)}, name
    )
