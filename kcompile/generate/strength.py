"""What a generated Secret's name gives away: a warning for values the suffix can reveal.

Kustomize's name suffix is 10 characters of an unkeyed SHA-256 over the Secret's type and
data (:mod:`.hashing`), about 40 bits of it. Anyone who sees the name — in the cluster,
a plan in a pull request, the state store without its key — can hash guesses offline
until the suffix matches. A value with fewer than :data:`WEAK_BITS` bits of entropy
leaves fewer than 2**8 candidates that fit the suffix (at most a few hundred guesses);
one with far more than 40 bits is hidden among very many.

The entropy of a value is estimated, never measured: the smaller of (a) its length times
log2 of the alphabet it draws from (digits 10, lower case 26, upper case 26, other
printable ASCII 33, anything else 128 more) and (b) its length times the Shannon entropy
of its characters (a repeated character counts for little). A 4-digit PIN is ~13 bits, a
dictionary word ~20-30, 16 random letters and digits ~60.

Each value is judged on its own (the other values of the Secret may be known or
guessable: a user name beside its password), except values of keys that name public
things (:data:`PUBLIC_KEYS`: user names, hosts, ports, database names, URLs — usually
known anyway, so recovering them gives nothing away). Names stay Kustomize's by default (parity
with ``kubectl kustomize``); the warning says how to avoid it: a longer value, or
``options.disableNameSuffixHash: true`` for that generator.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import Counter
from typing import Callable

from ..errors import KcompileError
from ..model import Resource

WEAK_BITS = 48

# Keys (lower case, without '-', '_', '.') whose values are taken as public.
PUBLIC_KEYS = frozenset(
    "user username login email host hostname server port database dbname db url uri endpoint region "
    "namespace".split()
)


def estimated_bits(value: bytes) -> float:
    """The estimate of the module docstring, in bits."""
    if not value:
        return 0.0
    try:
        text: str | bytes = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value  # binary: bytes are the symbols
    n = len(text)
    if isinstance(text, str):
        alphabet = 0
        alphabet += 10 if any(c.isdigit() and c.isascii() for c in text) else 0
        alphabet += 26 if any("a" <= c <= "z" for c in text) else 0
        alphabet += 26 if any("A" <= c <= "Z" for c in text) else 0
        alphabet += 33 if any(c.isascii() and not c.isalnum() for c in text) else 0
        alphabet += 128 if any(not c.isascii() for c in text) else 0
    else:
        alphabet = 256
    by_alphabet = n * math.log2(max(alphabet, 2))
    counts = Counter(text)
    shannon = -sum(k / n * math.log2(k / n) for k in counts.values())
    return min(by_alphabet, n * shannon)


def _values(r: Resource) -> list[tuple[str, bytes]]:
    out = []
    data = r.body.get("data")
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str):
                try:
                    out.append((str(k), base64.b64decode(v.replace("\n", ""), validate=True)))
                except (binascii.Error, ValueError):
                    continue  # validation reports it
    string_data = r.body.get("stringData")
    if isinstance(string_data, dict):
        out += [(str(k), v.encode("utf-8")) for k, v in string_data.items() if isinstance(v, str)]
    return out


def warn_guessable(resources: list[Resource], warn: Callable[[KcompileError], None]) -> None:
    """A warning per value of a hash-suffixed generated Secret that its name can reveal
    (module docstring), at the literal, env-file line or file entry that set it, naming
    the key (never the value, nor how weak it is)."""
    from ..validate.checks.data import key_problem

    for r in resources:
        gen = r.generator
        if r.kind != "Secret" or gen is None or not gen.hash_suffix:
            continue
        for key, raw in _values(r):
            public = key.lower().replace("-", "").replace("_", "").replace(".", "") in PUBLIC_KEYS
            if not raw or public or estimated_bits(raw) >= WEAK_BITS:
                continue
            file, line = gen.sources.get(key) or (gen.file, gen.line)
            shown = repr(key) if key_problem(key) is None else "(not shown)"
            warn(KcompileError(
                f"Secret {r.name!r}: the value of key {shown} is short or simple enough to be recovered from "
                "the name's content-hash suffix by guessing; use a longer, random value, or set "
                "options.disableNameSuffixHash: true on this generator", file or gen.file, line))
