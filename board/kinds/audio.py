"""Audio (TensorBoard's `audio` plugin; legacy `Summary.Audio` and TF2 `[k, 2]` string
tensors of (encoded clip, label)): a reference per clip (event file and record offset), the
encoded bytes read back from disk on request, as images are, so clips never stay in memory."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import logging
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from board.ingest.records import read_record_at
from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags
from board.store.series import PointSeries
from summaries.normalize import tensor_to_numpy
from summaries.proto import event_pb2
from summaries.types import Kind

log = logging.getLogger("board.ingest")

WAV = "audio/wav"
SERVED_TYPES = frozenset({WAV, "application/octet-stream"})  # TensorBoard's allowed MIME types


@dataclass(frozen=True)
class AudioRef:
    """Where one clip lives on disk (the event record that holds it) and what it is."""

    step: int
    wall_time: float
    tag: str
    index: int  # position among the clips of this (step, tag) event
    sample_rate: float
    num_channels: int
    length_frames: int
    content_type: str
    label: str
    display_name: str  # of the tag, as TensorBoard lists it
    path: str  # the event file
    offset: int  # byte offset of the record's framing header

    @property
    def duration(self) -> float | None:
        """Seconds, when the sample rate and frame count are known."""
        if self.sample_rate > 0 and self.length_frames > 0:
            return self.length_frames / self.sample_rate
        return None

    def read(self) -> bytes | None:
        """The encoded clip, read from the event file now; None when the record is gone or no
        longer holds it."""
        data = read_record_at(self.path, self.offset)
        return clip_from_record(data, self) if data is not None else None


def clip_from_record(data: bytes, ref: AudioRef) -> bytes | None:
    """The bytes of clip `ref` inside the serialized Event `data`."""
    try:
        event = event_pb2.Event.FromString(data)
    except DecodeError:
        log.warning("audio record at %s:%d no longer parses", ref.path, ref.offset)
        return None
    for value in event.summary.value:
        if value.tag != ref.tag:
            continue
        if value.HasField("audio"):
            return bytes(value.audio.encoded_audio_string) if ref.index == 0 else None
        try:
            array = tensor_to_numpy(value.tensor)
        except ValueError:
            return None
        rows = array.reshape(-1, array.shape[-1]) if array.ndim >= 2 else array.reshape(-1, 1)
        return bytes(rows[ref.index, 0]) if ref.index < len(rows) else None
    return None


def decode(decoding: Decoding, tag: str, clips, origin: Origin) -> None:
    metadata = decoding.known_metadata.get(tag)
    # TensorBoard names a legacy `Summary.Audio` tag by its tag, a tensor one by its metadata.
    display = metadata.display_name if metadata is not None else tag
    for index, clip in enumerate(clips):
        ref = AudioRef(
            origin.step,
            origin.wall_time,
            tag,
            index,
            float(clip.sample_rate),
            int(clip.num_channels),
            int(clip.length_frames),
            clip.content_type or WAV,
            clip.label,
            display,
            origin.path,
            origin.offset,
        )
        decoding.store.add_point("audio", decoding.run, tag, ref)


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated
    from urllib.parse import urlencode

    from fastapi import HTTPException, Query, Request
    from fastapi.responses import Response

    from board.api.responses import (
        INT64_MAX,
        INT64_MIN,
        JSON,
        Run,
        Tag,
        TBRun,
        TensorBoardJSON,
        not_found,
        store_of,
    )

    responses = {200: {"content": {WAV: {}, "application/octet-stream": {}}}}
    Index = Annotated[int, Query(ge=0, le=1_000_000)]
    StepQ = Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)]

    def refs_of(request: Request, run: str, tag: str, what: str) -> list[AudioRef]:
        refs = store_of(request).read("audio", run, tag)
        if refs is None:
            raise not_found(what, run, tag)
        return refs

    def clip_response(request, run, tag, step, index, content_type=None) -> Response:
        matches = [
            r for r in refs_of(request, run, tag, "audio") if r.step == step and r.index == index
        ]
        if not matches:
            raise HTTPException(404, f"no audio clip at step {step}, index {index}")
        data = matches[-1].read()
        if data is None:
            raise HTTPException(410, "the clip's event file changed on disk")
        media = content_type or matches[-1].content_type
        if media not in SERVED_TYPES:
            media = "application/octet-stream"
        return Response(data, media_type=media, headers={"Cache-Control": "no-cache"})

    @api.get("/audio")
    def audio(request: Request, run: Run, tag: Tag):
        """The clips of (run, tag): step, wall time, index within the step, sample rate,
        channels, frames, duration (seconds or null), content type, label, and the `url`
        that serves the encoded bytes."""
        out = [
            {
                "step": r.step,
                "wall_time": r.wall_time,
                "index": r.index,
                "sample_rate": r.sample_rate,
                "num_channels": r.num_channels,
                "length_frames": r.length_frames,
                "duration": r.duration,
                "content_type": r.content_type,
                "label": r.label,
                "url": request.scope.get("root_path", "")
                + "/api/audio/data?"
                + urlencode({"run": run, "tag": tag, "step": r.step, "index": r.index}),
            }
            for r in refs_of(request, run, tag, "audio")
        ]
        return JSON({"run": run, "tag": tag, "clips": out})

    @api.get("/audio/data", response_class=Response, responses=responses)
    def audio_data(request: Request, run: Run, tag: Tag, step: StepQ, index: Index = 0):
        """The encoded bytes of one clip (WAV as `audio/wav`), read from its event file now."""
        return clip_response(request, run, tag, step, index)

    @data.get("/plugin/audio/tags")
    def tb_tags(request: Request):
        """`{run: {tag: {"displayName", "description", "samples"}}}` for every run; `samples` is
        the most clips any one step of the tag holds."""
        store = store_of(request)
        out = {}
        for r in store.runs():
            tags = {}
            for t in store.tags(r, "audio"):
                refs = store.read("audio", r, t) or []
                samples = max((ref.index + 1 for ref in refs), default=0)
                name = refs[-1].display_name if refs else t
                tags[t] = {"displayName": name, "description": "", "samples": samples}
            out[r] = tags
        return TensorBoardJSON(out)

    @data.get("/plugin/audio/audio")
    def tb_audio(request: Request, run: TBRun, tag: Tag, sample: Index = 0):
        """`[{"wall_time", "label", "step", "contentType", "query"}, ...]` for the `sample`-th
        clip of each step; `individualAudio?<query>` serves its bytes. TensorBoard 2.x sends
        an empty label; so do we (our `/api/audio` has the labels)."""
        return TensorBoardJSON(
            [
                {
                    "wall_time": r.wall_time,
                    "label": "",
                    "step": r.step,
                    "contentType": r.content_type,
                    "query": urlencode(
                        {
                            "run": run,
                            "tag": tag,
                            "step": r.step,
                            "sample": r.index,
                            "content_type": r.content_type,
                        }
                    ),
                }
                for r in refs_of(request, run, tag, "audio data")
                if r.index == sample
            ]
        )

    @data.get("/plugin/audio/individualAudio", response_class=Response, responses=responses)
    def individual_audio(
        request: Request,
        run: TBRun,
        tag: Tag,
        step: Annotated[int, Query(ge=-INT64_MAX, le=INT64_MAX)],
        sample: Index = 0,
        content_type: Annotated[str, Query(max_length=100)] = WAV,
    ):
        """The bytes of one clip (the `query` from `audio`), served as `content_type`, which
        must be `audio/wav` or `application/octet-stream` (400 otherwise, as TensorBoard)."""
        if content_type not in SERVED_TYPES:
            raise HTTPException(400, f"Illegal mime type {content_type!r}")
        return clip_response(request, run, tag, step, sample, content_type)


KIND = SummaryKind(
    name="audio",
    decodes=(Kind.AUDIO,),
    decode=decode,
    series=PointSeries,
    plugins=(Plugin("audio", "tf-audio-dashboard", has_tags("audio")),),
    routes=routes,
)
