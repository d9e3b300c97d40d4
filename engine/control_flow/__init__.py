"""Control flow: ``cond``, ``case``, ``while_loop`` (functional ``If``/``While`` ops whose
bodies run as their own cached native plans), ``map_fn``/``foldl``/``foldr``/``scan`` on top
of ``while_loop``, with gradients. ``TensorArray`` is in ``engine.tensor_array``."""

from .cond import case, cond
from .functional import foldl, foldr, map_fn, scan
from .while_loop import while_loop

__all__ = ["case", "cond", "foldl", "foldr", "map_fn", "scan", "while_loop"]
