"""Reading one TFRecord-framed event record back from disk by its offset (image bytes are
fetched this way on request instead of being kept in memory)."""

from __future__ import annotations

import logging

from summaries.records import FOOTER_SIZE, HEADER_SIZE, RecordError, check_data, parse_header

log = logging.getLogger("board.store")

MAX_RECORD = 1 << 30  # refuse absurd lengths from a file rewritten under us


def read_record_at(path: str, offset: int) -> bytes | None:
    """The data bytes of the record whose header starts at `offset` in `path`, CRCs checked;
    None when the file no longer holds an intact record there (deleted, truncated, rewritten)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            header = f.read(HEADER_SIZE)
            if len(header) != HEADER_SIZE:
                return None
            length = parse_header(header, offset)
            if length > MAX_RECORD:
                return None
            data = f.read(length)
            footer = f.read(FOOTER_SIZE)
        if len(data) != length or len(footer) != FOOTER_SIZE:
            return None
        check_data(data, footer, offset)
    except (OSError, RecordError) as err:
        log.warning("cannot read the record at %s:%d: %s", path, offset, err)
        return None
    return data
