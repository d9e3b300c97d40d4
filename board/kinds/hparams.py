"""Hyperparameters: each run's values (the hparams plugin's `session_start_info`) and the
experiment's config (domains and metrics), kept per run by the store, shown by the run
comparison table with every run's metric summaries."""

# No `from __future__ import annotations`: FastAPI resolves the routes' parameter types, which
# are imported inside `routes`, from the annotations themselves.

import numpy as np
from google.protobuf import json_format

from board.kinds.base import Decoding, Origin, SummaryKind
from summaries.types import Kind

# Experiment config -> its dict, for the last few distinct configs. Writers such as
# `add_hparams` put the same experiment into every run: converting it anew for each of 10,000
# runs was a quarter of their first load.
_CONFIGS: dict[bytes, dict] = {}
_MAX_CONFIGS = 16


def _experiment_config(experiment) -> dict:
    key = experiment.SerializeToString(deterministic=True)
    config = _CONFIGS.get(key)
    if config is None:
        if len(_CONFIGS) >= _MAX_CONFIGS:
            _CONFIGS.clear()
        config = _CONFIGS[key] = json_format.MessageToDict(experiment)
    return config


def decode(decoding: Decoding, tag: str, data, origin: Origin) -> None:
    if data.which == "session_start_info":
        decoding.store.set_hparams(decoding.run, dict(data.hparams), origin.wall_time)
    elif data.which == "experiment":
        config = _experiment_config(data.plugin_data.experiment)
        if decoding.store.hparams_config() is not config:  # the same config again: no news
            decoding.store.set_hparams_config(config)


def metric_summaries(store, run: str) -> dict[str, dict]:
    """Per scalar tag of `run`: its last value and step, and its finite min and max."""
    metrics = {}
    for tag in store.tags(run, "scalars"):
        cols = store.scalars(run, tag)
        if cols is None or not len(cols):
            continue
        finite = cols.value[np.isfinite(cols.value)]
        metrics[tag] = {
            "last": float(cols.value[-1]),
            "step": int(cols.step[-1]),
            "min": float(finite.min()) if len(finite) else None,
            "max": float(finite.max()) if len(finite) else None,
        }
    return metrics


def routes(api, data) -> None:
    # The web stack is imported here, not at the top: the store imports this module before
    # FastAPI is loaded.
    from fastapi import Request, Response

    from board.api.encoders import dumps
    from board.api.responses import store_of

    @api.get("/hparams")
    def hparams(request: Request):
        """For the comparison table: every run's hparams and, per scalar tag, its last, min
        and max value (`metrics[tag] = {"last", "min", "max", "step"}`), and the experiment's
        hparams config if any. As in TensorBoard, a session's metric values are read from
        `<run>/<group>` for each metric's group (torch-style `add_hparams` writes them to a
        child run): they appear in the session's row, and `folded_runs` names those child
        runs, which the table leaves out."""
        store = store_of(request)
        # The body while the store is unchanged: building it is a pass over every run's
        # scalar tags (seconds at 10,000 runs), and the Runs tab asks for it on every open.
        version_of = getattr(store, "version", None)
        version = version_of() if version_of is not None else None  # read before the data
        cached = getattr(request.app.state, "hparams_body", None)
        if version is not None and cached is not None and cached[0] == version:
            return Response(cached[1], media_type="application/json")
        config = store.hparams_config()
        groups = metric_groups(config)
        rows, folded = [], []
        names = store.runs()
        sessions = {name for name in names if store.hparams(name)}
        for name in names:
            parent, _, group = name.rpartition("/")
            if group in groups and parent in sessions and not store.hparams(name):
                folded.append(name)
                continue
            metrics = metric_summaries(store, name)
            if name in sessions:
                for group_name in groups:
                    child = metric_summaries(store, f"{name}/{group_name}")
                    metrics.update({t: v for t, v in child.items() if t not in metrics})
            rows.append({"run": name, "hparams": store.hparams(name), "metrics": metrics})
        body = dumps({"runs": rows, "hparams_config": config, "folded_runs": folded})
        if version is not None:
            request.app.state.hparams_body = (version, body)
        return Response(body, media_type="application/json")


def metric_groups(config: dict | None) -> set[str]:
    """The run-name suffixes the experiment's metrics live under (its non-empty groups)."""
    infos = (config or {}).get("metricInfos", [])
    return {g for info in infos if (g := info.get("name", {}).get("group", ""))}


KIND = SummaryKind(
    name="hparams",
    decodes=(Kind.HPARAMS,),
    decode=decode,
    routes=routes,
)
