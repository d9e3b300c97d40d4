"""Generates tests/fixtures/tf_make_ndarray.json: what TensorFlow's ``tensor_util.MakeNdarray``
makes of TensorProtos whose declared shape and content disagree (needs tensorflow-cpu; the test
suite itself does not). Run: /tmp/tfvenv/bin/python tests/summaries/make_tf_tensor_fixtures.py

Each case holds the serialized TensorProto (hex) and TensorFlow's answer: the array (values as
a flat list, shape, dtype) or the name of the exception it raised. The protos are built with
TensorFlow's own TensorProto class, so the bytes are TensorFlow's.
"""

import json
import os

import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow.python.framework import tensor_util

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def proto(dtype, shape, **fields):
    t = tensor_pb2.TensorProto(dtype=dtype)
    t.tensor_shape.CopyFrom(
        tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape]
        )
    )
    for name, value in fields.items():
        if name == "tensor_content":
            t.tensor_content = value
        else:
            getattr(t, name).extend(value)
    return t


CASES = {
    "one float, shape [4]: repeated": proto(types_pb2.DT_FLOAT, [4], float_val=[2.5]),
    "two ints, shape [2, 3]: last repeated": proto(types_pb2.DT_INT32, [2, 3], int_val=[1, 7]),
    "exact doubles [2, 3]": proto(types_pb2.DT_DOUBLE, [2, 3], double_val=[0, 1, 2, 3, 4, 5]),
    "one string, shape [3]": proto(types_pb2.DT_STRING, [3], string_val=[b"a"]),
    "one value, histogram [2, 3]": proto(types_pb2.DT_FLOAT, [2, 3], float_val=[1.0]),
    "too many values for [2]": proto(types_pb2.DT_FLOAT, [2], float_val=[1, 2, 3]),
    "tensor_content too short for [2, 3]": proto(
        types_pb2.DT_FLOAT, [2, 3], tensor_content=np.arange(4, dtype="<f4").tobytes()
    ),
    "tensor_content exact [2, 2]": proto(
        types_pb2.DT_FLOAT, [2, 2], tensor_content=np.arange(4, dtype="<f4").tobytes()
    ),
}


def answer(t):
    try:
        array = tensor_util.MakeNdarray(t)
    except Exception as error:  # noqa: BLE001 - the fixture records which one TF raises
        return {"error": type(error).__name__}
    values = array.reshape(-1).tolist()
    values = [v.decode() if isinstance(v, bytes) else v for v in values]
    return {"values": values, "shape": list(array.shape), "dtype": str(array.dtype)}


def main():
    out = {name: {"proto": t.SerializeToString().hex(), **answer(t)} for name, t in CASES.items()}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tf_make_ndarray.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
