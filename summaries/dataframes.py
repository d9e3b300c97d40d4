"""A logdir as pandas DataFrames, in tbparse's shapes: ``SummaryReader(log_path).scalars``.

``SummaryReader(log_path, pivot=False, extra_columns=None, event_types=None)`` reads every event
file under ``log_path`` (a file or a directory, walked recursively) and offers one DataFrame per
kind of event, with the columns tbparse gives:

==============  ===================================================  ==========================
property        rows come from                                       columns (long form)
==============  ===================================================  ==========================
``scalars``     legacy ``simple_value``                              step, tag, value
``tensors``     tensors of any plugin but text and hparams (TF2      step, tag, value (a float
                scalars, histograms, images... as written)           for one number, else array)
``histograms``  legacy ``histo``                                     step, tag, counts, limits
``images``      legacy ``image``, decoded to ``uint8`` [H, W, C]     step, tag, value
``audio``       legacy ``audio``, decoded to ``float32`` [frames,    step, tag, value
                channels] in [-1, 1)
``text``        ``text``-plugin tensors (a ``str``, or an array of   step, tag, value
                ``str`` for a text tensor of several strings;
                torch's ``<tag>/text_summary`` tags as ``<tag>``)
``hparams``     hparams-plugin session starts                        tag, value
==============  ===================================================  ==========================

``extra_columns`` adds ``wall_time`` (not to ``hparams``), ``dir_name`` (the file's folder
relative to ``log_path``, ``""`` for ``log_path`` itself), ``file_name`` and the kind's own
fields (``min``, ``max``, ``num``, ``sum``, ``sum_squares`` for histograms; ``width``,
``height`` for images; ``content_type``, ``length_frames``, ``sample_rate`` for audio). Rows
are sorted by
(``dir_name``, ``file_name`` when requested, then ``tag``, ``step``), ties in file order.
``pivot=True`` gives one row per step (and folder / file when requested) and one column per
tag (``tag/field`` for several fields); a cell holding several values holds their list.
``event_types`` limits reading to some of the properties above.

Scalars come from the native record scanner (``summaries.reader.read_scalars``), which decodes
them straight into numpy columns; only the other records go through protobuf. pandas is an
optional dependency (``pip install flowboard[pandas]``), imported when a frame is built.
"""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Iterable

import numpy as np

from summaries.normalize import tensor_to_numpy
from summaries.proto import hparams_plugin_data_pb2
from summaries.reader import is_event_file, read_scalars

EVENT_TYPES = ("scalars", "tensors", "histograms", "images", "audio", "hparams", "text")
_KIND_COLUMNS = {
    "histograms": ("max", "min", "num", "sum", "sum_squares"),
    "images": ("height", "width"),
    "audio": ("content_type", "length_frames", "sample_rate"),
}
_COMMON_COLUMNS = ("wall_time", "dir_name", "file_name")
EXTRA_COLUMNS = frozenset(_COMMON_COLUMNS).union(*_KIND_COLUMNS.values())


def _pandas():
    try:
        import pandas  # optional extra: only readers of DataFrames need it
    except ImportError as error:
        raise ImportError(
            "summaries.SummaryReader needs pandas: pip install 'flowboard[pandas]'"
        ) from error
    return pandas


class SummaryReader:
    """tbparse's ``SummaryReader`` over our reader: see the module docstring for the frames."""

    def __init__(
        self,
        log_path: str | os.PathLike,
        *,
        pivot: bool = False,
        extra_columns: Iterable[str] | None = None,
        event_types: Iterable[str] | None = None,
    ):
        self.log_path = os.fspath(log_path)
        self.pivot = bool(pivot)
        self.extra_columns = frozenset(extra_columns or ())
        self.event_types = frozenset(EVENT_TYPES if event_types is None else event_types)
        bad_columns = self.extra_columns - EXTRA_COLUMNS
        if bad_columns:
            raise KeyError(f"Invalid columns entries: {set(bad_columns)}")
        bad_types = self.event_types - set(EVENT_TYPES)
        if bad_types:
            raise KeyError(f"Invalid event types: {set(bad_types)}")
        if not os.path.exists(self.log_path):
            raise ValueError(f"File or directory not found: {self.log_path}")
        self._frames: dict[str, object] | None = None

    def __repr__(self) -> str:
        return f"SummaryReader(log_path={self.log_path!r})"

    @property
    def children(self) -> dict[str, SummaryReader]:
        """A reader for each sub-folder of ``log_path``, with the same options."""
        if not os.path.isdir(self.log_path):
            return {}
        return {
            name: SummaryReader(
                os.path.join(self.log_path, name),
                pivot=self.pivot,
                extra_columns=self.extra_columns,
                event_types=self.event_types,
            )
            for name in sorted(os.listdir(self.log_path))
            if os.path.isdir(os.path.join(self.log_path, name))
        }

    def get_events(self, event_type: str):
        """The DataFrame of one event type (one of ``EVENT_TYPES``)."""
        if event_type not in EVENT_TYPES:
            raise KeyError(f"Invalid event types: {{{event_type!r}}}")
        if self._frames is None:
            self._frames = _build_frames(self)
        return self._frames[event_type]

    @property
    def scalars(self):
        return self.get_events("scalars")

    @property
    def tensors(self):
        return self.get_events("tensors")

    @property
    def histograms(self):
        return self.get_events("histograms")

    @property
    def images(self):
        return self.get_events("images")

    @property
    def audio(self):
        return self.get_events("audio")

    @property
    def hparams(self):
        return self.get_events("hparams")

    @property
    def text(self):
        return self.get_events("text")


def event_file_paths(log_path: str) -> list[tuple[str, str, str]]:
    """``(path, dir_name, file_name)`` of every event file under ``log_path``, sorted by
    folder then name (a name starts with its creation time)."""
    if os.path.isfile(log_path):
        return [(log_path, "", os.path.basename(log_path))]
    found = []
    for folder, dirs, files in os.walk(log_path):
        dirs.sort()
        rel = os.path.relpath(folder, log_path)
        rel = "" if rel == "." else rel.replace(os.sep, "/")
        for name in sorted(files):
            if is_event_file(name):
                found.append((os.path.join(folder, name), rel, name))
    found.sort(key=lambda item: (item[1], item[2]))
    return found


class _Rows:
    """Rows of one event type: numpy column chunks of one tag each (scalars from the native
    scanner) and dicts (everything else). ``file`` is the file's index in sorted order."""

    def __init__(self):
        self.chunks: list[tuple[str, int, dict[str, np.ndarray]]] = []  # (tag, file, columns)
        self.records: list[dict] = []


def _build_frames(reader: SummaryReader) -> dict:
    rows = {kind: _Rows() for kind in EVENT_TYPES}
    wanted = reader.event_types
    files = event_file_paths(reader.log_path)
    for file_index, (path, _, _) in enumerate(files):
        _read_file(path, file_index, wanted, rows)
    pd = _pandas()
    return {
        kind: (_frame(pd, kind, rows[kind], files, reader) if kind in wanted else pd.DataFrame())
        for kind in EVENT_TYPES
    }


def _read_file(path: str, file_index: int, wanted: frozenset, rows: dict) -> None:
    batch = read_scalars(path)
    for tag, columns in batch.scalars.items():
        # The scanner decodes TF2 scalar tensors too; tbparse lists those under tensors.
        kind = "tensors" if batch.plugins.get(tag) == "scalars" else "scalars"
        if kind in wanted and len(columns):
            arrays = {"step": columns.step, "value": columns.value, "wall_time": columns.wall_time}
            rows[kind].chunks.append((tag, file_index, arrays))
    if not wanted - {"scalars"}:
        return
    plugins: dict[str, str] = dict(batch.plugins)
    for _, event in batch.other_events():
        if event.WhichOneof("what") != "summary":
            continue
        for value in event.summary.value:
            if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
                plugins[value.tag] = value.metadata.plugin_data.plugin_name
            kind, fields = _decode_value(value, plugins.get(value.tag, ""), wanted)
            for item in fields:
                item["file"] = file_index
                item.setdefault("step", event.step)
                item["wall_time"] = event.wall_time
                rows[kind].records.append(item)


def _decode_value(value, plugin: str, wanted: frozenset) -> tuple[str | None, list[dict]]:
    """The event type of one ``Summary.Value`` and its rows (empty when not wanted)."""
    which = value.WhichOneof("value")
    kind = _kind_of(which, plugin)
    if kind is None or kind not in wanted:
        return None, []
    tag = value.tag
    if kind == "scalars":
        return kind, [{"tag": tag, "value": float(value.simple_value)}]
    if kind == "histograms":
        h = value.histo
        return kind, [
            {
                "tag": tag,
                "counts": np.asarray(h.bucket, np.float64),
                "limits": np.asarray(h.bucket_limit, np.float64),
                "max": h.max,
                "min": h.min,
                "num": h.num,
                "sum": h.sum,
                "sum_squares": h.sum_squares,
            }
        ]
    if kind == "images":
        img = value.image
        return kind, [
            {
                "tag": tag,
                "value": _decode_image(bytes(img.encoded_image_string)),
                "height": img.height,
                "width": img.width,
            }
        ]
    if kind == "audio":
        a = value.audio
        return kind, [
            {
                "tag": tag,
                "value": _decode_wav(bytes(a.encoded_audio_string)),
                "content_type": a.content_type,
                "length_frames": a.length_frames,
                "sample_rate": a.sample_rate,
            }
        ]
    if kind == "hparams":
        return kind, _hparams_rows(value)
    try:
        array = tensor_to_numpy(value.tensor)
    except ValueError:
        return None, []  # a tensor whose content disagrees with its shape: skipped
    if kind == "text":
        # torch and tensorboardX name text tags "<tag>/text_summary"; tbparse shows "<tag>".
        tag = tag.removesuffix("/text_summary")
        return kind, [{"tag": tag, "value": _text_value(array)}]
    one_number = array.ndim == 0 and array.dtype != object
    return kind, [{"tag": tag, "value": array.item() if one_number else array}]


def _kind_of(which: str | None, plugin: str) -> str | None:
    if plugin == "hparams":
        return "hparams"
    if which == "simple_value":
        return "scalars"
    if which == "histo":
        return "histograms"
    if which == "image":
        return "images"
    if which == "audio":
        return "audio"
    if which == "tensor":
        return "text" if plugin == "text" else "tensors"
    return None


def _hparams_rows(value) -> list[dict]:
    data = hparams_plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
    if data.WhichOneof("data") != "session_start_info":
        return []
    out = []
    for name, hp in sorted(data.session_start_info.hparams.items()):
        which = hp.WhichOneof("kind")
        out.append({"tag": name, "value": getattr(hp, which) if which else None, "step": 0})
    return out


def _text_value(array: np.ndarray):
    decoded = [b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b) for b in array.flat]
    if array.size == 1:
        return decoded[0]
    return np.array(decoded, dtype=object).reshape(array.shape)


def _decode_image(encoded: bytes) -> np.ndarray | None:
    from PIL import Image, UnidentifiedImageError  # Pillow: only image rows need it

    try:
        with Image.open(io.BytesIO(encoded)) as img:
            if img.mode == "P":  # palette PNGs decode to their colours, as TensorFlow's do
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            array = np.asarray(img)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return array if array.ndim == 3 else array[:, :, None]


def _decode_wav(encoded: bytes) -> np.ndarray | None:
    """PCM WAV as float32 [frames, channels]: n-bit samples over 2**(n-1) (8-bit is offset)."""
    try:
        with wave.open(io.BytesIO(encoded)) as w:
            width, channels = w.getsampwidth(), w.getnchannels()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        return None
    if width == 1:
        samples = (np.frombuffer(frames, np.uint8).astype(np.float32) - 128) / 128
    elif width in (2, 4):
        raw = np.frombuffer(frames, np.int16 if width == 2 else np.int32)
        samples = raw.astype(np.float32) / float(1 << (8 * width - 1))
    else:
        return None
    return samples.reshape(-1, channels)


def _object_array(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # element by element: arrays stay elements
        out[i] = v
    return out


def _columns(rows: _Rows, fields: list[str]) -> dict[str, np.ndarray]:
    """Every row's ``tag``, ``file``, ``step``, ``wall_time`` and ``fields`` as flat arrays,
    chunks first, then records."""
    parts: list[dict[str, np.ndarray]] = []
    for tag, file_index, arrays in rows.chunks:
        n = len(arrays["step"])
        part = dict(arrays)
        part["tag"] = np.full(n, tag, dtype=object)
        part["file"] = np.full(n, file_index, dtype=np.int64)
        parts.append(part)
    if rows.records:
        recs = rows.records
        part = {
            "tag": _object_array([r["tag"] for r in recs]),
            "file": np.array([r["file"] for r in recs], dtype=np.int64),
            "step": np.array([r["step"] for r in recs], dtype=np.int64),
            "wall_time": np.array([r["wall_time"] for r in recs], dtype=np.float64),
        }
        for name in fields:
            part[name] = _object_array([r.get(name) for r in recs])
        parts.append(part)
    names = ["tag", "file", "step", "wall_time", *fields]
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


def _frame(pd, kind: str, rows: _Rows, files: list, reader: SummaryReader):
    if not rows.chunks and not rows.records:
        return pd.DataFrame()
    extras = reader.extra_columns
    value_columns = ["counts", "limits"] if kind == "histograms" else ["value"]
    kind_extras = [c for c in _KIND_COLUMNS.get(kind, ()) if c in extras]
    common = [c for c in _COMMON_COLUMNS if c in extras and (kind, c) != ("hparams", "wall_time")]
    cols = _columns(rows, value_columns + kind_extras)
    # Sort keys as integer codes (stable: ties keep file order): folder, file, tag, step.
    tags = sorted({t for t, _, _ in rows.chunks} | {r["tag"] for r in rows.records})
    tag_code = {t: i for i, t in enumerate(tags)}
    chunk_codes = [np.full(len(a["step"]), tag_code[t]) for t, _, a in rows.chunks]
    record_codes = [np.array([tag_code[r["tag"]] for r in rows.records], dtype=np.int64)]
    codes = np.concatenate(chunk_codes + record_codes)
    dirs = sorted({d for _, d, _ in files})
    dir_of_file = np.array([dirs.index(d) for _, d, _ in files] or [0], dtype=np.int64)
    keys = [codes] if kind == "hparams" else [cols["step"], codes]
    if "file_name" in extras:
        keys.append(cols["file"])
    if "dir_name" in extras:
        keys.append(dir_of_file[cols["file"]])
    order = np.lexsort(keys)
    lead = [] if kind == "hparams" else ["step"]
    data = {name: cols[name][order] for name in [*lead, "tag", *value_columns, *kind_extras]}
    if "wall_time" in common:
        data["wall_time"] = cols["wall_time"][order]
    if "dir_name" in common:
        data["dir_name"] = np.array([d for _, d, _ in files], dtype=object)[cols["file"][order]]
    if "file_name" in common:
        data["file_name"] = np.array([n for _, _, n in files], dtype=object)[cols["file"][order]]
    df = pd.DataFrame(data).infer_objects()
    if reader.pivot:
        index = lead + [c for c in ("dir_name", "file_name") if c in extras]
        df = _pivot(pd, df, index, value_columns + kind_extras, "wall_time" in common)
    return df


def _pivot(pd, df, index: list[str], fields: list[str], wall_time: bool):
    """One row per index key, one column per tag (``tag/field`` when a kind has several
    fields); cells with several values hold their list, missing ones NaN."""
    groups: dict[tuple, dict[str, object]] = {}
    tags_seen: dict[str, None] = {}
    for row in df.itertuples(index=False):
        key = tuple(getattr(row, c) for c in index)
        cells = groups.setdefault(key, {})
        tags_seen.setdefault(row.tag, None)
        for field in fields:
            name = row.tag if len(fields) == 1 else f"{row.tag}/{field}"
            cells.setdefault(name, []).append(getattr(row, field))
        if wall_time:
            cells.setdefault("wall_time", []).append(row.wall_time)
    names = [
        tag if len(fields) == 1 else f"{tag}/{field}"
        for tag in sorted(tags_seen)
        for field in fields
    ]
    out = []
    for key, cells in groups.items():
        record = dict(zip(index, key, strict=True))
        for name in names + (["wall_time"] if wall_time else []):
            values = cells.get(name)
            record[name] = np.nan if values is None else values[0] if len(values) == 1 else values
        out.append(record)
    columns = index[:1] + names + (["wall_time"] if wall_time else []) + index[1:]
    result = pd.DataFrame.from_records(out, columns=columns)
    return result.sort_values(index[1:] + index[:1], kind="stable", ignore_index=True)
