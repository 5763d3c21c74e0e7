"""The JSON view: ``Plan.as_dict()`` (one plan) or a list of them (``kcompile diff``)."""

from __future__ import annotations

import json

from ..plan.model import Plan


def render_json(plans: list[Plan] | Plan) -> str:
    if isinstance(plans, Plan):
        return json.dumps(plans.as_dict(), indent=2, ensure_ascii=False) + "\n"
    return json.dumps([p.as_dict() for p in plans], indent=2, ensure_ascii=False) + "\n"
