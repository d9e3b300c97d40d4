"""Decoding the hparams plugin's summaries (`HParamsPluginData`) into plain JSON-ready dicts."""

from __future__ import annotations

import logging

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from summaries.proto import hparams_plugin_data_pb2

log = logging.getLogger("board.ingest")


def _value(v) -> object:
    which = v.WhichOneof("kind")
    if which == "number_value":
        return v.number_value
    if which == "string_value":
        return v.string_value
    if which == "bool_value":
        return v.bool_value
    if which == "null_value" or which is None:
        return None
    return json_format.MessageToDict(v)


def parse_hparams(content: bytes) -> tuple[str, dict[str, object]] | None:
    """`("session_start", {hparam: value})`, `("experiment", config)` or
    `("session_end", {...})` for one hparams summary's plugin content; None if unreadable."""
    data = hparams_plugin_data_pb2.HParamsPluginData()
    try:
        data.ParseFromString(content)
    except DecodeError as err:
        log.warning("unreadable hparams plugin data: %s", err)
        return None
    which = data.WhichOneof("data")
    if which == "session_start_info":
        return "session_start", {k: _value(v) for k, v in data.session_start_info.hparams.items()}
    if which == "experiment":
        return "experiment", json_format.MessageToDict(data.experiment)
    if which == "session_end_info":
        return "session_end", json_format.MessageToDict(data.session_end_info)
    return None
