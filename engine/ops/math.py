"""Elementwise math ops: arithmetic with broadcasting, comparisons, logic, add_n, and Tensor
operator overloading. Matrix products are in ``matmul``, reductions in ``reduce``."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Tensor, convert_to_tensor, get_op_def, register_op
from .array import cast, constant
from .common import (
    UNKNOWN,
    as_tensors,
    binary_shape_fn,
    broadcast_static,
    compare_shape_fn,
    name_op_function,
    native,
    np_kernel,
    out,
    same_as_input,
)
from .fills import zeros_like
from .matmul import matmul

# ---- broadcasting gradients ----------------------------------------------------------------


def reduce_to_shape_of(grad: Tensor, x: Tensor, other: Tensor) -> Tensor:
    """Sums ``grad`` (shaped like broadcast(x, other)) down to ``x``'s shape: statically when
    the shapes allow it, otherwise with the SumToShapeOf op."""
    xs, os_, gs = x.shape, other.shape, grad.shape
    if xs.ndims is not None and gs.ndims is not None and os_.ndims is not None:
        if xs.dims == gs.dims and all(d is not None for d in xs.dims):
            return grad
        lead = gs.ndims - xs.ndims
        axes = list(range(lead))
        ok = True
        odims = [None] * (gs.ndims - os_.ndims) + list(os_.dims)
        odims = [1] * (gs.ndims - os_.ndims) + list(os_.dims)
        for i, d in enumerate(xs.dims):
            j = i + lead
            od = odims[j] if j >= 0 else 1
            if d == 1:
                if gs.dims[j] != 1:
                    axes.append(j)
            elif d is None and od is None:
                ok = False
                break
            elif d is None and od not in (1, None):
                ok = False
                break
        if ok:
            if not axes:
                return grad
            keep = len(axes) > lead
            r = out(
                "Sum",
                [grad, constant(np.asarray(axes, dtype=np.int32))],
                {"keep_dims": keep, "T": grad.dtype, "Tidx": D.int32},
            )
            if keep and lead:
                r = out("SumToShapeOf", [r, x], {"T": grad.dtype})
            return r
    return out("SumToShapeOf", [grad, x], {"T": grad.dtype})


def _binary_grads(op, gx, gy):
    x, y = op.inputs
    return [
        None if gx is None else reduce_to_shape_of(gx, x, y),
        None if gy is None else reduce_to_shape_of(gy, y, x),
    ]


# ---- elementwise binary --------------------------------------------------------------------


def _reg_binary(name, fn, dtypes, gradient, fresh_outputs=False, fusion=None):
    register_op(
        name,
        shape_fn=binary_shape_fn,
        gradient=gradient,
        cpu=native(name, dtypes, inplace=(0,)),
        python=np_kernel(fn),
        fresh_outputs=fresh_outputs,
        fusion=fusion,
    )


def _div_py(x, y):
    return (x / y).astype(x.dtype) if x.dtype.kind == "f" else np.floor_divide(x, y)


_reg_binary("AddV2", np.add, D.NUMERIC, lambda op, g: _binary_grads(op, g, g), True, "add")
_reg_binary("Sub", np.subtract, D.NUMERIC, lambda op, g: _binary_grads(op, g, -g), True, "sub")
_reg_binary(
    "Mul",
    np.multiply,
    D.NUMERIC,
    lambda op, g: _binary_grads(op, g * op.inputs[1], op.inputs[0] * g),
    fresh_outputs=True,
    fusion="mul",
)
_reg_binary(
    "RealDiv",
    _div_py,
    D.FLOATS,
    lambda op, g: _binary_grads(op, g / op.inputs[1], -g * op.inputs[0] / square(op.inputs[1])),
    fresh_outputs=True,
    fusion="div",
)
_reg_binary(
    "Maximum",
    np.maximum,
    D.NUMERIC,
    lambda op, g: _select_grads(op, g, greater_equal(op.inputs[0], op.inputs[1])),
    fusion="maximum",
)
_reg_binary(
    "Minimum",
    np.minimum,
    D.NUMERIC,
    lambda op, g: _select_grads(op, g, less_equal(op.inputs[0], op.inputs[1])),
    fusion="minimum",
)
_reg_binary(
    "SquaredDifference",
    lambda x, y: np.square(x - y),
    D.NUMERIC,
    lambda op, g: _binary_grads(
        op, 2.0 * g * (op.inputs[0] - op.inputs[1]), -2.0 * g * (op.inputs[0] - op.inputs[1])
    ),
)


def _pow_grad(op, g):
    x, y = op.inputs
    z = op.outputs[0]
    gx = g * y * pow(x, y - 1.0)
    safe_log = out(
        "SelectV2",
        [
            greater(x, 0.0),
            log(
                out(
                    "Maximum",
                    [x, constant(np.finfo(x.dtype.np).tiny, dtype=x.dtype)],
                    {"T": x.dtype},
                )
            ),
            zeros_like(x),
        ],
        {"T": x.dtype},
    )
    gy = g * z * safe_log
    return _binary_grads(op, gx, gy)


_reg_binary("Pow", np.power, D.FLOATS, _pow_grad, fusion="pow")
register_op("FloorDiv", shape_fn=binary_shape_fn, python=np_kernel(np.floor_divide))
register_op("FloorMod", shape_fn=binary_shape_fn, python=np_kernel(np.mod))
register_op(
    "DivNoNan",
    shape_fn=binary_shape_fn,
    cpu=native("DivNoNan", D.FLOATS),
    python=np_kernel(lambda x, y: np.where(y == 0, 0, x / np.where(y == 0, 1, y)).astype(x.dtype)),
    gradient=lambda op, g: _binary_grads(op, out("DivNoNan", [g, op.inputs[1]]), None),
)


def _select_grads(op, g, mask):
    x, y = op.inputs
    z = zeros_like(g)
    gx = out("SelectV2", [mask, g, z], {"T": g.dtype})
    gy = out("SelectV2", [mask, z, g], {"T": g.dtype})
    return _binary_grads(op, gx, gy)


for _name, _fn in [
    ("Less", np.less),
    ("LessEqual", np.less_equal),
    ("Greater", np.greater),
    ("GreaterEqual", np.greater_equal),
    ("Equal", np.equal),
    ("NotEqual", np.not_equal),
]:
    register_op(
        _name, shape_fn=compare_shape_fn, cpu=native(_name, D.NUMERIC), python=np_kernel(_fn)
    )


def _logical_shape(op):
    for t in op.inputs:
        if t.dtype is not D.bool_:
            raise TypeError(f"{op.type} '{op.name}': expected bool inputs, got {t.dtype.name}")
    if len(op.inputs) == 1:
        return [(D.bool_, op.inputs[0].shape)]
    return [(D.bool_, broadcast_static(op.inputs[0].shape, op.inputs[1].shape, op.name))]


register_op("LogicalAnd", shape_fn=_logical_shape, python=np_kernel(np.logical_and))
register_op("LogicalOr", shape_fn=_logical_shape, python=np_kernel(np.logical_or))
register_op("LogicalNot", shape_fn=_logical_shape, python=np_kernel(np.logical_not))

# ---- elementwise unary ----------------------------------------------------------------------


def _reg_unary(name, fn, dtypes, gradient, fresh_outputs=False, fusion=None):
    register_op(
        name,
        shape_fn=same_as_input(0),
        gradient=gradient,
        cpu=native(name, dtypes, inplace=(0,)),
        python=np_kernel(lambda x: np.asarray(fn(x), dtype=x.dtype)),
        fresh_outputs=fresh_outputs,
        fusion=fusion,
    )


def _grad_op(name):
    return lambda a, b: out(name, [a, b], {"T": a.dtype})


_reg_unary("Neg", np.negative, D.NUMERIC, lambda op, g: [-g], fusion="neg")
_reg_unary("Abs", np.abs, D.NUMERIC, lambda op, g: [g * sign(op.inputs[0])], fusion="abs")
_reg_unary("Sign", np.sign, D.NUMERIC, lambda op, g: [zeros_like(op.inputs[0])], fusion="sign")
_reg_unary(
    "Square",
    np.square,
    D.NUMERIC,
    lambda op, g: [
        g * (2.0 * op.inputs[0]) if op.inputs[0].dtype.is_floating else g * 2 * op.inputs[0]
    ],
    fusion="square",
)
_reg_unary("Exp", np.exp, D.FLOATS, lambda op, g: [g * op.outputs[0]], fusion="exp")
_reg_unary("Log", np.log, D.FLOATS, lambda op, g: [g * reciprocal(op.inputs[0])], fusion="log")
_reg_unary("Log1p", np.log1p, D.FLOATS, lambda op, g: [g * reciprocal(1.0 + op.inputs[0])])
_reg_unary(
    "Sqrt",
    np.sqrt,
    D.FLOATS,
    lambda op, g: [_grad_op("SqrtGrad")(op.outputs[0], g)],
    fusion="sqrt",
)
_reg_unary(
    "Rsqrt",
    lambda x: 1 / np.sqrt(x),
    D.FLOATS,
    lambda op, g: [_grad_op("RsqrtGrad")(op.outputs[0], g)],
    fusion="rsqrt",
)
_reg_unary(
    "Reciprocal",
    np.reciprocal,
    D.FLOATS,
    lambda op, g: [_grad_op("ReciprocalGrad")(op.outputs[0], g)],
    fusion="reciprocal",
)
_reg_unary(
    "Tanh",
    np.tanh,
    D.FLOATS,
    lambda op, g: [_grad_op("TanhGrad")(op.outputs[0], g)],
    fresh_outputs=True,
    fusion="tanh",
)
_reg_unary(
    "Sigmoid",
    lambda x: 1 / (1 + np.exp(-x)),
    D.FLOATS,
    lambda op, g: [_grad_op("SigmoidGrad")(op.outputs[0], g)],
    fresh_outputs=True,
    fusion="sigmoid",
)
_reg_unary("Floor", np.floor, D.FLOATS, lambda op, g: [None])
_reg_unary("Ceil", np.ceil, D.FLOATS, lambda op, g: [None])
_reg_unary("Round", np.round, D.FLOATS, lambda op, g: [None])
register_op(
    "Sin",
    shape_fn=same_as_input(0),
    python=np_kernel(np.sin),
    gradient=lambda op, g: [g * cos(op.inputs[0])],
)
register_op(
    "Cos",
    shape_fn=same_as_input(0),
    python=np_kernel(np.cos),
    gradient=lambda op, g: [-g * sin(op.inputs[0])],
)

for _name, _fn in [
    ("SqrtGrad", lambda y, dy: dy * 0.5 / y),
    ("RsqrtGrad", lambda y, dy: dy * -0.5 * y**3),
    ("ReciprocalGrad", lambda y, dy: -dy * y * y),
    ("TanhGrad", lambda y, dy: dy * (1 - y * y)),
    ("SigmoidGrad", lambda y, dy: dy * y * (1 - y)),
]:
    register_op(
        _name,
        shape_fn=same_as_input(0),
        cpu=native(_name, D.FLOATS, inplace=(0,)),
        python=np_kernel(lambda a, b, _f=_fn: np.asarray(_f(a, b), dtype=a.dtype)),
        fresh_outputs=_name in ("TanhGrad", "SigmoidGrad"),
    )

# ---- AddN --------------------------------------------------------------------------------------


def _addn_shape(op):
    dt = op.inputs[0].dtype
    s = op.inputs[0].shape
    for t in op.inputs[1:]:
        if t.dtype is not dt:
            raise TypeError(f"AddN '{op.name}': dtypes differ")
        s = s.merge_with(t.shape) if s.is_compatible_with(t.shape) else UNKNOWN
    return [(dt, s)]


register_op(
    "AddN",
    shape_fn=_addn_shape,
    gradient=lambda op, g: [g] * len(op.inputs),
    python=lambda ctx, *xs: (
        np.sum(np.broadcast_arrays(*xs), axis=0).astype(xs[0].dtype) if len(xs) > 1 else xs[0]
    ),
)


def add_n(inputs, name=None) -> Tensor:
    """Returns the elementwise sum of a list of same-shaped tensors.

    Built as a chain of `AddV2` ops; a one-element list returns that tensor unchanged.
    """
    ts = as_tensors(list(inputs))
    if len(ts) == 1:
        return ts[0]
    res = ts[0]
    for t in ts[1:]:
        res = add(res, t)
    return res


# ---- public elementwise functions -------------------------------------------------------------


_BINARY_RULE = (
    "Inputs broadcast numpy-style and share one dtype; a Python or numpy value takes the dtype "
    "of the tensor operand."
)
_UNARY_RULE = "Output has the input's shape and dtype."


def _binary(op_type, public_name, summary, default_name=None, operator_name=None):
    def fn(x, y, name=None):
        a, b = as_tensors([x, y])
        return out(op_type, [a, b], {"T": a.dtype}, name or default_name)

    fn.operator_name = operator_name
    return name_op_function(fn, public_name, f"{summary}\n\n{_BINARY_RULE} Op type: `{op_type}`.")


def _unary(op_type, public_name, summary, rule=_UNARY_RULE):
    def fn(x, name=None):
        a = convert_to_tensor(x)
        return out(op_type, [a], {"T": a.dtype}, name)

    return name_op_function(fn, public_name, f"{summary}\n\n{rule} Op type: `{op_type}`.")


_COMPARE = "Output is bool with the broadcast shape."
_LOGICAL = "Inputs must be bool tensors; they broadcast numpy-style."

add = _binary("AddV2", "add", "Returns `x + y` elementwise.", "Add")
subtract = _binary("Sub", "subtract", "Returns `x - y` elementwise.", "Sub")
multiply = _binary("Mul", "multiply", "Returns `x * y` elementwise.", "Mul")
maximum = _binary("Maximum", "maximum", "Returns the larger of `x` and `y` elementwise.")
minimum = _binary("Minimum", "minimum", "Returns the smaller of `x` and `y` elementwise.")
squared_difference = _binary(
    "SquaredDifference", "squared_difference", "Returns `(x - y) ** 2` elementwise."
)
floordiv = _binary(
    "FloorDiv", "floordiv", "Returns `x // y` elementwise, rounding toward negative infinity."
)
floormod = _binary(
    "FloorMod", "floormod", "Returns `x % y` elementwise; the result has the sign of `y`."
)
div_no_nan = _binary("DivNoNan", "div_no_nan", "Returns `x / y` elementwise, or 0 where `y == 0`.")
less = _binary("Less", "less", f"Returns `x < y` elementwise. {_COMPARE}")
less_equal = _binary("LessEqual", "less_equal", f"Returns `x <= y` elementwise. {_COMPARE}")
greater = _binary("Greater", "greater", f"Returns `x > y` elementwise. {_COMPARE}")
greater_equal = _binary(
    "GreaterEqual", "greater_equal", f"Returns `x >= y` elementwise. {_COMPARE}"
)
equal = _binary("Equal", "equal", f"Returns `x == y` elementwise. {_COMPARE}")
not_equal = _binary("NotEqual", "not_equal", f"Returns `x != y` elementwise. {_COMPARE}")
logical_and = _binary("LogicalAnd", "logical_and", f"Returns `x AND y` elementwise. {_LOGICAL}")
logical_or = _binary("LogicalOr", "logical_or", f"Returns `x OR y` elementwise. {_LOGICAL}")
logical_not = _unary(
    "LogicalNot", "logical_not", "Returns `NOT x` elementwise.", "The input must be bool."
)
negative = _unary("Neg", "negative", "Returns `-x` elementwise.")
abs = _unary("Abs", "abs", "Returns `|x|` elementwise.")  # noqa: A001
sign = _unary("Sign", "sign", "Returns -1, 0 or 1 elementwise, following the sign of `x`.")
square = _unary("Square", "square", "Returns `x * x` elementwise.")
exp = _unary("Exp", "exp", "Returns `e ** x` elementwise.")
log = _unary("Log", "log", "Returns the natural logarithm of `x` elementwise.")
log1p = _unary("Log1p", "log1p", "Returns `log(1 + x)` elementwise, accurate for small `x`.")
sqrt = _unary("Sqrt", "sqrt", "Returns the square root of `x` elementwise.")
rsqrt = _unary("Rsqrt", "rsqrt", "Returns `1 / sqrt(x)` elementwise.")
reciprocal = _unary("Reciprocal", "reciprocal", "Returns `1 / x` elementwise.")
tanh = _unary("Tanh", "tanh", "Returns the hyperbolic tangent of `x` elementwise.")
sigmoid = _unary("Sigmoid", "sigmoid", "Returns the logistic function `1 / (1 + exp(-x))`.")
floor = _unary("Floor", "floor", "Returns the largest integer not above `x`, elementwise.")
ceil = _unary("Ceil", "ceil", "Returns the smallest integer not below `x`, elementwise.")
round = _unary(  # noqa: A001
    "Round", "round", "Rounds `x` to the nearest integer elementwise, halves to even."
)
sin = _unary("Sin", "sin", "Returns the sine of `x` (radians) elementwise.")
cos = _unary("Cos", "cos", "Returns the cosine of `x` (radians) elementwise.")


def divide(x, y, name=None) -> Tensor:
    """Returns `x / y` elementwise as true division.

    Integer inputs are cast to float64 first, as Python 3's `/` does. Inputs broadcast
    numpy-style and share one dtype. Op type: `RealDiv`, named `truediv` by default.
    """
    a, b = as_tensors([x, y])
    if a.dtype.is_integer:
        a, b = cast(a, D.float64), cast(b, D.float64)
    return out("RealDiv", [a, b], {"T": a.dtype}, name or "truediv")


truediv = divide


def pow(x, y, name=None) -> Tensor:  # noqa: A001
    """Returns `x ** y` elementwise.

    Inputs broadcast numpy-style and share one dtype (float32 or float64). Op type: `Pow`.
    """
    a, b = as_tensors([x, y])
    return out("Pow", [a, b], {"T": a.dtype}, name)


# ---- operator overloading ------------------------------------------------------------------


def _r(fn):
    return lambda self, other: fn(other, self)


def _install_operators():
    T = Tensor
    # Operators name their ops like TF's overloads ("add", "sub", "mul").
    T.__add__ = lambda s, o: add(s, o, name="add")
    T.__radd__ = lambda s, o: add(o, s, name="add")
    T.__sub__ = lambda s, o: subtract(s, o, name="sub")
    T.__rsub__ = lambda s, o: subtract(o, s, name="sub")
    T.__mul__ = lambda s, o: multiply(s, o, name="mul")
    T.__rmul__ = lambda s, o: multiply(o, s, name="mul")
    T.__truediv__ = lambda s, o: divide(s, o)
    T.__rtruediv__ = _r(divide)
    T.__floordiv__ = lambda s, o: floordiv(s, o)
    T.__rfloordiv__ = _r(floordiv)
    T.__mod__ = lambda s, o: floormod(s, o)
    T.__pow__ = lambda s, o: pow(s, o)
    T.__rpow__ = _r(pow)
    T.__matmul__ = lambda s, o: matmul(s, o)
    T.__rmatmul__ = _r(matmul)
    T.__neg__ = lambda s: negative(s)
    T.__abs__ = lambda s: abs(s)
    T.__lt__ = lambda s, o: less(s, o)
    T.__le__ = lambda s, o: less_equal(s, o)
    T.__gt__ = lambda s, o: greater(s, o)
    T.__ge__ = lambda s, o: greater_equal(s, o)
    T.__and__ = lambda s, o: logical_and(s, o)
    T.__or__ = lambda s, o: logical_or(s, o)
    T.__invert__ = lambda s: logical_not(s)

    def getitem(self, key):
        from .slicing import strided_slice_from_key

        return strided_slice_from_key(self, key)

    T.__getitem__ = getitem


_install_operators()

# TensorFlow's older name for AddV2 (still written by TF1 graphs and some frozen models).
register_op(
    "Add",
    shape_fn=binary_shape_fn,
    gradient=lambda op, g: _binary_grads(op, g, g),
    cpu=native("AddV2", D.NUMERIC, inplace=(0,)),
    python=np_kernel(np.add),
    fresh_outputs=True,
    fusion="add",
)
register_op(
    "Select", shape_fn=lambda op: get_op_def("SelectV2").shape_fn(op), python=np_kernel(np.where)
)
