"""tf.estimator and tf.contrib.learn: training, resuming, evaluation in model_dir/eval,
prediction, the canned models' variable names and summary tags (TF 1.15's, see
engine/estimator/canned/*.py; TF 2.21 has no estimator to record them from), feature columns."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

import engine as tf

RNG = np.random.default_rng(0)
X = RNG.normal(size=(240, 4)).astype(np.float32)
Y3 = ((X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.8)).astype(np.int64)
Y2 = (X[:, 0] - X[:, 3] > 0).astype(np.int64)
YR = (X @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.5).astype(np.float32)
COLS = [tf.feature_column.numeric_column("x", shape=[4])]


def _train_fn(y, batch=32):
    return tf.estimator.inputs.numpy_input_fn(
        {"x": X}, y, batch_size=batch, num_epochs=None, shuffle=True
    )


def _eval_fn(y):
    return tf.estimator.inputs.numpy_input_fn({"x": X}, y, batch_size=64, shuffle=False)


def _tags(directory):
    tags = {}
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for event in EventFileLoader(path).Load():
            for v in event.summary.value:
                tags.setdefault(v.tag, []).append((event.step, v))
    return tags


def test_dnn_classifier_trains_resumes_evaluates_predicts(tmp_path):
    model_dir = str(tmp_path / "dnn")
    config = tf.estimator.RunConfig(
        save_summary_steps=10, save_checkpoints_steps=40, log_step_count_steps=20
    )
    est = tf.estimator.DNNClassifier([16, 8], COLS, n_classes=3, model_dir=model_dir, config=config)
    first = est.evaluate(_eval_fn(Y3))  # untrained: initialised, not restored
    est.train(_train_fn(Y3), steps=60)
    assert est.latest_checkpoint().endswith("model.ckpt-60")
    names = est.get_variable_names()
    for want in (
        "dnn/hiddenlayer_0/kernel",
        "dnn/hiddenlayer_0/bias",
        "dnn/hiddenlayer_1/kernel",
        "dnn/logits/kernel",
        "dnn/logits/bias",
        "global_step",
    ):
        assert want in names
    assert est.get_variable_value("dnn/hiddenlayer_0/kernel").shape == (4, 16)
    est.train(_train_fn(Y3), steps=40)  # resumes from step 60
    assert est.latest_checkpoint().endswith("model.ckpt-100")
    est.train(_train_fn(Y3), max_steps=100)  # already there: nothing to do
    assert est.latest_checkpoint().endswith("model.ckpt-100")
    metrics = est.evaluate(_eval_fn(Y3))
    assert set(metrics) == {"accuracy", "average_loss", "loss", "global_step"}
    assert metrics["global_step"] == 100 and first["global_step"] == 0
    assert metrics["accuracy"] > 0.8 and metrics["average_loss"] < first["average_loss"]
    # loss is the batch-summed loss averaged over batches (64, 64, 64, 48 rows).
    assert metrics["loss"] > 40 * metrics["average_loss"]

    train_tags = _tags(model_dir)
    for tag in (
        "loss",
        "average_loss",
        "global_step/sec",
        "dnn/dnn/hiddenlayer_0/fraction_of_zero_values",
        "dnn/dnn/hiddenlayer_0/activation",
        "dnn/dnn/logits/fraction_of_zero_values",
        "dnn/dnn/logits/activation",
    ):
        assert tag in train_tags, tag
    assert max(s for s, _ in train_tags["loss"]) > 60  # the resumed run wrote too
    eval_tags = _tags(os.path.join(model_dir, "eval"))
    assert {s for s, _ in eval_tags["accuracy"]} == {0, 100}
    # (TensorBoard's loader hands simple_value scalars over as float tensors.)
    last = [v.tensor.float_val[0] for s, v in eval_tags["accuracy"] if s == 100][0]
    assert last == pytest.approx(metrics["accuracy"])

    predict_fn = tf.estimator.inputs.numpy_input_fn({"x": X[:5]}, shuffle=False)
    preds = list(est.predict(predict_fn))
    assert len(preds) == 5
    assert set(preds[0]) == {"logits", "probabilities", "class_ids", "classes"}
    assert preds[0]["probabilities"].sum() == pytest.approx(1.0, abs=1e-5)
    assert preds[0]["classes"][0] == str(preds[0]["class_ids"][0]).encode()


def test_binary_classifier_and_regressors_learn(tmp_path):
    binary = tf.estimator.DNNClassifier([8], COLS, model_dir=str(tmp_path / "b"))
    binary.train(_train_fn(Y2), steps=150)
    m = binary.evaluate(_eval_fn(Y2))
    assert {"accuracy", "label/mean", "prediction/mean"} <= set(m) and m["accuracy"] > 0.85
    assert m["label/mean"] == pytest.approx(Y2.mean(), abs=1e-6)
    p = next(iter(binary.predict(tf.estimator.inputs.numpy_input_fn({"x": X[:1]}, shuffle=False))))
    assert p["logistic"].shape == (1,) and p["probabilities"].shape == (2,)

    linear = tf.estimator.LinearRegressor(COLS, model_dir=str(tmp_path / "lr"))
    linear.train(_train_fn(YR), steps=300)
    names = linear.get_variable_names()
    assert "linear/linear_model/x/weights" in names and "linear/linear_model/bias_weights" in names
    w = linear.get_variable_value("linear/linear_model/x/weights").ravel()
    np.testing.assert_allclose(w, [1.0, -2.0, 0.5, 3.0], atol=0.25)
    assert "linear/fraction_of_zero_weights" in _tags(str(tmp_path / "lr"))

    dnn_r = tf.estimator.DNNRegressor([16], COLS, model_dir=str(tmp_path / "dr"))
    dnn_r.train(_train_fn(YR), steps=200)
    assert dnn_r.evaluate(_eval_fn(YR))["average_loss"] < 0.5 * np.var(YR)

    lin_c = tf.estimator.LinearClassifier(COLS, n_classes=3, model_dir=str(tmp_path / "lc"))
    lin_c.train(_train_fn(Y3), steps=200)
    assert lin_c.evaluate(_eval_fn(Y3))["accuracy"] > 0.75


def test_custom_model_fn_with_params_and_dataset_input(tmp_path):
    def model_fn(features, labels, mode, params):
        net = tf.feature_column.input_layer(features, params["columns"])
        logits = tf.layers.dense(net, 1, name="out")
        predictions = {"y": tf.squeeze(logits, 1)}
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions=predictions)
        loss = tf.losses.mean_squared_error(labels, predictions["y"])
        metrics = {"mae": tf.metrics.mean_absolute_error(labels, predictions["y"])}
        train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
            loss, global_step=tf.train.get_global_step()
        )
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, train_op=train_op, eval_metric_ops=metrics
        )

    def input_fn():
        ds = tf.data.Dataset.from_tensor_slices(({"x": X}, YR)).repeat().batch(32)
        return ds

    est = tf.estimator.Estimator(
        model_fn, model_dir=str(tmp_path), params={"columns": COLS, "lr": 0.05}
    )
    est.train(input_fn, steps=200)
    result = est.evaluate(lambda: tf.data.Dataset.from_tensor_slices(({"x": X}, YR)).batch(80))
    assert set(result) == {"mae", "loss", "global_step"} and result["mae"] < 0.2
    ys = [
        p["y"]
        for p in est.predict(lambda: tf.data.Dataset.from_tensor_slices({"x": X[:3]}).batch(2))
    ]
    np.testing.assert_allclose(ys, YR[:3], atol=0.5)
    assert os.path.isdir(os.path.join(str(tmp_path), "eval"))


def test_estimator_spec_and_input_errors():
    with pytest.raises(ValueError, match="Missing train_op"):
        tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.TRAIN, loss=tf.constant(1.0))
    with pytest.raises(ValueError, match="Missing predictions"):
        tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.PREDICT)
    with pytest.raises(ValueError, match="shuffle"):
        tf.estimator.inputs.numpy_input_fn({"x": X}, Y3)
    with pytest.raises(ValueError, match="mismatched"):
        tf.estimator.inputs.numpy_input_fn({"x": X}, Y3[:5], shuffle=False)
    with pytest.raises(ValueError, match="steps and max_steps"):
        tf.estimator.DNNClassifier([2], COLS).train(_train_fn(Y2), steps=1, max_steps=2)


def test_numpy_input_fn_epochs_and_final_batch():
    fn = tf.estimator.inputs.numpy_input_fn(
        {"x": X[:10]}, Y3[:10], batch_size=4, num_epochs=2, shuffle=False
    )
    with tf.Graph().as_default():
        features, labels = fn()
        with tf.Session() as sess:
            sizes = []
            with pytest.raises(tf.errors.OutOfRangeError):
                while True:
                    f, _ = sess.run([features, labels])
                    sizes.append(len(f["x"]))
    assert sizes == [4, 4, 4, 4, 4]


def test_contrib_learn_sklearn_spelling(tmp_path):
    columns = tf.contrib.learn.infer_real_valued_columns_from_input(X)
    assert columns[0].name == "" and columns[0].shape == (4,)
    clf = tf.contrib.learn.DNNClassifier(
        hidden_units=[16], n_classes=3, feature_columns=columns, model_dir=str(tmp_path)
    )
    assert clf.fit(X, Y3, steps=150) is clf
    predictions = np.array(list(clf.predict(X)))
    assert predictions.shape == (240,) and np.mean(predictions == Y3) > 0.8
    assert np.array_equal(clf.predict(X, as_iterable=False), predictions)
    proba = np.array(list(clf.predict_proba(X[:4])))
    assert proba.shape == (4, 3)
    result = clf.evaluate(X, Y3)
    assert result["global_step"] == 150 and result["accuracy"] > 0.8


def test_feature_column_input_layer_orders_by_name():
    with tf.Graph().as_default():
        cols = [
            tf.feature_column.numeric_column("b", shape=2),
            tf.feature_column.numeric_column("a"),
        ]
        net = tf.feature_column.input_layer(
            {"a": np.array([1.0, 2.0]), "b": np.array([[3, 4], [5, 6]], np.int64)}, cols
        )
        assert net.shape.as_list() == [None, 3] or net.shape.as_list()[1] == 3
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(net), [[1, 3, 4], [2, 5, 6]])
    with pytest.raises(ValueError):
        tf.feature_column.numeric_column("bad", shape=0)


def test_input_fn_with_queues_runs_its_queue_runners(tmp_path):
    def input_fn():
        x, y = tf.train.slice_input_producer([X, Y2], shuffle=True, seed=1)
        features, labels = tf.train.shuffle_batch(
            [x, y], batch_size=16, capacity=200, min_after_dequeue=50, num_threads=2
        )
        return {"x": features}, labels

    est = tf.estimator.DNNClassifier([8], COLS, model_dir=str(tmp_path))
    est.train(input_fn, steps=30)
    assert est.latest_checkpoint().endswith("model.ckpt-30")
    result = est.evaluate(input_fn, steps=5)
    assert result["global_step"] == 30 and 0.0 <= result["accuracy"] <= 1.0
