import pytest

import engine as eg


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test builds in its own default graph."""
    g = eg.Graph()
    with g.as_default():
        yield g
