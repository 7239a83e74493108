"""The codec reads and writes the worker's format; the round trip through the real worker is in
test_workflows.py."""

import asyncio
import base64
import os

import pytest
from temporalio.api.common.v1 import Payload

from litellm_workflows import AesGcmCodec, EncryptionKeyError, PayloadDecryptionError, parse_encryption_keys

KEY = os.urandom(32)


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def test_standard_and_url_safe_base64_give_the_same_key() -> None:
    key = bytes(range(250, 256)) + bytes(26)  # bytes whose base64 uses + and /, url-safe - and _
    standard = base64.b64encode(key).decode()
    url_safe = base64.urlsafe_b64encode(key).decode().rstrip("=")
    assert "+" in standard or "/" in standard
    keys = parse_encryption_keys(f"new:{url_safe},old:{standard}")
    assert [k.id for k in keys] == ["new", "old"]
    assert keys[0].key == keys[1].key == key


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "is set but empty"),
        ("nocolon", 'has no ":"'),
        ("bad id:AAAA", "the key id must be"),
        ("k1:not base64!", 'key id "k1"): the key is not base64'),
        ("k1:" + base64.b64encode(b"short").decode(), 'key id "k1"): the key must be 32 bytes'),
        ("k1:{0},k1:{0}".format(base64.b64encode(KEY).decode()), 'key id "k1" appears more than once'),
    ],
)
def test_malformed_key_lists_are_refused_naming_entry_and_id(spec: str, message: str) -> None:
    with pytest.raises(EncryptionKeyError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_encryption_keys(spec)
    assert base64.b64encode(KEY).decode() not in str(caught.value)


def test_round_trip_and_rotation() -> None:
    old = AesGcmCodec(f"old:{base64.b64encode(KEY).decode()}")
    rotated = AesGcmCodec(f"new:{base64.b64encode(os.urandom(32)).decode()},old:{base64.b64encode(KEY).decode()}")
    [sealed] = asyncio.run(old.encode([payload('"hello"')]))
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert sealed.metadata["encryption-key-id"] == b"old"
    assert b"hello" not in sealed.data
    assert asyncio.run(rotated.decode([sealed])) == [payload('"hello"')]
    [resealed] = asyncio.run(rotated.encode([payload('"x"')]))
    assert resealed.metadata["encryption-key-id"] == b"new"
    # Plaintext payloads (written before encryption) pass through.
    assert asyncio.run(rotated.decode([payload("1")])) == [payload("1")]


def test_an_unknown_key_id_is_a_clear_error_naming_it() -> None:
    [sealed] = asyncio.run(AesGcmCodec(f"caller-2:{base64.b64encode(KEY).decode()}").encode([payload("1")]))
    reader = AesGcmCodec(f"worker-1:{base64.b64encode(os.urandom(32)).decode()}")
    with pytest.raises(PayloadDecryptionError, match='unknown encryption key id "caller-2"') as caught:
        asyncio.run(reader.decode([sealed]))
    assert caught.value.key_id == "caller-2"
    assert '"worker-1"' in str(caught.value)


def test_a_wrong_key_under_a_known_id_fails_authentication() -> None:
    [sealed] = asyncio.run(AesGcmCodec(f"k:{base64.b64encode(KEY).decode()}").encode([payload("1")]))
    with pytest.raises(PayloadDecryptionError, match='key id "k": authentication failed'):
        asyncio.run(AesGcmCodec(f"k:{base64.b64encode(os.urandom(32)).decode()}").decode([sealed]))


def test_keys_never_print_their_material() -> None:
    [key] = parse_encryption_keys(f"k:{base64.b64encode(KEY).decode()}")
    assert repr(key) == "EncryptionKey(id='k')"
