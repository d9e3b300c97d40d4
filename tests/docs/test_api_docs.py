"""The API reference under docs/api/ covers every public name and is current."""

from __future__ import annotations

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_api_docs", os.path.join(ROOT, "scripts", "gen_api_docs.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_a_docstring():
    gen = load_generator()
    missing = []
    for filename, title, module_name, namespaces in gen.PACKAGES:
        _, undocumented = gen.render(filename, title, module_name, namespaces)
        missing += undocumented
    assert not missing, f"public names without a docstring: {missing}"


def test_committed_reference_is_current():
    gen = load_generator()
    for filename, title, module_name, namespaces in gen.PACKAGES:
        text, _ = gen.render(filename, title, module_name, namespaces)
        path = os.path.join(gen.OUT_DIR, filename)
        assert os.path.exists(path), f"{path} missing: run python scripts/gen_api_docs.py"
        with open(path, encoding="utf-8") as f:
            assert f.read() == text, f"{path} is stale: run python scripts/gen_api_docs.py"


def test_generator_detects_an_undocumented_name(tmp_path, monkeypatch):
    import sys
    import types

    gen = load_generator()
    fake = types.ModuleType("fake_pkg")

    def documented():
        """Does a thing."""

    def bare():
        pass

    fake.documented, fake.bare = documented, bare
    monkeypatch.setitem(sys.modules, "fake_pkg", fake)
    _, missing = gen.render("x.md", "x", "fake_pkg", [])
    assert missing == ["fake_pkg.bare"]
