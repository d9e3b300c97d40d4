"""numpy reference kernels for convolution and pooling (the fallback for dtypes the native
kernels do not cover, e.g. float16)."""

from __future__ import annotations

import numpy as np

from .common import contiguous


def _pads(n, k, s, d, padding):
    keff = (k - 1) * d + 1
    if padding == "SAME":
        out = -(-n // s)
        total = max((out - 1) * s + keff - n, 0)
        return out, total // 2, total - total // 2
    return max((n - keff) // s + 1, 0), 0, 0


def _cols(x, kh, kw, attrs):
    s, d = attrs["strides"], attrs.get("dilations", [1, 1, 1, 1])
    n, h, w, c = x.shape
    oh, pt, pb = _pads(h, kh, s[1], d[1], attrs["padding"])
    ow, pl, pr = _pads(w, kw, s[2], d[2], attrs["padding"])
    xp = np.pad(x, [(0, 0), (pt, pb + s[1]), (pl, pr + s[2]), (0, 0)])
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * d[1], j * d[2]
            cols[:, :, :, i, j, :] = xp[
                :, y0 : y0 + oh * s[1] : s[1], x0 : x0 + ow * s[2] : s[2], :
            ][:, :oh, :ow]
    return cols, (oh, ow, pt, pl)


def conv2d_nhwc(x, w, attrs):
    kh, kw, c, oc = w.shape
    cols, _ = _cols(x, kh, kw, attrs)
    return np.tensordot(cols, w, axes=([3, 4, 5], [0, 1, 2])).astype(x.dtype)


def conv2d_backprop_input(shape, w, g, attrs):
    n, h, wd, c = [int(v) for v in shape]
    kh, kw, _, oc = w.shape
    s, d = attrs["strides"], attrs.get("dilations", [1, 1, 1, 1])
    oh, pt, pb = _pads(h, kh, s[1], d[1], attrs["padding"])
    ow, pl, pr = _pads(wd, kw, s[2], d[2], attrs["padding"])
    dxp = np.zeros(
        (n, h + pt + pb + s[1] + kh * d[1], wd + pl + pr + s[2] + kw * d[2], c), dtype=g.dtype
    )
    dcols = np.tensordot(g, w, axes=([3], [3]))  # n, oh, ow, kh, kw, c
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * d[1], j * d[2]
            dxp[:, y0 : y0 + oh * s[1] : s[1], x0 : x0 + ow * s[2] : s[2], :][:, :oh, :ow] += dcols[
                :, :, :, i, j, :
            ]
    return contiguous(dxp[:, pt : pt + h, pl : pl + wd, :])


def conv2d_backprop_filter(x, shape, g, attrs):
    kh, kw, c, oc = [int(v) for v in shape]
    cols, _ = _cols(x, kh, kw, attrs)
    return np.tensordot(cols, g, axes=([0, 1, 2], [0, 1, 2])).astype(x.dtype)


def _windows(x, attrs, fill):
    k, s = attrs["ksize"], attrs["strides"]
    n, h, w, c = x.shape
    oh, pt, pb = _pads(h, k[1], s[1], 1, attrs["padding"])
    ow, pl, pr = _pads(w, k[2], s[2], 1, attrs["padding"])
    xp = np.pad(x, [(0, 0), (pt, pb + s[1]), (pl, pr + s[2]), (0, 0)], constant_values=fill)
    return xp, (oh, ow, pt, pl)


def pool(x, attrs, kind):
    k, s = attrs["ksize"], attrs["strides"]
    xf = x.astype(np.float64)
    xp, (oh, ow, pt, pl) = _windows(xf, attrs, -np.inf if kind == "max" else 0.0)
    ones = np.pad(
        np.ones(x.shape[1:3]),
        [(pt, xp.shape[1] - x.shape[1] - pt), (pl, xp.shape[2] - x.shape[2] - pl)],
    )
    res = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf if kind == "max" else 0.0)
    cnt = np.zeros((oh, ow))
    for i in range(k[1]):
        for j in range(k[2]):
            win = xp[:, i : i + oh * s[1] : s[1], j : j + ow * s[2] : s[2], :][:, :oh, :ow]
            if kind == "max":
                res = np.maximum(res, win)
            else:
                res += win
                cnt += ones[i : i + oh * s[1] : s[1], j : j + ow * s[2] : s[2]][:oh, :ow]
    if kind == "avg":
        res /= cnt[None, :, :, None]
    return res.astype(x.dtype)


def max_pool_grad(x, y, g, attrs):
    k, s = attrs["ksize"], attrs["strides"]
    n, h, w, c = x.shape
    oh, ow = y.shape[1:3]
    _, (oh, ow, pt, pl) = _windows(x, attrs, 0)
    dx = np.zeros_like(x)
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * s[1] - pt, ox * s[2] - pl
                ys, xs = max(y0, 0), max(x0, 0)
                win = x[b, ys : y0 + k[1], xs : x0 + k[2], :].reshape(-1, c)
                idx = np.argmax(win == y[b, oy, ox][None, :], axis=0)
                ww = min(x0 + k[2], w) - xs
                for ch in range(c):
                    dy, dxx = divmod(int(idx[ch]), ww)
                    dx[b, ys + dy, xs + dxx, ch] += g[b, oy, ox, ch]
    return dx


def avg_pool_grad(shape, g, attrs):
    k, s = attrs["ksize"], attrs["strides"]
    n, h, w, c = [int(v) for v in shape]
    dx = np.zeros((n, h, w, c), dtype=g.dtype)
    oh, ow = g.shape[1:3]
    _, pt, _ = _pads(h, k[1], s[1], 1, attrs["padding"])
    _, pl, _ = _pads(w, k[2], s[2], 1, attrs["padding"])
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = max(oy * s[1] - pt, 0), max(ox * s[2] - pl, 0)
            y1, x1 = min(oy * s[1] - pt + k[1], h), min(ox * s[2] - pl + k[2], w)
            dx[:, y0:y1, x0:x1, :] += (g[:, oy, ox, :] / ((y1 - y0) * (x1 - x0)))[:, None, None, :]
    return dx
