"""`kcompile state list | show ENV [REV] | export | import FILE | migrate --to URL | rotate-key`:
look into and move the state store itself (SQLite file or PostgreSQL)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("state", help="inspect, export, import, migrate the state store; rotate its key",
                       description="Commands on the state store itself (every environment).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", parser_class=type(p))
    verbs.required = True

    def verb(name: str, help: str) -> argparse.ArgumentParser:
        v = verbs.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        v.add_argument("--state", metavar="PATH|URL",
                       help="state store: an SQLite file or postgresql://user@host:port/db "
                            "(default: $KCOMPILE_STATE or .kcompile/state.db)")
        v.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="how long to wait for applies in progress (default 30)")
        return v

    v = verb("list", "list the environments and their revisions")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v = verb("show", "print the objects of one revision (Secret values as digests)")
    v.add_argument("env", metavar="ENV")
    v.add_argument("revision", metavar="REV", type=int, nargs="?", help="default: the latest")
    v.add_argument("--format", choices=["yaml", "json"], default="yaml")
    v = verb("export", "write every revision, Secret values still encrypted, as JSON")
    v.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    v = verb("import", "add the revisions of an export (to a store without those environments)")
    v.add_argument("file", metavar="FILE", help="an export (`-` for standard input)")
    v = verb("migrate", "copy every revision and Secret to another store (SQLite file or PostgreSQL URL)")
    v.add_argument("--to", required=True, metavar="PATH|URL")
    verb("rotate-key", "re-encrypt every kept Secret value under a new state key, in one transaction")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..load.files import find_repo_root
    from ._state import store_for

    root = find_repo_root(Path.cwd())
    store = store_for(args, root)
    try:
        return _VERBS[args.verb](args, store, root)
    finally:
        store.close()


def _list(args, store, root) -> int:
    envs = store.environments()
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps([{"environment": e, "revisions": n, "latest_revision": last, "latest_time": t}
                                     for e, n, last, t in envs], indent=2) + "\n")
        return 0
    if not envs:
        print(f"{store.describe()}: no environments yet")
        return 0
    width = max(11, *(len(e) for e, *_ in envs))
    print(f"{'ENVIRONMENT':<{width}} {'REVISIONS':>9} {'LATEST':>6}  TIME")
    for e, n, last, t in envs:
        print(f"{e:<{width}} {n:>9} {last:>6}  {t}")
    return 0


def _show(args, store, root) -> int:
    from ..errors import KcompileError

    rev = store.latest(args.env) if args.revision is None else store.get(args.env, args.revision)
    if rev is None:
        known = [r.revision for r in store.history(args.env)]
        have = f"it has revisions {known[0]}..{known[-1]}" if known else "nothing was applied to it"
        what = "revisions" if args.revision is None else f"revision {args.revision}"
        raise KcompileError(f"environment {args.env!r} has no {what} in {store.describe()} ({have})")
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps({**rev.summary(), "environment": args.env, "objects": rev.objects},
                                    indent=2) + "\n")
        return 0
    from ..output.emit import render

    print(f"# revision {rev.revision} of {args.env}: {rev.time} by {rev.user}"
          f"{' at ' + rev.commit if rev.commit else ''}{': ' + rev.message if rev.message else ''}")
    sys.stdout.write(render(rev.objects or []))
    return 0


def _export(args, store, root) -> int:
    import json

    text = json.dumps(store.export(), indent=1) + "\n"
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def _write_atomic(path: Path, text: str) -> None:
    import os
    import tempfile

    from ..state.storeio import os_error

    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    except OSError as e:
        raise os_error(e, path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise os_error(e, path) from None


def _import(args, store, root) -> int:
    import json

    from ..errors import KcompileError

    origin = "standard input" if args.file == "-" else args.file
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        doc = json.loads(text)
    except FileNotFoundError:
        raise KcompileError(f"{args.file} does not exist", args.file) from None
    except (OSError, UnicodeDecodeError) as e:
        raise KcompileError(f"cannot read {origin}: {e}", None if args.file == "-" else args.file) from None
    except ValueError as e:
        raise KcompileError(f"{origin} is not JSON ({e}); nothing was imported",
                            None if args.file == "-" else args.file) from None
    n = store.import_(doc, origin, args.lock_timeout)
    print(f"kcompile: imported {n} revision(s) into {store.describe()}", file=sys.stderr)
    if doc.get("key_fingerprint") and not store.key_available():
        print("kcompile: note: the imported Secret values need the state key they were written with "
              f"({store.key_origin()})", file=sys.stderr)
    return 0


def _migrate(args, store, root) -> int:
    import os

    from ..errors import KcompileError
    from ..state import open_store
    from ..state.crypto import KEY_ENV, read_key_file, write_key_file

    target = open_store(args.to, root)
    try:
        if target.describe() == store.describe():
            raise KcompileError("--to names the store being migrated")
        doc = store.export()
        if not os.environ.get(KEY_ENV) and doc.get("key_fingerprint"):
            key = store.secret_key()
            if key is None:
                raise store.needs_key("kcompile state migrate (the key goes with the store)")
            if read_key_file(target.key_path) is None:
                write_key_file(target.key_path, key)
        n = target.import_(doc, store.describe(), args.lock_timeout)
        if target.export() != doc:
            raise KcompileError(f"{target.describe()} does not read back what was migrated; check the target")
    finally:
        target.close()
    print(f"kcompile: migrated {n} revision(s) of {len({r['env'] for r in doc['revisions']})} environment(s) from "
          f"{store.describe()} to {target.describe()} (the source is left as it was)", file=sys.stderr)
    return 0


def _rotate(args, store, root) -> int:
    import os

    from ..state.crypto import KEY_ENV, NEW_KEY_ENV

    n = store.rotate_key(args.lock_timeout)
    where = (f"replace ${KEY_ENV} with ${NEW_KEY_ENV} everywhere it is used" if os.environ.get(KEY_ENV)
             else f"new key in {store.key_path}")
    print(f"kcompile: re-encrypted {n} Secret value(s) of {store.describe()} under a new key; {where}",
          file=sys.stderr)
    return 0


_VERBS = {"list": _list, "show": _show, "export": _export, "import": _import, "migrate": _migrate,
          "rotate-key": _rotate}
