"""PR curves (TensorBoard's `pr_curves` plugin): per step a `[6, k]` array of true/false
positives, true/false negatives, precision and recall at `k` thresholds evenly spaced on [0, 1],
kept whole in memory as float64 numpy (6 · k · 8 bytes a step)."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

from dataclasses import dataclass

import numpy as np

from board.kinds.base import Decoding, Origin, Plugin, SummaryKind, has_tags
from board.store.series import PointSeries
from summaries.types import Kind

TP, FP, TN, FN, PRECISION, RECALL = range(6)  # rows of the tensor, as the plugin writes them
_EMPTY = np.zeros((6, 1))


@dataclass(frozen=True)
class PrCurvePoint:
    step: int
    wall_time: float
    values: np.ndarray  # float64 [6, num_thresholds], read-only
    display_name: str = ""  # from the metadata the tag was first written with
    description: str = ""

    @property
    def num_thresholds(self) -> int:
        return int(self.values.shape[1])

    def shown(self) -> int:
        """How many thresholds are shown: TensorBoard drops the trailing ones where TP + FP is
        0 (precision undefined), keeping at least one."""
        positives = self.values[TP].astype(np.int64) + self.values[FP].astype(np.int64)
        nonzero = np.flatnonzero(positives)
        return int(nonzero[-1]) + 1 if nonzero.size else 1

    def thresholds(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, self.num_thresholds)


def display_name(decoding: Decoding, tag: str) -> tuple[str, str]:
    """(display name, description) from the metadata the tag was first written with."""
    metadata = decoding.known_metadata.get(tag)
    if metadata is None:
        return "", ""
    return metadata.display_name, metadata.summary_description


def decode(decoding: Decoding, tag: str, array, origin: Origin) -> None:
    values = np.asarray(array, np.float64)
    values.flags.writeable = False
    name, description = display_name(decoding, tag)
    point = PrCurvePoint(origin.step, origin.wall_time, values, name, description)
    decoding.store.add_point("pr_curves", decoding.run, tag, point)


def entry(point: PrCurvePoint) -> dict:
    """One step in TensorBoard's shape: counts as ints, thresholds up to the last one with a
    defined precision."""
    end = point.shown()
    v = point.values
    return {
        "wall_time": point.wall_time,
        "step": point.step,
        "precision": v[PRECISION, :end].tolist(),
        "recall": v[RECALL, :end].tolist(),
        "true_positives": v[TP, :end].astype(np.int64).tolist(),
        "false_positives": v[FP, :end].astype(np.int64).tolist(),
        "true_negatives": v[TN, :end].astype(np.int64).tolist(),
        "false_negatives": v[FN, :end].astype(np.int64).tolist(),
        "thresholds": point.thresholds()[:end].tolist(),
    }


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from typing import Annotated

    from fastapi import HTTPException, Query, Request

    from board.api.responses import JSON, Run, Tag, TensorBoardJSON, not_found, store_of

    @api.get("/pr_curves")
    def pr_curves(request: Request, run: Run, tag: Tag):
        """The PR curves of (run, tag), one entry per step in step order: `step`, `wall_time`,
        `num_thresholds` and, for the thresholds up to the last one where precision is defined,
        `thresholds`, `precision`, `recall` and the four counts (TensorBoard's fields)."""
        points = store_of(request).read("pr_curves", run, tag)
        if points is None:
            raise not_found("PR curves", run, tag)
        steps = [{**entry(p), "num_thresholds": p.num_thresholds} for p in points]
        return JSON({"run": run, "tag": tag, "steps": steps})

    @data.get("/plugin/pr_curves/tags")
    def tb_tags(request: Request):
        """`{run: {tag: {"displayName", "description"}}}` for every run (empty for runs without
        PR curves); the names are the ones the tag's metadata carries."""
        from board.api.markdown import markdown_to_safe_html  # markdown-it: only when asked

        store = store_of(request)
        out = {}
        for r in store.runs():
            tags = {}
            for t in store.tags(r, "pr_curves"):
                last = (store.read("pr_curves", r, t) or [PrCurvePoint(0, 0.0, _EMPTY)])[-1]
                html = markdown_to_safe_html(last.description).rstrip("\n")
                tags[t] = {"displayName": last.display_name, "description": html}
            out[r] = tags
        return TensorBoardJSON(out)

    @data.get("/plugin/pr_curves/pr_curves")
    def tb_pr_curves(
        request: Request,
        tag: Tag,
        run: Annotated[list[str], Query(description="Run names (repeat the parameter).")],
    ):
        """`{run: [{"wall_time", "step", "precision", "recall", "true_positives",
        "false_positives", "true_negatives", "false_negatives", "thresholds"}, ...]}` for each
        requested run; 400 when a run has no such tag (as TensorBoard answers)."""
        store = store_of(request)
        out = {}
        for r in run:
            points = store.read("pr_curves", r, tag)
            if points is None:
                raise HTTPException(
                    400, f"No PR curves could be found for run {r!r} and tag {tag!r}"
                )
            out[r] = [entry(p) for p in points]
        return TensorBoardJSON(out)


KIND = SummaryKind(
    name="pr_curves",
    decodes=(Kind.PR_CURVE,),
    decode=decode,
    series=PointSeries,
    plugins=(
        Plugin("pr_curves", "tf-pr-curve-dashboard", has_tags("pr_curves"), tab_name="PR Curves"),
    ),
    routes=routes,
)
