"""Read a TensorFlow checkpoint ("tensor bundle") without TensorFlow.

A bundle is ``<prefix>.index``, an SSTable (LevelDB table format) mapping variable names to
``BundleEntryProto`` records, plus ``<prefix>.data-00000-of-00001`` holding the raw little-endian
tensor bytes those records point to. Only what the published glassy-dynamics checkpoint needs is
supported: uncompressed blocks, one data shard, numeric dtypes. Every tensor's masked CRC32C is checked.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..core import FormatError

_MAGIC = 0xDB4775248B80FB57
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 9: np.int64, 19: np.float16}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise FormatError("truncated varint in checkpoint index")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _block(buf: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    """Decode one SSTable block into its (key, value) entries."""
    if offset + size + 5 > len(buf):
        raise FormatError("checkpoint index is truncated (block beyond end of file)")
    if buf[offset + size] != 0:
        raise FormatError(f"compressed checkpoint index blocks (type {buf[offset + size]}) are not supported")
    data = buf[offset: offset + size]
    n_restarts = struct.unpack_from("<I", data, len(data) - 4)[0]
    end = len(data) - 4 - 4 * n_restarts
    entries, pos, key = [], 0, b""
    while pos < end:
        shared, pos = _varint(data, pos)
        unshared, pos = _varint(data, pos)
        vlen, pos = _varint(data, pos)
        key = key[:shared] + data[pos: pos + unshared]
        pos += unshared
        entries.append((key, data[pos: pos + vlen]))
        pos += vlen
    return entries


def _fields(msg: bytes) -> list[tuple[int, int, object]]:
    """Decode a protobuf message into (field number, wire type, value) triples."""
    out, pos = [], 0
    while pos < len(msg):
        tag, pos = _varint(msg, pos)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            val, pos = _varint(msg, pos)
        elif wire == 1:
            val = struct.unpack_from("<Q", msg, pos)[0]
            pos += 8
        elif wire == 2:
            n, pos = _varint(msg, pos)
            val = msg[pos: pos + n]
            pos += n
        elif wire == 5:
            val = struct.unpack_from("<I", msg, pos)[0]
            pos += 4
        else:
            raise FormatError(f"unsupported protobuf wire type {wire} in checkpoint index")
        out.append((num, wire, val))
    return out


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def _masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_tf_bundle(prefix) -> dict[str, np.ndarray]:
    """Read every tensor of a TensorFlow checkpoint.

    Args:
        prefix: the checkpoint prefix (``.../t044_s09.ckpt``), or its ``.index`` file, or the folder
            holding exactly one ``*.index``.

    Returns:
        dict variable name -> numpy array.

    Raises:
        FormatError: missing, truncated or corrupt files (the message names which).
    """
    prefix = Path(prefix)
    if prefix.is_dir():
        found = sorted(prefix.glob("*.index"))
        if len(found) != 1:
            raise FormatError(f"{prefix}: expected exactly one *.index checkpoint file, found {len(found)}")
        prefix = found[0]
    if prefix.suffix == ".index":
        prefix = prefix.with_suffix("")
    index_path = Path(str(prefix) + ".index")
    data_path = Path(str(prefix) + ".data-00000-of-00001")
    for p in (index_path, data_path):
        if not p.exists():
            raise FormatError(f"checkpoint file {p} not found")
    buf = index_path.read_bytes()
    if len(buf) < 48 or struct.unpack_from("<Q", buf, len(buf) - 8)[0] != _MAGIC:
        raise FormatError(f"{index_path} is not a TensorFlow checkpoint index (bad footer; truncated?)")
    footer = buf[-48:]
    _, pos = _varint(footer, 0)
    _, pos = _varint(footer, pos)          # metaindex handle, unused
    idx_off, pos = _varint(footer, pos)
    idx_size, _ = _varint(footer, pos)
    data = data_path.read_bytes()
    tensors = {}
    for _, handle in _block(buf, idx_off, idx_size):
        off, p = _varint(handle, 0)
        size, _ = _varint(handle, p)
        for key, value in _block(buf, off, size):
            if key == b"":
                continue  # the BundleHeaderProto
            name = key.decode()
            dtype, shape, offset, nbytes, crc, shard = 0, [], 0, 0, None, 0
            for num, _, val in _fields(value):
                if num == 1:
                    dtype = val
                elif num == 2:
                    shape = [next(v for n, _, v in _fields(d) if n == 1) if _fields(d) else 0
                             for n2, _, d in _fields(val) if n2 == 2]
                elif num == 3:
                    shard = val
                elif num == 4:
                    offset = val
                elif num == 5:
                    nbytes = val
                elif num == 6:
                    crc = val
            if shard != 0:
                raise FormatError(f"{name}: multi-shard checkpoints are not supported")
            if dtype not in _DTYPES:
                raise FormatError(f"{name}: unsupported dtype enum {dtype}")
            raw = data[offset: offset + nbytes]
            if len(raw) != nbytes:
                raise FormatError(f"{data_path} is truncated: {name} needs bytes {offset}..{offset + nbytes}")
            if crc is not None and _masked_crc32c(raw) != crc:
                raise FormatError(f"{data_path}: checksum mismatch for {name} (corrupt file)")
            tensors[name] = np.frombuffer(raw, dtype=_DTYPES[dtype]).reshape(shape).copy()
    return tensors
