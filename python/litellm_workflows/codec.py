"""AES-256-GCM payload codec, the same format as src/codec/crypto-codec.ts.

- the whole serialized ``Payload`` is encrypted; ``data`` = 12-byte nonce + ciphertext + 16-byte tag;
- metadata ``encoding: binary/encrypted`` and ``encryption-key-id: <id>``;
- keys come from ``LITELLM_WORKFLOWS_ENCRYPTION_KEYS``: ``id1:base64,id2:base64``, newest first (the first
  encrypts, all decrypt), each key 32 bytes in standard or URL-safe base64.

Errors name the key id, never key material.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCRYPTION_KEYS_VAR = "LITELLM_WORKFLOWS_ENCRYPTION_KEYS"
ENCRYPTION_KEYS_FILE_VAR = "LITELLM_WORKFLOWS_ENCRYPTION_KEYS_FILE"
ENCODING_ENCRYPTED = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"

_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$")
_FORMAT_HINT = "expected id1:base64key1,id2:base64key2 (newest first)"


class EncryptionKeyError(ValueError):
    """A malformed key list: names the variable, the entry and the key id, never key material."""


class PayloadDecryptionError(Exception):
    """A payload that cannot be decrypted; ``key_id`` is the id found in its metadata, if any."""

    def __init__(self, message: str, key_id: str | None) -> None:
        super().__init__(message)
        self.key_id = key_id


@dataclass(frozen=True)
class EncryptionKey:
    id: str
    key: bytes = b""

    def __repr__(self) -> str:  # never print key material
        return f"EncryptionKey(id={self.id!r})"


def parse_encryption_keys(value: str, source: str = ENCRYPTION_KEYS_VAR) -> list[EncryptionKey]:
    """Parses ``id1:base64,id2:base64`` (commas or newlines), as src/codec/keys.ts does."""
    entries = [e.strip() for e in re.split(r"[,\r\n]+", value) if e.strip()]
    if not entries:
        raise EncryptionKeyError(f"{source} is set but empty; {_FORMAT_HINT}")
    keys: list[EncryptionKey] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        where = f"{source}: entry {index}"
        key_id, colon, encoded = entry.partition(":")
        if not colon:
            raise EncryptionKeyError(f'{where} has no ":"; {_FORMAT_HINT}')
        key_id, encoded = key_id.strip(), encoded.strip()
        if not _KEY_ID.match(key_id):
            raise EncryptionKeyError(
                f'{where}: the key id must be 1-64 characters of letters, digits, ".", "_" or "-"; {_FORMAT_HINT}'
            )
        if key_id in seen:
            raise EncryptionKeyError(f'{where}: key id "{key_id}" appears more than once')
        seen.add(key_id)
        if not encoded:
            raise EncryptionKeyError(f'{where} (key id "{key_id}"): the key is empty')
        if not _BASE64.match(encoded):
            raise EncryptionKeyError(f'{where} (key id "{key_id}"): the key is not base64')
        padded = encoded + "=" * (-len(encoded) % 4)
        try:
            url_safe = "-" in encoded or "_" in encoded
            key = base64.urlsafe_b64decode(padded) if url_safe else base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionKeyError(f'{where} (key id "{key_id}"): the key is not base64') from None
        if len(key) != _KEY_BYTES:
            raise EncryptionKeyError(
                f'{where} (key id "{key_id}"): the key must be {_KEY_BYTES} bytes of base64 '
                f"(it decodes to {len(key)} bytes)"
            )
        keys.append(EncryptionKey(key_id, key))
    return keys


def load_encryption_keys(env: Mapping[str, str] | None = None) -> list[EncryptionKey]:
    """The keys of ``LITELLM_WORKFLOWS_ENCRYPTION_KEYS`` (or the file named by ``..._FILE``); required."""
    env = os.environ if env is None else env
    if env.get(ENCRYPTION_KEYS_VAR):
        return parse_encryption_keys(env[ENCRYPTION_KEYS_VAR])
    path = env.get(ENCRYPTION_KEYS_FILE_VAR)
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                return parse_encryption_keys(file.read(), ENCRYPTION_KEYS_FILE_VAR)
        except OSError as err:
            raise EncryptionKeyError(f"{ENCRYPTION_KEYS_FILE_VAR}: cannot read the file ({err.strerror})") from None
    raise EncryptionKeyError(f"{ENCRYPTION_KEYS_VAR} (or {ENCRYPTION_KEYS_FILE_VAR}) is required; {_FORMAT_HINT}")


class AesGcmCodec(PayloadCodec):
    """Encrypts with the first key, decrypts with any; plaintext payloads pass through ``decode``."""

    def __init__(self, keys: Sequence[EncryptionKey] | str) -> None:
        parsed = parse_encryption_keys(keys) if isinstance(keys, str) else list(keys)
        if not parsed:
            raise EncryptionKeyError("At least one encryption key is required")
        for key in parsed:
            if len(key.key) != _KEY_BYTES:
                raise EncryptionKeyError(f'Encryption key "{key.id}" must be {_KEY_BYTES} bytes (AES-256)')
        self._keys = {key.id: AESGCM(key.key) for key in parsed}
        if len(self._keys) != len(parsed):
            raise EncryptionKeyError("Encryption key ids must be unique")
        self.encryption_key_id = parsed[0].id

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self._seal(p) for p in payloads]

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self._open(p) for p in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self.encryption_key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING_ENCRYPTED, KEY_ID_METADATA: self.encryption_key_id.encode()},
            data=nonce + sealed,
        )

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING_ENCRYPTED:
            return payload
        raw_id = payload.metadata.get(KEY_ID_METADATA)
        if not raw_id:
            raise PayloadDecryptionError(
                f'Cannot decrypt payload: it is binary/encrypted but has no "{KEY_ID_METADATA}" metadata', None
            )
        key_id = raw_id.decode("utf-8", "replace")
        aead = self._keys.get(key_id)
        if aead is None:
            configured = ", ".join(f'"{k}"' for k in self._keys)
            raise PayloadDecryptionError(
                f'Cannot decrypt payload: unknown encryption key id "{key_id}" (configured key ids: {configured}); '
                f"add that key to {ENCRYPTION_KEYS_VAR} to read this payload",
                key_id,
            )
        if len(payload.data) < _NONCE_BYTES + _TAG_BYTES:
            raise PayloadDecryptionError(
                f'Cannot decrypt payload with encryption key id "{key_id}": data is too short', key_id
            )
        try:
            plaintext = aead.decrypt(payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:], None)
        except InvalidTag:
            raise PayloadDecryptionError(
                f'Cannot decrypt payload with encryption key id "{key_id}": authentication failed (the key under '
                "that id is not the key it was encrypted with, or the ciphertext was modified)",
                key_id,
            ) from None
        return Payload.FromString(plaintext)
