"""Container requests against their limits and the LimitRange default limits.

Through :func:`kcompile.validate.validate`: each finding's severity, object, field path
and the file line it points at."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import deployment, errors, load, only


@pytest.mark.parametrize("cpu, cpu_limit, memory, memory_limit, problem", [
    ("100m", "200m", "128Mi", "256Mi", None),
    ("200m", "0.2", "128Mi", "128Mi", None),  # equal, written differently
    ("300m", "200m", "128Mi", "256Mi", "request 300m is more than the limit 200m"),
    ("1", "999m", "128Mi", "256Mi", "request 1 is more than the limit 999m"),
    ("100m", "200m", "1Gi", "1000Mi", "request 1Gi is more than the limit 1000Mi"),
    ("100m", "200m", "1G", "1Gi", None),  # 10^9 < 2^30
    ("100m", "200m", "1.1G", "1Gi", "more than the limit 1Gi"),
])
def test_requests_not_above_limits(tmp_path, cpu, cpu_limit, memory, memory_limit, problem):
    text = deployment(cpu=cpu, cpu_limit=cpu_limit, memory=memory, memory_limit=memory_limit)
    found = errors(validate(load(tmp_path, text)))
    if problem is None:
        assert found == []
    else:
        f = only(found, problem)
        assert f.path.startswith("spec.template.spec.containers[name=web].resources.requests.")
        assert f.line == 18


def test_request_above_a_limit_range_default_limit(tmp_path):
    text = deployment(cpu="800m").replace("          limits: {cpu: 200m, memory: 256Mi}\n", "") + """---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
"""
    f = only(validate(load(tmp_path, text)), "request 800m is more than the limit 500m that the namespace's LimitRange")
    assert f.severity == "error" and f.line == 18
    # no LimitRange: no limit, nothing to compare
    assert errors(validate(load(tmp_path, text[: text.index("---")]))) == []
