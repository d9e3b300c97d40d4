"""tf.estimator.DNNClassifier on the digits, as TF 1.x's "premade estimators" tutorial runs
it: numeric feature columns, ``numpy_input_fn``, ``train`` then ``evaluate`` (written to
``model_dir/eval``, so a board on ``model_dir`` compares training and evaluation) then
``predict``; and the same model in the seed talks' scikit-learn spelling,
``tf.contrib.learn.DNNClassifier(...).fit(x, y, steps)``.

Only the import differs from the TensorFlow 1 program: ``import engine as tf``.
"""

from __future__ import annotations

import argparse

import numpy as np

import engine as tf
from examples._data import load_digits


def run(model_dir="demo_logs/tf1_dnn_classifier", steps=400):
    digits = load_digits()
    x_train = digits.train_images.reshape(-1, 64)
    x_val = digits.val_images.reshape(-1, 64)
    columns = [tf.feature_column.numeric_column("pixels", shape=[64])]
    classifier = tf.estimator.DNNClassifier(
        hidden_units=[64, 32],
        feature_columns=columns,
        n_classes=10,
        model_dir=model_dir,
        config=tf.estimator.RunConfig(save_summary_steps=20, save_checkpoints_steps=200),
    )
    train_input = tf.estimator.inputs.numpy_input_fn(
        {"pixels": x_train}, digits.train_labels, batch_size=64, num_epochs=None, shuffle=True
    )
    classifier.train(input_fn=train_input, steps=steps)
    eval_input = tf.estimator.inputs.numpy_input_fn(
        {"pixels": x_val}, digits.val_labels, batch_size=128, num_epochs=1, shuffle=False
    )
    metrics = classifier.evaluate(input_fn=eval_input)
    predict_input = tf.estimator.inputs.numpy_input_fn(
        {"pixels": x_val[:5]}, num_epochs=1, shuffle=False
    )
    predicted = [int(p["class_ids"][0]) for p in classifier.predict(input_fn=predict_input)]
    return classifier, metrics, predicted


def run_learn(model_dir="demo_logs/tf1_learn_dnn", steps=400):
    digits = load_digits()
    x_train = digits.train_images.reshape(-1, 64)
    x_val = digits.val_images.reshape(-1, 64)
    feature_columns = tf.contrib.learn.infer_real_valued_columns_from_input(x_train)
    classifier = tf.contrib.learn.DNNClassifier(
        hidden_units=[64, 32], n_classes=10, feature_columns=feature_columns, model_dir=model_dir
    )
    classifier.fit(x_train, digits.train_labels, steps=steps)
    predictions = list(classifier.predict(x_val, as_iterable=True))
    accuracy = float(np.mean(np.array(predictions) == digits.val_labels))
    return classifier.evaluate(x_val, digits.val_labels), accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model_dir", default="demo_logs/tf1_dnn_classifier")
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    _, metrics, predicted = run(args.model_dir, args.steps)
    print({k: round(float(v), 4) for k, v in metrics.items()}, "first predictions", predicted)
