"""Shared fixtures: the reference tools (real kubectl/helm), fetched once and cached."""

from __future__ import annotations

import pytest

from tests.reference import ReferenceTools, reference_tools


@pytest.fixture(scope="session")
def ref_tools() -> ReferenceTools:
    """Real kubectl (Kustomize v5.8.1 built in) and helm; downloaded on first use."""
    return reference_tools()
