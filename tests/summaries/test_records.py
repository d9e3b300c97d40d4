"""CRC32C and TFRecord framing."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from summaries import _records, records

pytestmark = pytest.mark.native


def reference_crc32c(data: bytes) -> int:
    """Bit-at-a-time CRC32C, the definition the fast paths must match."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_crc32c_check_value():
    # The standard check value of CRC-32C ("123456789") and the iSCSI test vectors.
    assert records.crc32c(b"123456789") == 0xE3069283
    assert records.crc32c(bytes(32)) == 0x8A9136AA
    assert records.crc32c(b"\xff" * 32) == 0x62A8AB43
    assert records.crc32c(bytes(range(32))) == 0x46DD794E


@given(st.binary(max_size=300), st.integers(0, 7))
def test_hardware_and_software_paths_match_the_definition(data, skip):
    data = data[skip:]  # vary alignment
    expected = reference_crc32c(data)
    assert _records.crc32c(data) == expected
    assert _records.crc32c_software(data) == expected


@given(st.binary(max_size=200), st.binary(max_size=200))
def test_crc_continues_across_chunks(a, b):
    assert _records.crc32c(b, _records.crc32c(a)) == _records.crc32c(a + b)
    assert _records.crc32c_software(b, _records.crc32c_software(a)) == _records.crc32c(a + b)


def test_mask_formula():
    crc = records.crc32c(b"abc")
    expected = ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
    assert records.mask_crc(crc) == expected
    assert records.masked_crc32c(b"abc") == expected


@given(st.binary(max_size=500))
def test_frame_layout(data):
    framed = records.frame(data)
    assert len(framed) == 12 + len(data) + 4
    length, length_crc = struct.unpack("<QI", framed[:12])
    assert length == len(data)
    assert length_crc == records.masked_crc32c(framed[:8])
    assert framed[12 : 12 + len(data)] == data
    assert struct.unpack("<I", framed[-4:])[0] == records.masked_crc32c(data)
    assert records.parse_header(framed[:12]) == len(data)
    records.check_data(data, framed[-4:])


def test_write_record_and_damage_detection():
    f = io.BytesIO()
    records.write_record(f, b"payload")
    framed = f.getvalue()
    with pytest.raises(records.RecordError, match="header CRC mismatch at byte offset 40"):
        records.parse_header(b"\x01" + framed[1:12], offset=40)
    with pytest.raises(records.RecordError, match="data CRC"):
        records.check_data(b"payloaX", framed[-4:])
