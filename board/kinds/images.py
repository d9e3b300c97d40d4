"""Images: a reference per image (event file and record offset), its bytes read back from disk
on request so that image data never stays in memory."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import logging
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from board.ingest.records import read_record_at
from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags
from board.store.series import PointSeries
from summaries.proto import event_pb2
from summaries.types import Kind

log = logging.getLogger("board.ingest")


@dataclass(frozen=True)
class ImageRef:
    """Where one image lives on disk: the event record that holds it, read back on request so
    that image bytes never stay in memory."""

    step: int
    wall_time: float
    tag: str
    index: int  # position among the images of this (step, tag) event
    width: int
    height: int
    path: str  # the event file
    offset: int  # byte offset of the record's framing header

    def read(self) -> bytes | None:
        """The encoded PNG/JPEG/GIF bytes, read from the event file now; None when the record
        is gone or no longer holds the image."""
        data = read_record_at(self.path, self.offset)
        return image_from_record(data, self) if data is not None else None


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG from its header; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return 0, 0


def image_from_record(data: bytes, ref: ImageRef) -> bytes | None:
    """The bytes of image `ref` inside the serialized Event `data`."""
    try:
        event = event_pb2.Event.FromString(data)
    except DecodeError:
        log.warning("image record at %s:%d no longer parses", ref.path, ref.offset)
        return None
    for value in event.summary.value:
        if value.tag != ref.tag:
            continue
        if value.HasField("image"):
            return value.image.encoded_image_string if ref.index == 0 else None
        strings = value.tensor.string_val
        if 2 + ref.index < len(strings):
            return strings[2 + ref.index]
    return None


def decode(decoding: Decoding, tag: str, images, origin: Origin) -> None:
    for index, image in enumerate(images):
        w, h = image.width, image.height
        if not (w and h):
            w, h = image_size(image.encoded)
        ref = ImageRef(origin.step, origin.wall_time, tag, index, w, h, origin.path, origin.offset)
        decoding.store.add_point("images", decoding.run, tag, ref)


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated
    from urllib.parse import urlencode

    from fastapi import Query, Request
    from fastapi.responses import Response

    from board.api.responses import (
        IMAGE_RESPONSES,
        INT64_MAX,
        INT64_MIN,
        JSON,
        Run,
        Tag,
        TBRun,
        TensorBoardJSON,
        image_response,
        not_found,
        store_of,
    )

    def refs_of(request: Request, run: str, tag: str, what: str) -> list[ImageRef]:
        refs = store_of(request).images(run, tag)
        if refs is None:
            raise not_found(what, run, tag)
        return refs

    @api.get("/images")
    def images(request: Request, run: Run, tag: Tag):
        """The images of (run, tag): step, wall time, index within the step, size, and the
        `url` that serves the encoded bytes."""
        out = [
            {
                "step": r.step,
                "wall_time": r.wall_time,
                "index": r.index,
                "width": r.width,
                "height": r.height,
                "url": request.scope.get("root_path", "")
                + "/api/images/data?"
                + urlencode({"run": run, "tag": tag, "step": r.step, "index": r.index}),
            }
            for r in refs_of(request, run, tag, "images")
        ]
        return JSON({"run": run, "tag": tag, "images": out})

    @api.get("/images/data", response_class=Response, responses=IMAGE_RESPONSES)
    def image_data(
        request: Request,
        run: Run,
        tag: Tag,
        step: Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)],
        index: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ):
        """The encoded bytes of one image, read from its event file now."""
        return image_response(
            store_of(request),
            run,
            tag,
            step,
            index,
            "images",
            "index",
            headers={"Cache-Control": "no-cache"},
        )

    @data.get("/plugin/images/tags")
    def image_tags(request: Request):
        """`{run: {tag: {"displayName", "description", "samples"}}}`; `samples` is the most
        images any one step of the tag holds."""
        store = store_of(request)
        out = {}
        for r in store.runs():
            tags = {}
            for t in store.tags(r, "images"):
                refs = store.images(r, t) or []
                samples = max((ref.index + 1 for ref in refs), default=0)
                tags[t] = {"displayName": t, "description": "", "samples": samples}
            out[r] = tags
        return TensorBoardJSON(out)

    @data.get("/plugin/images/images")
    def tb_images(
        request: Request,
        run: TBRun,
        tag: Tag,
        sample: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ):
        """`[{"wall_time", "step", "query"}, ...]` for the `sample`-th image of each step;
        `individualImage?<query>` serves its bytes."""
        return TensorBoardJSON(
            [
                {
                    "wall_time": r.wall_time,
                    "step": r.step,
                    "query": urlencode({"run": run, "tag": tag, "step": r.step, "sample": r.index}),
                }
                for r in refs_of(request, run, tag, "image data")
                if r.index == sample
            ]
        )

    @data.get("/plugin/images/individualImage", response_class=Response, responses=IMAGE_RESPONSES)
    def individual_image(
        request: Request,
        run: TBRun,
        tag: Tag,
        step: Annotated[int, Query(ge=-INT64_MAX, le=INT64_MAX)],
        sample: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ):
        """The bytes of one image (the `query` from `images`)."""
        return image_response(store_of(request), run, tag, step, sample, "image data", "sample")


KIND = SummaryKind(
    name="images",
    decodes=(Kind.IMAGE,),
    decode=decode,
    series=PointSeries,
    plugins=(Plugin("images", "tf-image-dashboard", has_tags("images")),),
    routes=routes,
)
