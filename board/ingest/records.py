"""Reading one TFRecord-framed event record back from disk by its offset (image bytes are
fetched this way on request instead of being kept in memory)."""

from __future__ import annotations

import logging

from board.ingest import fs
from summaries.records import FOOTER_SIZE, HEADER_SIZE, RecordError, check_data, parse_header

log = logging.getLogger("board.store")

MAX_RECORD = 1 << 30  # refuse absurd lengths from a file rewritten under us


def read_record_at(path: str, offset: int) -> bytes | None:
    """The data bytes of the record whose header starts at `offset` in `path` (a local path or
    an fsspec URL: two ranged reads), CRCs checked;
    None when the file no longer holds an intact record there (deleted, truncated, rewritten)."""
    try:
        header = fs.read_range(path, offset, HEADER_SIZE)
        if len(header) != HEADER_SIZE:
            return None
        length = parse_header(header, offset)
        if length > MAX_RECORD:
            return None
        rest = fs.read_range(path, offset + HEADER_SIZE, length + FOOTER_SIZE)
        data, footer = rest[:length], rest[length:]
        if len(data) != length or len(footer) != FOOTER_SIZE:
            return None
        check_data(data, footer, offset)
    except (OSError, RecordError) as err:
        log.warning("cannot read the record at %s:%d: %s", path, offset, err)
        return None
    return data
