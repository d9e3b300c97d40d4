"""Flowboard's engine: a TensorFlow-1-style dataflow graph API on a native C++ executor.

import engine as eg
x = eg.placeholder(eg.float32, [None, 3])
...
with eg.Session() as sess:
    sess.run(eg.global_variables_initializer())
"""

from . import _native, contrib, layers, losses, metrics, nn, summary, train  # noqa: F401
from ._native import BLAS_BACKEND, DIRECT_KERNELS, num_threads, set_num_threads
from .core import (
    Graph,
    GraphKeys,
    KernelContext,
    NativeKernel,
    OpDef,
    Operation,
    Tensor,
    TensorShape,
    add_to_collection,
    control_dependencies,
    convert_to_tensor,
    device,
    get_collection,
    get_default_graph,
    get_op_def,
    name_scope,
    register_gradient,
    register_op,
    registered_ops,
    reset_default_graph,
)
from .custom import load_op_library
from .dtypes import (
    DType,
    as_dtype,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
)
from .dtypes import (
    bool_ as bool,  # noqa: A004 - TF's name
)
from .embedding import sparse_to_dense
from .errors import (
    AlreadyExistsError,
    DataLossError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OpError,
    ResourceExhaustedError,
    UnimplementedError,
)
from .gradients import gradients
from .graph_io import import_graph_def
from .indexed_slices import IndexedSlices
from .init_ops import (
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    orthogonal_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)
from .ops import state as _state  # noqa: F401 - registers VariableV2 / Assign / Apply*
from .ops.array import (
    broadcast_to,
    cast,
    check_numerics,
    constant,
    group,
    identity,
    no_op,
    placeholder,
    placeholder_with_default,
    stop_gradient,
    where,
)
from .ops.array import (
    range_op as range,  # noqa: A004
)
from .ops.deprecated import arg_max, arg_min, to_double, to_float, to_int32, to_int64
from .ops.fills import fill, ones, ones_like, zeros, zeros_like
from .ops.gpu import register_gpu_kernels as _register_gpu_kernels
from .ops.joins import (
    concat,
    split,
    stack,
    unstack,
)
from .ops.math import (
    abs,
    add,
    add_n,
    ceil,
    cos,
    div_no_nan,
    divide,
    equal,
    exp,
    floor,
    floordiv,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
    truediv,
)
from .ops.matmul import matmul
from .ops.random import (
    get_seed,
    random_normal,
    random_uniform,
    set_random_seed,
    truncated_normal,
)
from .ops.reduce import (
    argmax,
    argmin,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from .ops.shaping import expand_dims, rank, reshape, shape, size, squeeze, transpose
from .ops.slicing import (
    gather,
    one_hot,
    pad,
    tile,
)
from .ops.slicing import (
    slice_op as slice,  # noqa: A004
)
from .ops.sparse import (
    dynamic_partition,
    dynamic_stitch,
    scatter_add,
    scatter_sub,
    scatter_update,
    unique,
    unsorted_segment_sum,
)
from .registry import register_kernel
from .session import InteractiveSession, RunMetadata, RunOptions, Session, get_default_session
from .session_config import ConfigProto, GPUOptions, GraphOptions, OptimizerOptions
from .variable_scope import (
    AUTO_REUSE,
    VariableScope,
    get_local_variable,
    get_variable,
    get_variable_scope,
    variable_op_scope,
    variable_scope,
)
from .variables import (
    Variable,
    global_variables,
    global_variables_initializer,
    initialize_all_variables,
    initialize_local_variables,
    local_variables,
    local_variables_initializer,
    model_variables,
    report_uninitialized_variables,
    trainable_variables,
    variables_initializer,
)

RegisterGradient = register_gradient
sub = subtract
mul = multiply
div = divide

__all__ = [
    "RegisterGradient",
    "import_graph_def",
    "load_op_library",
    "summary",
    "get_seed",
    "nn",
    "random_normal",
    "random_uniform",
    "set_random_seed",
    "truncated_normal",
    "BLAS_BACKEND",
    "DIRECT_KERNELS",
    "DType",
    "AlreadyExistsError",
    "DataLossError",
    "FailedPreconditionError",
    "Graph",
    "GraphKeys",
    "InteractiveSession",
    "InternalError",
    "InvalidArgumentError",
    "KernelContext",
    "NativeKernel",
    "NotFoundError",
    "ResourceExhaustedError",
    "OpDef",
    "OpError",
    "Operation",
    "RunMetadata",
    "RunOptions",
    "Session",
    "Tensor",
    "TensorShape",
    "UnimplementedError",
    "Variable",
    "abs",
    "add",
    "add_n",
    "add_to_collection",
    "argmax",
    "argmin",
    "as_dtype",
    "bool",
    "broadcast_to",
    "cast",
    "ceil",
    "check_numerics",
    "concat",
    "constant",
    "control_dependencies",
    "convert_to_tensor",
    "cos",
    "device",
    "div",
    "div_no_nan",
    "divide",
    "double",
    "equal",
    "exp",
    "expand_dims",
    "fill",
    "float16",
    "float32",
    "float64",
    "floor",
    "floordiv",
    "gather",
    "IndexedSlices",
    "dynamic_partition",
    "dynamic_stitch",
    "scatter_add",
    "scatter_sub",
    "scatter_update",
    "sparse_to_dense",
    "unique",
    "unsorted_segment_sum",
    "get_collection",
    "get_default_graph",
    "get_default_session",
    "get_op_def",
    "global_variables",
    "global_variables_initializer",
    "gradients",
    "greater",
    "greater_equal",
    "group",
    "half",
    "identity",
    "initialize_all_variables",
    "int16",
    "int32",
    "int64",
    "int8",
    "less",
    "less_equal",
    "local_variables",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "matmul",
    "maximum",
    "minimum",
    "mul",
    "multiply",
    "name_scope",
    "negative",
    "no_op",
    "not_equal",
    "num_threads",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "placeholder",
    "placeholder_with_default",
    "pow",
    "range",
    "rank",
    "reciprocal",
    "reduce_all",
    "reduce_any",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
    "register_gradient",
    "register_kernel",
    "register_op",
    "registered_ops",
    "report_uninitialized_variables",
    "reset_default_graph",
    "reshape",
    "round",
    "rsqrt",
    "set_num_threads",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "size",
    "slice",
    "split",
    "sqrt",
    "square",
    "squared_difference",
    "squeeze",
    "stack",
    "stop_gradient",
    "string",
    "sub",
    "subtract",
    "tanh",
    "tile",
    "train",
    "trainable_variables",
    "transpose",
    "truediv",
    "uint8",
    "unstack",
    "variables_initializer",
    "where",
    "zeros",
    "zeros_like",
]

# TF1's protos under their tf.* names (``tf.Summary(value=[tf.Summary.Value(...)])``).
from summaries.proto.event_pb2 import Event  # noqa: E402
from summaries.proto.graph_pb2 import GraphDef  # noqa: E402
from summaries.proto.histogram_pb2 import HistogramProto  # noqa: E402
from summaries.proto.node_def_pb2 import NodeDef  # noqa: E402
from summaries.proto.summary_pb2 import Summary  # noqa: E402

__all__ += [
    "AUTO_REUSE",
    "ConfigProto",
    "Event",
    "GPUOptions",
    "GraphDef",
    "GraphOptions",
    "HistogramProto",
    "NodeDef",
    "OptimizerOptions",
    "Summary",
    "arg_max",
    "arg_min",
    "metrics",
    "to_double",
    "to_float",
    "to_int32",
    "to_int64",
    "contrib",
    "layers",
    "initialize_local_variables",
    "local_variables_initializer",
    "losses",
    "model_variables",
    "VariableScope",
    "constant_initializer",
    "get_local_variable",
    "get_variable",
    "get_variable_scope",
    "glorot_normal_initializer",
    "glorot_uniform_initializer",
    "ones_initializer",
    "orthogonal_initializer",
    "random_normal_initializer",
    "random_uniform_initializer",
    "truncated_normal_initializer",
    "variable_op_scope",
    "variable_scope",
    "variance_scaling_initializer",
    "zeros_initializer",
]

# Control flow (cond, case, while_loop and the higher-order functions) and TensorArray.
from .control_flow import case, cond, foldl, foldr, map_fn, scan, while_loop  # noqa: E402
from .ops.array import tuple_ as tuple  # noqa: E402, A004
from .tensor_array import TensorArray  # noqa: E402

__all__ += [
    "TensorArray",
    "tuple",
    "case",
    "cond",
    "foldl",
    "foldr",
    "map_fn",
    "scan",
    "while_loop",
]

# Program scaffolding: tf.app, tf.flags, tf.logging, tf.gfile, tf.io.gfile.
from . import app, flags, gfile, io  # noqa: E402
from . import tf_logging as logging  # noqa: E402

__all__ += ["app", "flags", "gfile", "io", "logging"]

_register_gpu_kernels()

# Input pipelines: tf.data, tf.py_func / tf.numpy_function.
from . import data  # noqa: E402
from .errors import CancelledError, OutOfRangeError  # noqa: E402
from .ops.script_ops import numpy_function, py_func  # noqa: E402

__all__ += ["CancelledError", "OutOfRangeError", "data", "numpy_function", "py_func"]

# Queues (tf.FIFOQueue, tf.RandomShuffleQueue; tf.train.QueueRunner & co. in engine.train).
from . import queues  # noqa: E402
from .queues import FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue  # noqa: E402

__all__ += ["FIFOQueue", "PaddingFIFOQueue", "QueueBase", "RandomShuffleQueue", "queues"]

# tf.image and tf.read_file.
from . import image  # noqa: E402
from .image import read_file  # noqa: E402

__all__ += ["image", "read_file"]

# tf.estimator and tf.feature_column.
from . import estimator, feature_column  # noqa: E402

__all__ += ["estimator", "feature_column"]
