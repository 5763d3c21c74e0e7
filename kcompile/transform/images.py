"""images: change image names, tags and digests (Kustomize's ImageTagTransformer)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import KcompileError
from ..fields.path import SpecIndex
from ..model import Resource, split_api_version
from ..yaml.scalars import as_text
from .config import DEFAULT, TransformerConfig

_TAIL = r"(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?"


def split_image(image: str) -> tuple[str, str, str]:
    """``registry:5000/app:1.2@sha256:…`` -> (name, tag, digest); the registry port is
    not a tag (only a ':' after the first '/' starts one)."""
    slash = image.find("/")
    start = slash if slash > 0 else 0
    search = image[start:]
    at = search.find("@")
    colon = search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[: start + at], "", image[start + at + 1:]
    if at >= 0 and colon >= 0:
        return image[: start + colon], image[start + colon + 1: start + at], image[start + at + 1:]
    return image[: start + colon], image[start + colon + 1:], ""


class ImageRule:
    def __init__(self, entry: dict[str, Any], file: str | None) -> None:
        if not isinstance(entry, dict):
            raise KcompileError(f"each images entry must be a map with 'name' (found {entry!r})", file)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise KcompileError("each images entry needs a 'name'", file)
        self.name = name
        self.new_name = as_text(entry.get("newName")) if entry.get("newName") is not None else ""
        self.new_tag = as_text(entry.get("newTag")) if entry.get("newTag") is not None else ""
        self.digest = as_text(entry.get("digest")) if entry.get("digest") is not None else ""
        self.tag_suffix = as_text(entry.get("tagSuffix")) if entry.get("tagSuffix") is not None else ""
        # What every image this entry matches starts with: the name up to its first
        # character with a meaning in a regular expression (a cheap test before the match).
        self.prefix = re.split(r"[.^$*+?{}\[\]\\|()]", name, maxsplit=1)[0]
        try:
            # Kustomize puts the name into the pattern unescaped; so do we, for identical matches.
            self.pattern: re.Pattern[str] | None = re.compile(f"^{name}{_TAIL}$")
        except re.error:
            self.pattern = None

    def rewrite(self, image: str) -> str:
        if self.pattern is None or not self.pattern.match(image):
            return image
        name, tag, digest = split_image(image)
        if self.new_name:
            name = self.new_name
        if self.new_tag and self.digest:
            tag, digest = self.new_tag, self.digest
        elif self.new_tag:
            tag, digest = self.new_tag, ""
        elif self.digest:
            tag, digest = "", self.digest
        elif self.tag_suffix:
            tag, digest = tag + self.tag_suffix, ""
        if tag:
            name += ":" + tag
        if digest:
            name += "@" + digest
        return name


def _visit_containers(node: Any, fn) -> None:
    """Every container list found anywhere (the 'legacy' image filter: custom kinds too)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _visit_containers(value, fn)
            if key in ("containers", "initContainers") and isinstance(value, list):
                for c in value:
                    if isinstance(c, dict) and isinstance(c.get("image"), str):
                        fn(c, "image")
    elif isinstance(node, list):
        for v in node:
            _visit_containers(v, fn)


def apply_images(resources: list[Resource], images: Any, *, file: str | None = None,
                 config: TransformerConfig = DEFAULT) -> None:
    """Apply every ``images`` entry, in order, to every image field: in every container
    list found, and at the configuration's ``images`` field specs where an image is set.

    Kustomize runs one transformer per entry, each a walk over every object; since which
    fields hold images does not depend on their values, the fields are found in one walk
    and each entry is then applied to them in the same order (334 entries x 3000 objects
    were 334 walks of everything)."""
    if not images:
        return
    if not isinstance(images, list):
        raise KcompileError("images must be a list", file)
    rules = [ImageRule(e, file) for e in images]
    existing_only = config.memo("images", lambda: SpecIndex([s._replace(create=False) for s in config.images]))
    slots: list[tuple[dict[str, Any], str]] = []

    def collect(parent: dict[str, Any], key: str) -> None:
        slots.append((parent, key))

    for r in resources:
        if not r.body:
            continue
        if r.kind != "CustomResourceDefinition":
            _visit_containers(r.body, collect)
        group, version = split_api_version(r.api_version)
        existing_only.apply(r.body, group, version, r.kind, collect)
    for rule in rules:
        prefix = rule.prefix
        for parent, key in slots:
            v = parent.get(key)
            if isinstance(v, str) and v.startswith(prefix):
                parent[key] = rule.rewrite(v)
