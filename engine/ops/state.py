"""Stateful ops: VariableV2 and assignments, plus TF's fused optimizer update ops (Apply*).

Ref inputs (listed in ``ref_inputs``) must come straight from a VariableV2 op; the executor
hands the kernel the variable's native storage for them."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import register_op
from .common import native

F = D.FLOATS


def _var_shape(op):
    return [(op.attrs["dtype"], op.attrs["shape"])]


def _ref_shape(op):
    return [(op.inputs[0].dtype, op.inputs[0].shape)]


def _assign_shape(op):
    ref, val = op.inputs
    if ref.dtype is not val.dtype:
        raise TypeError(
            f"Assign '{op.name}': value dtype {val.dtype.name} does not match variable dtype "
            f"{ref.dtype.name}"
        )
    if op.attrs.get("validate_shape", True) and not ref.shape.is_compatible_with(val.shape):
        raise ValueError(
            f"Shapes must be equal rank, or be compatible: {ref.shape} and {val.shape} for "
            f"'{op.name}' (op: 'Assign')"
        )
    return [(ref.dtype, ref.shape if op.attrs.get("validate_shape", True) else val.shape)]


def _python_state_unsupported(ctx, *args):
    raise NotImplementedError(f"{ctx.op.type} runs only on the native executor")


register_op(
    "VariableV2",
    shape_fn=_var_shape,
    cpu=native("VariableV2", None),
    stateful=True,
    is_variable=True,
)
register_op(
    "IsVariableInitialized",
    shape_fn=lambda op: [(D.bool_, [])],
    cpu=native("IsVariableInitialized", None),
    ref_inputs=(0,),
    stateful=True,
)
register_op(
    "Assign",
    tf_attr_defaults={"validate_shape": True},
    shape_fn=_assign_shape,
    cpu=native("Assign", None, pack=lambda op: ([int(op.attrs.get("validate_shape", True))], [])),
    ref_inputs=(0,),
    stateful=True,
    mutates=True,
)
for _n in ("AssignAdd", "AssignSub"):
    register_op(
        _n,
        shape_fn=_ref_shape,
        cpu=native(_n, D.NUMERIC),
        ref_inputs=(0,),
        stateful=True,
        mutates=True,
    )


def _nesterov_pack(op):
    return ([int(op.attrs.get("use_nesterov", False))], [])


register_op(
    "ApplyGradientDescent",
    shape_fn=_ref_shape,
    cpu=native("ApplyGradientDescent", F),
    ref_inputs=(0,),
    stateful=True,
    mutates=True,
)
register_op(
    "ApplyMomentum",
    shape_fn=_ref_shape,
    cpu=native("ApplyMomentum", F, pack=_nesterov_pack),
    ref_inputs=(0, 1),
    stateful=True,
    mutates=True,
)
register_op(
    "ApplyAdagrad",
    shape_fn=_ref_shape,
    cpu=native("ApplyAdagrad", F),
    ref_inputs=(0, 1),
    stateful=True,
    mutates=True,
)
register_op(
    "ApplyRMSProp",
    shape_fn=_ref_shape,
    cpu=native("ApplyRMSProp", F),
    ref_inputs=(0, 1, 2),
    stateful=True,
    mutates=True,
)
register_op(
    "ApplyCenteredRMSProp",
    shape_fn=_ref_shape,
    cpu=native("ApplyCenteredRMSProp", F),
    ref_inputs=(0, 1, 2, 3),
    stateful=True,
    mutates=True,
)
register_op(
    "ApplyAdam",
    shape_fn=_ref_shape,
    cpu=native("ApplyAdam", F, pack=_nesterov_pack),
    ref_inputs=(0, 1, 2),
    stateful=True,
    mutates=True,
)

_ = np  # numpy is used by GPU kernels registered elsewhere
