"""The datasets that hold a buffer of elements: `shuffle`'s (a seeded random choice among
``buffer_size`` elements) and `prefetch`'s (a background thread filling a bounded queue).
Moved out of `dataset_ops` as they were."""

from __future__ import annotations

import itertools
import queue
import threading

import numpy as np

from ..errors import InvalidArgumentError
from ..ops.random import get_seed
from .dataset_ops import AUTOTUNE, _int_arg, _share_the_gil_finely, _Unary


class ShuffleDataset(_Unary):
    """TF's shuffle buffer: fill ``buffer_size`` elements, then emit a random one and put the
    next input element in its place. The order depends only on the seeds (and the epoch when
    ``reshuffle_each_iteration``), never on timing, and is the same whether elements pass one
    by one or, from a source of blocks, as row numbers gathered a block at a time."""

    def __init__(self, input_dataset, buffer_size, seed=None, reshuffle_each_iteration=None):
        super().__init__(input_dataset)
        self._buffer = _int_arg(buffer_size, "buffer_size")
        if self._buffer <= 0:
            raise InvalidArgumentError(None, None, "buffer_size must be greater than zero.")
        self._seeds = get_seed(None if seed is None else _int_arg(seed, "seed"))
        self._reshuffle = (
            True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        )

    def _rng(self, env):
        epoch = env.epochs[self]
        env.epochs[self] += 1
        if self._seeds == (None, None):
            if "entropy" not in env.__dict__:
                env.entropy = np.random.SeedSequence().entropy
            key = [env.entropy, id(self) & 0xFFFFFFFF]
        else:
            key = [*self._seeds]
        if self._reshuffle:
            key.append(epoch)
        return np.random.default_rng(key)

    def _iter(self, env):
        return _shuffled(lambda: self._rng(env), self._input._iter(env), self._buffer)

    # Rows gathered per output block.
    _BLOCK_ROWS = 256

    def _blocks(self, env):
        blocks = self._input._blocks(env)
        if blocks is None:
            return None
        return self._gather(env, blocks)

    def _gather(self, env, blocks):
        kept: list = []  # the input blocks, and the first row number of each
        starts: list = []

        def row_numbers():
            n = 0
            for block in blocks:
                kept.append(block)
                starts.append(n)
                rows = len(block[0])
                yield from range(n, n + rows)
                n += rows

        order = _shuffled(lambda: self._rng(env), row_numbers(), self._buffer)
        while True:
            rows = np.fromiter(itertools.islice(order, self._BLOCK_ROWS), np.int64)
            if not len(rows):
                return
            which = np.searchsorted(starts, rows, side="right") - 1
            if which[0] == which[-1] and (which == which[0]).all():
                block, local = kept[which[0]], rows - starts[which[0]]
                yield tuple(c[local] for c in block)
                continue
            parts = [
                tuple(c[rows[which == b] - starts[b]] for c in kept[b]) for b in np.unique(which)
            ]
            # Rows of several blocks: put them back in the drawn order.
            position = np.concatenate([np.flatnonzero(which == b) for b in np.unique(which)])
            inverse = np.empty_like(position)
            inverse[position] = np.arange(len(position))
            yield tuple(
                np.concatenate([p[i] for p in parts])[inverse] for i in range(len(parts[0]))
            )


def _shuffled(make_rng, source, size: int):
    """``source``'s items in the shuffle buffer's order. The draws are uniform floats taken in
    chunks (one numpy call per chunk, not one per element), each scaled to the buffer's length
    at the time it is used."""
    rng = make_rng()
    draws: list = []
    buf: list = []

    def draw(n: int) -> int:
        nonlocal draws
        if not draws:
            draws = rng.random(1024).tolist()
            draws.reverse()
        return min(int(draws.pop() * n), n - 1)

    for item in source:
        if len(buf) < size:
            buf.append(item)
            continue
        i = draw(len(buf))
        yield buf[i]
        buf[i] = item
    while buf:
        i = draw(len(buf))
        buf[i], buf[-1] = buf[-1], buf[i]
        yield buf.pop()


_END = object()


class PrefetchDataset(_Unary):
    """Elements made ahead on a background thread, up to ``buffer_size`` of them."""

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        n = _int_arg(buffer_size, "buffer_size")
        self._size = 2 if n == AUTOTUNE else max(1, n)

    def _iter(self, env):
        # Not a generator: the producer thread starts when the iterator is initialised (and
        # the first element may be ready by the first get_next), not at the first get_next.
        buf: queue.Queue = queue.Queue(self._size)
        source = self._input._iter(env)
        thread = threading.Thread(
            target=_fill, args=(source, buf, env.stopped), name="tf.data.prefetch", daemon=True
        )
        env.threads.append(thread)
        _share_the_gil_finely()
        thread.start()
        return _drain(buf)


def _drain(buf: queue.Queue):
    while True:
        item = buf.get()
        if item is _END:
            return
        if isinstance(item, _Failure):
            raise item.error
        yield item


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _fill(source, buf: queue.Queue, stopped: threading.Event) -> None:
    """Pulls ``source`` into ``buf`` until it ends, fails, or the iterator is re-made."""
    try:
        for element in source:
            while True:
                if stopped.is_set():
                    return
                try:
                    buf.put(element, timeout=0.1)
                    break
                except queue.Full:
                    continue
        item = _END
    except Exception as e:  # handed to the consumer, which raises it in Session.run
        item = _Failure(e)
    while not stopped.is_set():
        try:
            buf.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
