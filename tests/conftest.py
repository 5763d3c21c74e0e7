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


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for this test process (one per xdist worker), on a
    loopback port; it fails the run, never skips, when the server cannot start."""
    from tests.pgserver import PgServer

    server = PgServer().start()
    yield server
    server.destroy()


@pytest.fixture()
def pg_url(pg_server) -> str:
    """The URL of a fresh, empty database on the test server."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_spec(request, tmp_path) -> str:
    """A ``--state`` value for each backend: an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "state" / "state.db")
    return request.getfixturevalue("pg_url")
