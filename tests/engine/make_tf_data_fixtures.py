# ruff: noqa: E501 - the case table holds one source line per case
"""Records tf.compat.v1's answers for tf.data, queues and tf.image into fixtures.

Run with the TensorFlow venv: ``/tmp/tfvenv/bin/python tests/engine/make_tf_data_fixtures.py``.
Writes ``fixtures/data_pipelines.json`` (pipeline outputs, static shapes, error messages) and
``fixtures/image_ops.npz`` (inputs and outputs of the image ops), which the tests compare to.
"""

from __future__ import annotations

import io
import json
import os

import numpy as np
import tensorflow as tf
from PIL import Image

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.dirname(os.path.abspath(__file__))


def _shape(s):
    return None if s.ndims is None else [d for d in s.as_list()]


def _core_message(e) -> str:
    """The op's own message: TF 2.x wraps it ("Graph execution error: ... Node: 'x'")."""
    lines = e.message.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Node: ") and i + 1 < len(lines):
            return lines[i + 1]
    return lines[0]


def _drain(elements):
    out = []
    with tf1.Session() as sess:
        try:
            while True:
                out.append(sess.run(elements))
        except tf.errors.OutOfRangeError as e:
            return out, _core_message(e)


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


# Each case: a function building a dataset from (tf, np); the same source runs in the engine.
DATA_CASES = {
    "slices_map_batch": "tf.data.Dataset.from_tensor_slices((np.arange(10), np.arange(10) * 0.5))"
    ".map(lambda a, b: (a * 2, b + 1.0)).batch(4)",
    "drop_remainder": "tf.data.Dataset.range(10).batch(3, drop_remainder=True)",
    "filter_take_skip": "tf.data.Dataset.range(20).filter(lambda x: tf.equal(x % 3, 0)).skip(1).take(4)",
    "repeat_batch": "tf.data.Dataset.from_tensor_slices(np.array([1., 2., 3.], np.float32)).repeat(2).batch(4)",
    "zip_dict": "tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.from_tensor_slices("
    "{'x': np.array([[1, 2], [3, 4], [5, 6]], np.int32), 'y': np.array([7., 8., 9.], np.float32)})))",
    "padded_batch": "tf.data.Dataset.range(1, 6).map(lambda n: tf.fill(tf.reshape(n, [1]), n)).padded_batch(2, padded_shapes=[None])",
    "padded_batch_fixed": "tf.data.Dataset.range(1, 4).map(lambda n: tf.fill(tf.reshape(n, [1]), tf.cast(n, tf.float32)))"
    ".padded_batch(2, padded_shapes=[5], padding_values=-1.0)",
    "from_tensors": "tf.data.Dataset.from_tensors((np.arange(3), np.float32(2.0))).repeat(2)",
    "concatenate": "tf.data.Dataset.range(3).concatenate(tf.data.Dataset.range(10, 12))",
    "generator": "tf.data.Dataset.from_generator(lambda: iter([[1, 2], [3, 4, 5]]), tf.int32, tf.TensorShape([None]))",
    "map_dict": "tf.data.Dataset.from_tensor_slices({'a': np.arange(4), 'b': np.arange(4) * 10})"
    ".map(lambda d: {'sum': d['a'] + d['b'], 'a': d['a']}, num_parallel_calls=2).batch(3)",
    "flat_map_range": "tf.data.Dataset.range(1, 4).flat_map(lambda n: tf.data.Dataset.range(n * 10, n * 10 + n))",
    "interleave": "tf.data.Dataset.range(1, 5).interleave(lambda n: tf.data.Dataset.from_tensors(n).repeat(n), cycle_length=2, block_length=2)",
    "take_skip_tensor": "tf.data.Dataset.range(10).skip(tf.constant(2, tf.int64) + 1).take(tf.constant(3, tf.int64) * 1)",
    "py_func_map": "tf.data.Dataset.range(4).map(lambda x: tf1.py_func(lambda v: (v * v).astype(np.int64), [x], tf.int64))",
}


def data_fixtures():
    out = {}
    for name, src in DATA_CASES.items():
        tf1.reset_default_graph()
        ds = eval(src, {"tf": tf, "tf1": tf1, "np": np})  # noqa: S307 - our own case table
        it = tf1.data.make_one_shot_iterator(ds)
        values, message = _drain(it.get_next())
        shapes = tf1.data.get_output_shapes(ds)
        types = tf1.data.get_output_types(ds)
        out[name] = {
            "source": src,
            "values": _jsonable(values),
            "end_message": message,
            "shapes": _jsonable(tf.nest.map_structure(_shape, shapes)),
            "types": _jsonable(tf.nest.map_structure(lambda t: t.name, types)),
        }
    # Errors a user meets.
    tf1.reset_default_graph()
    it = tf1.data.make_initializable_iterator(tf.data.Dataset.range(3))
    nxt = it.get_next()
    with tf1.Session() as sess:
        try:
            sess.run(nxt)
        except tf.errors.FailedPreconditionError as e:
            out["_uninitialized_message"] = _core_message(e)
    tf1.reset_default_graph()
    ds = tf.data.Dataset.from_generator(lambda: iter([[1], [2, 3]]), tf.int32).batch(2)
    nxt = tf1.data.make_one_shot_iterator(ds).get_next()
    with tf1.Session() as sess:
        try:
            sess.run(nxt)
        except tf.errors.InvalidArgumentError as e:
            out["_batch_shapes_message"] = _core_message(e)
    # Queues: the message of a dequeue from a closed, empty queue.
    tf1.reset_default_graph()
    q = tf1.FIFOQueue(3, [tf.float32], shapes=[[]])
    enq, deq, close = q.enqueue_many([[1.0, 2.0]]), q.dequeue(), q.close()
    many = q.dequeue_up_to(5)
    with tf1.Session() as sess:
        sess.run(enq)
        sess.run(close)
        out["_queue_up_to"] = _jsonable(sess.run(many))
        try:
            sess.run(deq)
        except tf.errors.OutOfRangeError as e:
            out["_queue_closed_message"] = _core_message(e)
        try:
            sess.run(enq)
        except tf.errors.CancelledError as e:
            out["_queue_enqueue_closed_message"] = _core_message(e)
    # Names and summary tags of the queue-based input pipeline.
    tf1.reset_default_graph()
    files = tf1.train.string_input_producer(["a", "b"], num_epochs=1, shuffle=False)
    x = tf1.train.slice_input_producer([np.arange(6.0), np.arange(6)], shuffle=False)
    b = tf1.train.batch([x[0], x[1]], 2)
    sb = tf1.train.shuffle_batch({"v": x[0]}, 2, capacity=20, min_after_dequeue=5)
    out["_queue_names"] = {
        "summaries": sorted(s.op.name for s in tf1.get_collection(tf1.GraphKeys.SUMMARIES)),
        "batch": [t.name for t in b],
        "shuffle_batch": sb["v"].name,
        "string_queue": files.name,
    }
    with tf1.Session() as sess:
        sess.run(tf1.local_variables_initializer())
        coord = tf1.train.Coordinator()
        threads = tf1.train.start_queue_runners(sess, coord)
        names = [sess.run(files.dequeue()) for _ in range(2)]
        try:
            sess.run(files.dequeue())
        except tf.errors.OutOfRangeError as e:
            out["_string_producer_end"] = _core_message(e)
        out["_string_producer"] = _jsonable(names)
        coord.request_stop()
        coord.join(threads)
    with open(os.path.join(HERE, "fixtures", "data_pipelines.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


def image_fixtures():
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (5, 6, 4), dtype=np.uint8)
    gray = rng.integers(0, 256, (7, 4, 1), dtype=np.uint8)
    floats = rng.random((2, 6, 5, 2), dtype=np.float32) * 4 - 1

    def png(a):
        buf = io.BytesIO()
        Image.fromarray(a.squeeze(-1) if a.shape[-1] == 1 else a).save(buf, "PNG")
        return buf.getvalue()

    def jpeg(a):
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "JPEG", quality=90)
        return buf.getvalue()

    out = {"rgb": rgb, "rgba": rgba, "gray": gray, "floats": floats}
    blobs = {
        "rgb_png": png(rgb),
        "rgba_png": png(rgba),
        "gray_png": png(gray),
        "rgb_jpeg": jpeg(rgb),
    }
    tf1.reset_default_graph()
    ops = {
        "decode_rgb_png": tf.image.decode_png(blobs["rgb_png"]),
        "decode_rgba_png_as_rgb": tf.image.decode_png(blobs["rgba_png"], channels=3),
        "decode_gray_png": tf.image.decode_png(blobs["gray_png"]),
        "decode_gray_png_as_rgb": tf.image.decode_png(blobs["gray_png"], channels=3),
        "decode_jpeg": tf.image.decode_jpeg(blobs["rgb_jpeg"]),
        "decode_image_png": tf.image.decode_image(blobs["rgb_png"]),
        "resize_bilinear_up": tf1.image.resize_images(rgb, [14, 20]),
        "resize_bilinear_down": tf1.image.resize_images(floats, [4, 3]),
        "resize_bilinear_align": tf1.image.resize_images(floats, [7, 9], align_corners=True),
        "resize_nearest": tf1.image.resize_images(
            rgb, [5, 17], method=tf1.image.ResizeMethod.NEAREST_NEIGHBOR
        ),
        "resize_nearest_align": tf1.image.resize_images(
            gray, [10, 3], method=tf1.image.ResizeMethod.NEAREST_NEIGHBOR, align_corners=True
        ),
        "convert_u8_f32": tf.image.convert_image_dtype(rgb, tf.float32),
        "convert_f32_u8": tf.image.convert_image_dtype(tf.clip_by_value(floats, 0, 1), tf.uint8),
        "convert_f32_u8_saturate": tf.image.convert_image_dtype(floats, tf.uint8, saturate=True),
        "convert_u8_i32": tf.image.convert_image_dtype(rgb, tf.int32),
        "convert_i32_u8": tf.image.convert_image_dtype(
            tf.image.convert_image_dtype(rgb, tf.int32), tf.uint8
        ),
        "standardize": tf.image.per_image_standardization(rgb),
        "standardize_batch_const": tf.image.per_image_standardization(
            np.full((2, 3, 3, 1), 5, np.uint8)
        ),
        "crop_or_pad_crop": tf1.image.resize_image_with_crop_or_pad(rgb, 4, 7),
        "crop_or_pad_pad": tf1.image.resize_image_with_crop_or_pad(gray, 10, 9),
        "crop_or_pad_mixed": tf1.image.resize_image_with_crop_or_pad(floats, 9, 2),
        "flip_left_right": tf.image.flip_left_right(rgb),
        "flip_up_down": tf.image.flip_up_down(floats),
    }
    with tf1.Session() as sess:
        values = sess.run(ops)
    out.update(values)
    for k, v in blobs.items():
        out[k] = np.frombuffer(v, dtype=np.uint8)
    np.savez_compressed(os.path.join(HERE, "fixtures", "image_ops.npz"), **out)


if __name__ == "__main__":
    data_fixtures()
    image_fixtures()
    print("wrote fixtures/data_pipelines.json and fixtures/image_ops.npz")
