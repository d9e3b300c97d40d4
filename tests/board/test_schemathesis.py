"""Fuzz every documented endpoint from the OpenAPI schema: no request may produce a 5xx."""

from __future__ import annotations

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory, inprocess_board):
    from tensorboardX import SummaryWriter

    root = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(0)
    # Short names so that the fuzzer's strings hit real runs and tags now and then.
    with SummaryWriter(str(root / "a")) as w:
        for step in range(50):
            w.add_scalar("0", float(step), step)
            w.add_scalar("a", float("nan") if step % 7 == 0 else step, step)
        w.add_histogram("0", rng.normal(size=100), 1)
        w.add_image("0", rng.random((3, 4, 4)), 1)
        w.add_text("0", "x", 1)
    board = inprocess_board.for_logdir(root)
    yield board
    board.stop()


@pytest.fixture
def api_schema(served):
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.exclude(path="/api/events").parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case):
    case.call_and_validate(checks=[not_a_server_error], timeout=10)
