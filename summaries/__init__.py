"""TensorBoard's event-file format: protos, record framing, encoders, writers and readers.

Public API: ``SummaryWriter`` (torch.utils.tensorboard's API), ``FileWriter`` (TF1 style),
``EventFileReader`` (protobuf reference reader), ``read_scalars`` (native fast path),
``iter_run_events``, ``SummaryReader`` (a logdir as tbparse-style pandas DataFrames); the
generated protos live in ``summaries.proto``, the encoders in ``summaries.encode`` and the
normalization of peer-written values in ``summaries.normalize``.
"""

from summaries import proto
from summaries.dataframes import SummaryReader
from summaries.reader import EventFileReader, iter_run_events, read_scalars
from summaries.summary_writer import SummaryWriter
from summaries.writer import FileWriter

__all__ = [
    "EventFileReader",
    "FileWriter",
    "SummaryReader",
    "SummaryWriter",
    "iter_run_events",
    "proto",
    "read_scalars",
]
