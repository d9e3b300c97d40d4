"""`/api/hparams` is kept while the store is unchanged and rebuilt after any write."""

from __future__ import annotations

import numpy as np
import pytest

from board.store import Store


def _add_loss(store: Store, run: str, steps: range, base: float) -> None:
    step = np.asarray(steps, dtype=np.int64)
    store.add_scalars(run, "loss", step, 1.7e9 + step.astype(np.float64), base + step * 0.0)


def test_hparams_body_follows_every_write(serve_store):
    store = Store()
    store.ensure_run("a")
    store.set_hparams("a", {"lr": 0.1}, 1.7e9)
    _add_loss(store, "a", range(3), 2.0)
    board = serve_store(store)
    first = board.get("/api/hparams")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.json()["runs"] == [
        {
            "run": "a",
            "hparams": {"lr": 0.1},
            "metrics": {"loss": pytest.approx({"last": 2.0, "step": 2, "min": 2.0, "max": 2.0})},
        }
    ]
    assert board.get("/api/hparams").content == first.content  # unchanged store: same body
    _add_loss(store, "a", range(3, 5), -1.0)  # a live append
    assert board.get("/api/hparams").json()["runs"][0]["metrics"]["loss"]["last"] == -1.0
    store.ensure_run("b")
    store.set_hparams("b", {"lr": 0.01}, 1.7e9)  # a new run
    body = board.get("/api/hparams").json()
    assert [r["run"] for r in body["runs"]] == ["a", "b"]
    assert body["runs"][1]["hparams"] == {"lr": 0.01}
