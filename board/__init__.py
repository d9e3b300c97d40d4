"""Flowboard's dashboard: ingest event files into an all-points store and serve them over HTTP.

`board --logdir DIR` (or `python -m board`) runs it; `create_app` builds the FastAPI app for a
`Store` that an `Ingestor` fills.
"""

from board.api import create_app
from board.ingest import Ingestor, parse_logdir_spec
from board.store import Store
from board.types import StoreReader

__all__ = ["Ingestor", "Store", "StoreReader", "create_app", "parse_logdir_spec"]
