"""The soak test, shortened (make soak runs it with 1,000,000 messages per
path): every message through a port, a channel and a shared ring arrives
intact and in order, and host memory does not grow with the message count."""

from pathlib import Path

from tests.conftest import guest
from tools.soak import soak


def test_short_soak_loses_nothing_and_does_not_grow():
    status, out, _, _, _ = soak(2_000, Path(guest("soak")))  # warm-up: caches, code translation
    assert status == 0
    status, out, before, after, _ = soak(20_000, Path(guest("soak")))
    assert status == 0, out
    assert out == (b"port: 20000 messages, 0 bad\nchannel: 20000 messages, 0 bad\n"
                   b"ring: 20000 records, 0 bad\n")
    assert after - before < 16, (before, after)
