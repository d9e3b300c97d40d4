"""Ingest: find the runs under the logdirs, read their event files as they grow, and decode
each record into store writes.

`discovery` names runs, `ingestor` tails their files (`Ingestor`), `records` reads one framed
record back by offset, `decode` turns a run's `Event` protos into `board.store.Store` writes.
"""

from board.ingest.decode import RunDecoder
from board.ingest.discovery import Root, discover, parse_logdir_spec
from board.ingest.ingestor import Ingestor
from board.ingest.records import read_record_at

__all__ = ["Ingestor", "Root", "RunDecoder", "discover", "parse_logdir_spec", "read_record_at"]
