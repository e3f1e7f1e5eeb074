"""IpcMessage layout (ABI.md section 2)."""

import struct

import pytest

from kernel_model import Errno, FakeMemory, SyscallError
from kernel_model.message import IpcMessage, error_reply, read_message, write_message


def test_pack_layout_is_little_endian_64_bytes():
    msg = IpcMessage(0x0102030405060708, 0x11223344, 0xAABBCCDD, bytes(range(48)))
    raw = msg.pack()
    assert len(raw) == 64
    assert raw[:8] == struct.pack("<Q", 0x0102030405060708)
    assert raw[8:12] == struct.pack("<I", 0x11223344)
    assert raw[12:16] == struct.pack("<I", 0xAABBCCDD)
    assert raw[16:] == bytes(range(48))
    assert IpcMessage.unpack(raw) == msg


def test_short_payload_is_zero_padded():
    assert IpcMessage(1, 2, 3, b"ab").pack()[16:] == b"ab" + bytes(46)


def test_unpack_rejects_wrong_size():
    with pytest.raises(ValueError):
        IpcMessage.unpack(bytes(63))


def test_error_reply_is_type_0x80_with_errno_in_payload():
    raw = error_reply(Errno.EPIPE).pack()
    assert struct.unpack_from("<QII", raw) == (0, 0x80, 0)
    assert raw[16:20] == struct.pack("<I", 32)
    assert raw[20:] == bytes(44)


def test_read_and_write_fault_as_efault():
    mem = FakeMemory()
    mem.map(0x1000, 0x1000)
    write_message(mem, 0x1FC0, IpcMessage(7, 8, 9))  # the last 64 bytes of the page
    assert read_message(mem, 0x1FC0) == IpcMessage(7, 8, 9)
    for fn in (lambda: read_message(mem, 0x1FC1), lambda: write_message(mem, 0x1FC1, IpcMessage())):
        with pytest.raises(SyscallError) as e:
            fn()
        assert e.value.errno is Errno.EFAULT


def test_the_ipc_modules_never_import_unicorn():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; import kernel_model.capabilities, kernel_model.port, kernel_model.reply, "
            "kernel_model.namespace, kernel_model.channel, kernel_model.semaphore, kernel_model.shared_ring, "
            "kernel_model.message; print('unicorn' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
