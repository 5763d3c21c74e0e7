"""`kcompile edit OVERLAY set|add|remove|fix …`: the edits ``kustomize edit`` makes, with
its verbs and flags, written back keeping the file's comments and layout (kcompile/edit/).

Unlike ``kustomize edit`` (which works on the current directory), the overlay directory
comes first, as for every other kcompile command: ``kcompile edit overlays/prod set image
app=registry/app:1.2``.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("edit", help="change an overlay file as `kustomize edit` does, keeping its layout")
    p.add_argument("overlay", metavar="OVERLAY")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    s = verbs.add_parser("set", help="set a field").add_subparsers(dest="what", metavar="WHAT")
    s.required = True
    _plain(s, "image", "images: NAME=NEWNAME:TAG@DIGEST, NAME:TAG, NAME@DIGEST ('*' keeps a part)")
    _plain(s, "replicas", "replicas: NAME=COUNT")
    _plain(s, "namespace", "namespace: NAME")
    _plain(s, "nameprefix", "namePrefix: PREFIX")
    _plain(s, "namesuffix", "nameSuffix: SUFFIX")
    _labels(s, "label", "commonLabels (or labels, --without-selector): KEY:VALUE")
    _plain(s, "annotation", "commonAnnotations: KEY:VALUE")
    _plain(s, "value", "chartValues of a chart release: RELEASE.key.path=VALUE")

    a = verbs.add_parser("add", help="add entries").add_subparsers(dest="what", metavar="WHAT")
    a.required = True
    _plain(a, "resource", "resources: paths or globs (remote URLs as they are)")
    _plain(a, "component", "components: paths or globs")
    _plain(a, "base", "resources (the legacy verb for a base directory)")
    _patch(a, "patch", "patches: --path FILE or --patch TEXT, with target selectors")
    _generator(a, "configmap", "configMapGenerator")
    _generator(a, "secret", "secretGenerator")
    _labels(a, "label", "commonLabels (or labels, --without-selector): KEY:VALUE", force=True)
    _plain(a, "annotation", "commonAnnotations: KEY:VALUE", force=True)
    _plain(a, "buildmetadata", "buildMetadata: originAnnotations,transformerAnnotations,managedByLabel")

    r = verbs.add_parser("remove", help="remove entries").add_subparsers(dest="what", metavar="WHAT")
    r.required = True
    _plain(r, "resource", "resources: paths or globs")
    _plain(r, "component", "components: paths or globs")
    _patch(r, "patch", "patches: the same --path/--patch and target as added")
    _plain(r, "label", "commonLabels/labels keys", ignore=True)
    _plain(r, "annotation", "commonAnnotations keys", ignore=True)
    _plain(r, "configmap", "configMapGenerator entries by name")
    _plain(r, "secret", "secretGenerator entries by name")

    verbs.add_parser("fix", help="legacy fields to their replacements (as `kustomize edit fix`)")
    p.set_defaults(run=run)


def _plain(sub, name: str, help: str, force: bool = False, ignore: bool = False):
    p = sub.add_parser(name, help=help)
    p.add_argument("values", nargs="*", metavar="VALUE")
    if force:
        p.add_argument("--force", "-f", action="store_true", help="overwrite existing keys")
    if ignore:
        p.add_argument("--ignore-non-existence", "-i", action="store_true", help="no error for absent keys")
    return p


def _labels(sub, name: str, help: str, force: bool = False):
    p = _plain(sub, name, help, force=force)
    p.add_argument("--without-selector", action="store_true",
                   help="write into labels with includeSelectors false, not commonLabels")
    p.add_argument("--include-templates", action="store_true",
                   help="with --without-selector: labels also go into pod templates")


def _patch(sub, name: str, help: str):
    p = sub.add_parser(name, help=help)
    p.add_argument("--path")
    p.add_argument("--patch")
    for flag in ("group", "version", "kind", "name", "namespace", "label-selector", "annotation-selector"):
        p.add_argument(f"--{flag}")


def _generator(sub, name: str, help: str):
    p = sub.add_parser(name, help=help)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--from-literal", action="append", metavar="KEY=VALUE")
    p.add_argument("--from-file", action="append", metavar="[KEY=]FILE")
    p.add_argument("--from-env-file", action="append", metavar="FILE")
    p.add_argument("--behavior", choices=["create", "merge", "replace"])
    p.add_argument("--namespace")
    if name == "secret":
        p.add_argument("--type", help="the Secret type (default Opaque)")


def run(args: argparse.Namespace) -> int:
    from ..edit.document import OverlayDocument
    from ..edit import verbs

    doc = OverlayDocument.open(args.overlay)
    what = getattr(args, "what", None)
    values = getattr(args, "values", None)
    if args.verb == "fix":
        verbs.fix(doc, [])
    elif args.verb == "set":
        if what == "label":
            verbs.put_pairs(verbs.labels_map(doc, args.without_selector, args.include_templates),
                            verbs.parse_pairs(values, "label"), True, "label")
        elif what == "annotation":
            verbs.put_pairs(doc.map_field("commonAnnotations"), verbs.parse_pairs(values, "annotation"), True,
                            "annotation")
        else:
            {"image": verbs.set_image, "replicas": verbs.set_replicas, "value": verbs.set_value,
             "namespace": verbs.set_scalar("namespace"), "nameprefix": verbs.set_scalar("namePrefix"),
             "namesuffix": verbs.set_scalar("nameSuffix")}[what](doc, values)
    elif args.verb == "add":
        if what == "label":
            verbs.put_pairs(verbs.labels_map(doc, args.without_selector, args.include_templates),
                            verbs.parse_pairs(values, "label"), args.force, "label")
        elif what == "annotation":
            verbs.put_pairs(doc.map_field("commonAnnotations"), verbs.parse_pairs(values, "annotation"),
                            args.force, "annotation")
        elif what == "patch":
            verbs.add_patch(doc, args)
        elif what == "configmap":
            verbs.add_generator("configMapGenerator")(doc, args)
        elif what == "secret":
            verbs.add_generator("secretGenerator")(doc, args)
        elif what == "buildmetadata":
            verbs.add_buildmetadata(doc, values)
        else:
            verbs.add_paths({"resource": "resources", "base": "resources", "component": "components"}[what])(doc, values)
    else:  # remove
        if what == "label":
            verbs.remove_keys(doc, "commonLabels", values, "label", args.ignore_non_existence)
        elif what == "annotation":
            verbs.remove_keys(doc, "commonAnnotations", values, "annotation", args.ignore_non_existence)
        elif what == "patch":
            verbs.remove_patch(doc, args)
        elif what in ("configmap", "secret"):
            verbs.remove_named("configMapGenerator" if what == "configmap" else "secretGenerator")(doc, values)
        else:
            verbs.remove_paths({"resource": "resources", "component": "components"}[what])(doc, values)
    doc.save()
    return 0
