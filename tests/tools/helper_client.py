#!/usr/bin/env python3
"""Test client for gpu_sriov_helper (exporter/helper_proto.h), used by tests/e2e/helper.sh.

Usage: helper_client.py SOCKET REQUEST...
REQUEST is OP:TARGET:VALUE with OP one of hello, describe-pf, describe-vf, set, bind or a
number, or raw:HEX to send those bytes as one datagram. All requests go over one connection,
in order; each prints one line:
    rc=0 value=7 count2=0 bdf=0000:00:02.0 us=123
rc is 0 or the errno name (EPERM, ...), us the round trip in microseconds. When the helper
closes the connection the line is "closed" and the remaining requests are not sent.
Exit status 0 unless the socket cannot be reached."""
import errno
import socket
import struct
import sys
import time

OPS = {"hello": 1, "describe-pf": 2, "describe-vf": 3, "set": 4, "bind": 5}
REQ = struct.Struct("=III")
RESP = struct.Struct("=iII16s")


def encode(spec):
    if spec.startswith("raw:"):
        return bytes.fromhex(spec[4:])
    op, target, value = spec.split(":")
    return REQ.pack(OPS[op] if op in OPS else int(op, 0), int(target, 0), int(value, 0))


def rc_name(rc):
    return "0" if rc == 0 else errno.errorcode.get(-rc, str(rc))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    try:
        s.connect(argv[1])
    except OSError as e:
        print(f"connect: {e}", file=sys.stderr)
        return 1
    for spec in argv[2:]:
        t0 = time.perf_counter()
        try:
            s.send(encode(spec))
            data = s.recv(RESP.size + 1)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        us = (time.perf_counter() - t0) * 1e6
        if not data:
            print("closed", flush=True)
            break
        if len(data) != RESP.size:
            print(f"bad-size {len(data)}", flush=True)
            break
        rc, value, count2, bdf = RESP.unpack(data)
        bdf = bdf.split(b"\0", 1)[0].decode()
        print(f"rc={rc_name(rc)} value={value} count2={count2} bdf={bdf} us={us:.0f}", flush=True)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
