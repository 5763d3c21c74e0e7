"""Shared fixtures: the reference tools (real kubectl/helm), fetched once and cached."""

from __future__ import annotations

import pytest

from tests.reference import ReferenceTools, reference_tools


@pytest.fixture(scope="session")
def ref_tools() -> ReferenceTools:
    """Real kubectl (Kustomize v5.8.1 built in) and helm; downloaded on first use."""
    return reference_tools()


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory, monkeypatch):
    """Each test's caches in a directory of its own (kcompile's default is the user's
    cache directory): tests never see each other's entries, nor the developer's."""
    directory = tmp_path_factory.mktemp("kcompile-cache")
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(directory))
    return directory
