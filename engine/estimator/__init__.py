"""``tf.estimator``: Estimator, EstimatorSpec, ModeKeys, RunConfig, the canned DNN and linear
models and ``inputs.numpy_input_fn`` (TF 1.15's API; TF 2.16+ no longer ships it)."""

from . import inputs
from .canned.dnn import DNNClassifier, DNNRegressor
from .canned.linear import LinearClassifier, LinearRegressor
from .estimator import Estimator
from .model_fn import EstimatorSpec, ModeKeys, RunConfig

__all__ = [
    "DNNClassifier",
    "DNNRegressor",
    "Estimator",
    "EstimatorSpec",
    "LinearClassifier",
    "LinearRegressor",
    "ModeKeys",
    "RunConfig",
    "inputs",
]
