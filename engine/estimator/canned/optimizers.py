"""Optimizers of the canned estimators, by name as TF 1.15's ``optimizers.get_optimizer_instance``
takes them ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD'), and FTRL-Proximal, the linear
models' default."""

from __future__ import annotations

from ... import dtypes as D
from ... import train
from ...ops.array import group, where
from ...ops.fills import zeros_like
from ...ops.math import abs as abs_op
from ...ops.math import add, multiply, sign, sqrt, square, subtract, truediv


class FtrlOptimizer(train.Optimizer):
    """FTRL-Proximal (McMahan et al. 2013) with learning_rate_power -0.5, as TF's ApplyFtrl:
    accum' = accum + g^2; linear += g - (sqrt(accum') - sqrt(accum)) / lr * w;
    w = (sign(linear) * l1 - linear) / (sqrt(accum') / lr + 2 * l2) where |linear| > l1, else 0."""

    def __init__(
        self,
        learning_rate,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="Ftrl",
    ):
        if learning_rate_power != -0.5:
            raise NotImplementedError("FtrlOptimizer supports learning_rate_power=-0.5 only")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial = initial_accumulator_value
        self._l1, self._l2 = float(l1_regularization_strength), float(l2_regularization_strength)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name, init=self._initial)
            self._zeros_slot(v, "linear", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate", D.float32)

    def _apply_dense(self, grad, var):
        accum, linear = self.get_slot(var, "accum"), self.get_slot(var, "linear")
        lr = self._scalar("_lr_t", var)
        a, lin, w = accum.value(), linear.value(), var.value()
        new_accum = add(a, square(grad))
        sigma = truediv(subtract(sqrt(new_accum), sqrt(a)), lr)
        new_linear = subtract(add(lin, grad), multiply(sigma, w))
        quadratic = add(truediv(sqrt(new_accum), lr), 2.0 * self._l2)
        shrunk = truediv(subtract(multiply(sign(new_linear), self._l1), new_linear), quadratic)
        new_w = where(abs_op(new_linear) > self._l1, shrunk, zeros_like(shrunk))
        return group(accum.assign(new_accum), linear.assign(new_linear), var.assign(new_w))


_BY_NAME = {
    "Adagrad": lambda lr: train.AdagradOptimizer(lr),
    "Adam": lambda lr: train.AdamOptimizer(lr),
    "Ftrl": lambda lr: FtrlOptimizer(lr),
    "RMSProp": lambda lr: train.RMSPropOptimizer(lr),
    "SGD": lambda lr: train.GradientDescentOptimizer(lr),
}


def get_optimizer_instance(opt, learning_rate=None):
    """An Optimizer from a name (with ``learning_rate``), an instance, or a callable."""
    if isinstance(opt, str):
        if opt not in _BY_NAME:
            raise ValueError(
                f"Unsupported optimizer name: {opt}. Supported names are: {sorted(_BY_NAME)}"
            )
        if learning_rate is None:
            raise ValueError("learning_rate must be specified when opt is string.")
        return _BY_NAME[opt](learning_rate)
    if callable(opt) and not isinstance(opt, train.Optimizer):
        opt = opt()
    if not isinstance(opt, train.Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt}")
    return opt
