"""``tf.layers.BatchNormalization`` / ``batch_normalization``: batch statistics while training
(moving averages updated by ops in ``GraphKeys.UPDATE_OPS``), moving statistics otherwise."""

from __future__ import annotations

from ..core import TensorShape, convert_to_tensor, get_default_graph
from ..ops.array import cast, where
from ..ops.fills import ones, zeros
from ..ops.fused_batch_norm import fused_batch_norm
from ..ops.normalization import batch_normalization as nn_batch_normalization
from ..ops.normalization import moments
from ..ops.shaping import size
from .base import ONES, ZEROS, Layer, static_bool


class BatchNormalization(Layer):
    """Normalizes over every axis but `axis` (default the last, the channels).

    Variables, in TF's order: ``gamma`` (if `scale`), ``beta`` (if `center`), ``moving_mean``,
    ``moving_variance`` (not trainable). With ``training=True`` (or a bool tensor that is true)
    the batch mean and variance normalize, and the update ops
    ``moving = moving - (moving - batch_stat) * (1 - momentum)`` join `updates` and
    ``UPDATE_OPS``. 4-D channels-last inputs use one `FusedBatchNormV3` op, as TF does (unless
    ``fused=False``); there the variance that updates the moving average carries Bessel's
    correction ``n / (n - 1)``.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer=ZEROS,
        gamma_initializer=ONES,
        moving_mean_initializer=ZEROS,
        moving_variance_initializer=ONES,
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        fused=None,
        trainable=True,
        virtual_batch_size=None,
        adjustment=None,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size or adjustment:
            raise ValueError("BatchNormalization: renorm/virtual_batch_size are not supported")
        self.axis = axis
        self.momentum, self.epsilon = momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.fused = fused
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        # contrib.layers.batch_norm's own fused path: beta created before gamma, and the
        # moving variance updated with the Bessel-corrected batch variance at any rank.
        self._contrib_fused = False

    def _add_gamma(self, param):
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                param,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
            )

    def _add_beta(self, param):
        if self.center:
            self.beta = self.add_weight(
                "beta", param, initializer=self.beta_initializer, regularizer=self.beta_regularizer
            )

    def build(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        if dims is None:
            raise ValueError("Input has undefined rank.")
        ndims = len(dims)
        axis = self.axis if isinstance(self.axis, int) else self.axis[0]
        self._axis = axis % ndims
        channels = dims[self._axis]
        if channels is None:
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: {input_shape}")
        self._ndims = ndims
        param = [channels]
        contrib_order = (self._add_beta, self._add_gamma)
        order = contrib_order if self._contrib_fused else (self._add_gamma, self._add_beta)
        for add in order:
            add(param)
        self.moving_mean = self.add_weight(
            "moving_mean", param, initializer=self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", param, initializer=self.moving_variance_initializer, trainable=False
        )
        self.built = True

    def _reshape(self, v):
        if v is None or self._axis == self._ndims - 1:
            return v
        from ..ops.shaping import reshape

        shape = [1] * self._ndims
        shape[self._axis] = -1
        return reshape(v, shape)

    def _fused(self, mode) -> bool:
        return self._ndims == 4 and self._axis == 3 and self.fused is not False and mode is not None

    def _call_fused(self, x, training: bool):
        channels = self.moving_mean.shape.as_list()
        scale = self.gamma.value() if self.gamma is not None else ones(channels, dtype=x.dtype)
        offset = self.beta.value() if self.beta is not None else zeros(channels, dtype=x.dtype)
        if not training:
            y, _, _ = fused_batch_norm(x, scale, offset, self.moving_mean.value(),
                                       self.moving_variance.value(), epsilon=self.epsilon,
                                       is_training=False)  # fmt: skip
            return y
        y, batch_mean, batch_var = fused_batch_norm(x, scale, offset, epsilon=self.epsilon)
        decay = 1.0 - self.momentum
        self._add_moving_update(self.moving_mean, batch_mean, decay, "AssignMovingAvg")
        self._add_moving_update(self.moving_variance, batch_var, decay, "AssignMovingAvg_1")
        return y

    def call(self, inputs, training=False):
        x = convert_to_tensor(inputs)
        mode = static_bool(training)
        if self._fused(mode):
            return self._call_fused(x, mode)
        gamma, beta = self._reshape(self.gamma), self._reshape(self.beta)
        if mode is False:
            mean, var = self.moving_mean.value(), self.moving_variance.value()
            return nn_batch_normalization(
                x, self._reshape(mean), self._reshape(var), beta, gamma, self.epsilon
            )
        axes = [i for i in range(self._ndims) if i != self._axis]
        batch_mean, batch_var = moments(x, axes)
        update_var = batch_var
        if (self._ndims == 4 and self.fused is not False) or self._contrib_fused:
            n = cast(size(x), x.dtype) / cast(size(batch_mean), x.dtype)
            update_var = batch_var * n / (n - 1.0)
        decay = 1.0 - self.momentum
        if mode is None:
            t = convert_to_tensor(training)
            batch_mean = where(t, batch_mean, self.moving_mean.value())
            batch_var = where(t, batch_var, self.moving_variance.value())
            decay = cast(t, x.dtype) * decay
        self._add_moving_update(self.moving_mean, batch_mean, decay, "AssignMovingAvg")
        self._add_moving_update(self.moving_variance, update_var, decay, "AssignMovingAvg_1")
        return nn_batch_normalization(
            x, self._reshape(batch_mean), self._reshape(batch_var), beta, gamma, self.epsilon
        )

    def _add_moving_update(self, var, value, decay, name):
        g = get_default_graph()
        with g.name_scope(name):
            delta = (var.value() - value) * decay
            self.add_update(var.assign_sub(delta, name="AssignMovingAvg"))


def batch_normalization(
    inputs,
    axis=-1,
    momentum=0.99,
    epsilon=1e-3,
    center=True,
    scale=True,
    beta_initializer=ZEROS,
    gamma_initializer=ONES,
    moving_mean_initializer=ZEROS,
    moving_variance_initializer=ONES,
    beta_regularizer=None,
    gamma_regularizer=None,
    beta_constraint=None,
    gamma_constraint=None,
    training=False,
    trainable=True,
    name=None,
    reuse=None,
    renorm=False,
    renorm_clipping=None,
    renorm_momentum=0.99,
    fused=None,
    virtual_batch_size=None,
    adjustment=None,
):
    """Functional form of `BatchNormalization`; remember to run ``UPDATE_OPS`` when training."""
    layer = BatchNormalization(
        axis=axis,
        momentum=momentum,
        epsilon=epsilon,
        center=center,
        scale=scale,
        beta_initializer=beta_initializer,
        gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer,
        gamma_regularizer=gamma_regularizer,
        fused=fused,
        trainable=trainable,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs, training=training)


BatchNorm = BatchNormalization
