"""The state key and what is done with it: keyed digests and encrypted Secret values.

One 32-byte key per store, never kept in the store: ``$KCOMPILE_STATE_KEY`` (base64 or hex,
for CI secrets) or a key file of mode 0600 (beside an SQLite database; for PostgreSQL in
the repository's ``.kcompile/``). From it:

- the keyed digest of a value (:func:`.masking.keyed_digest`, HMAC-SHA256 under the key
  itself, as revisions written before values were encrypted used), enough for a plan;
- AES-256-GCM under a key derived with HKDF-SHA256 (so the digest key and the encryption
  key are never the same bytes), a random 96-bit nonce per value, and the environment,
  object, field and data key bound as associated data: a ciphertext moved to another
  Secret, key or environment fails to decrypt instead of restoring the wrong value;
- a fingerprint the store keeps to tell a wrong key from a changed value.

``cryptography`` is imported only when a value is encrypted or decrypted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from pathlib import Path

from ..errors import KcompileError

KEY_SIZE = 32
NONCE_SIZE = 12
KEY_ENV = "KCOMPILE_STATE_KEY"
NEW_KEY_ENV = "KCOMPILE_STATE_NEW_KEY"
_KEY_CHECK = b"kcompile state key check"
_AEAD_INFO = b"kcompile state secret values v1"


def fingerprint(key: bytes) -> str:
    """What the store keeps to recognise its key (an HMAC of a constant: reveals nothing)."""
    return hmac.new(key, _KEY_CHECK, hashlib.sha256).hexdigest()[:32]


def parse_key(text: str, origin: str) -> bytes:
    """A key given as text (``$KCOMPILE_STATE_KEY``): 64 hex digits or base64 of 32 bytes."""
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 2 * KEY_SIZE:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None,
                                   validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != KEY_SIZE:
        raise KcompileError(f"{origin} is not a state key (expected {KEY_SIZE} bytes as base64 or 64 hex digits)")
    return raw


def encode_key(key: bytes) -> str:
    """The text form of a key, as ``$KCOMPILE_STATE_KEY`` takes it."""
    return base64.b64encode(key).decode("ascii")


def read_key_file(path: Path) -> bytes | None:
    """The key in ``path``; None if there is none. A directory, an unreadable file or one
    of the wrong size is an error naming the file (never its content)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise KcompileError(f"state key file {path} is a directory, not a key file; move it away", path) from None
    except OSError as e:
        raise KcompileError(f"cannot read state key file {path}: {e.strerror or e}", path) from None
    if len(data) == KEY_SIZE:
        return data
    try:  # a key file may also hold the text form (written by hand from a CI secret)
        return parse_key(data.decode("ascii"), f"state key file {path}")
    except (UnicodeDecodeError, KcompileError):
        raise KcompileError(f"state key file {path} is damaged (expected {KEY_SIZE} bytes)", path) from None


def write_key_file(path: Path, key: bytes, *, replace: bool = False) -> bytes:
    """Write ``key`` to ``path`` (mode 0600) whole before it becomes visible. Without
    ``replace`` an existing key wins (another process created it first) and is returned."""
    import tempfile

    from .storeio import os_error

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)  # mode 0600
    except OSError as e:
        raise os_error(e, path) from None
    tmp = Path(name)
    try:
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
            return key
        try:
            os.link(tmp, path)  # atomic, and fails if the key exists
        except FileExistsError:
            existing = read_key_file(path)
            if existing is None:
                raise
            return existing
        except OSError as e:
            if e.errno not in (1, 38, 95):  # EPERM/ENOSYS/EOPNOTSUPP: no hard links here
                raise
            try:
                fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return read_key_file(path) or key
            with os.fdopen(fd, "wb") as f:
                f.write(key)
        return key
    except OSError as e:
        raise os_error(e, path) from None
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def new_key() -> bytes:
    return os.urandom(KEY_SIZE)


def associated_data(env: str, obj_id: tuple[str, str, str, str], field: str, name: str) -> bytes:
    """What a ciphertext is bound to: environment, object (apiVersion, kind, namespace,
    name), field (data/stringData) and data key."""
    return json.dumps([env, *obj_id, field, name], separators=(",", ":")).encode("utf-8")


class Cipher:
    """AES-256-GCM under the key derived from one state key."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AEAD_INFO).derive(key)
        self._aead = AESGCM(derived)

    def encrypt(self, value: object, ad: bytes) -> bytes:
        """nonce || ciphertext of the value's JSON (so strings and anything else come back
        exactly as they were)."""
        nonce = os.urandom(NONCE_SIZE)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return nonce + self._aead.encrypt(nonce, plain, ad)

    def decrypt(self, blob: bytes, ad: bytes) -> object:
        """The value, or ValueError if the blob was made under another key or for another
        place (the associated data) or was altered."""
        from cryptography.exceptions import InvalidTag

        try:
            plain = self._aead.decrypt(bytes(blob[:NONCE_SIZE]), bytes(blob[NONCE_SIZE:]), ad)
        except InvalidTag:
            raise ValueError("authentication failed") from None
        return json.loads(plain.decode("utf-8"))
