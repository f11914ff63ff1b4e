#!/usr/bin/env python3
"""Misbehaving HTTP clients for tests/e2e/web.sh, each printing one line to check.

  idle PORT SECONDS            connect, send nothing; print "closed after N s" or "open"
  hold SRC PORT N SECONDS      open N connections from address SRC that send one header byte
                               every 0.5 s; print how many the server closed at once (within
                               0.3 s) and how many it kept; keeps them SECONDS, then exits
  bigheader PORT BYTES         GET /metrics with one header of BYTES bytes; print the status
                               line, or "closed" when the server hung up without one
"""
import socket
import sys
import time


def connect(port, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_within(s, seconds):
    s.settimeout(seconds)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def idle(port, seconds):
    s = connect(port)
    start = time.monotonic()
    if closed_within(s, seconds):
        print("closed after %d s" % round(time.monotonic() - start))
    else:
        print("open")


def hold(src, port, n, seconds):
    conns, refused = [], 0
    for _ in range(n):
        s = connect(port, src)
        s.sendall(b"G")
        if closed_within(s, 0.3):
            refused += 1
            s.close()
        else:
            conns.append(s)
    print("refused %d kept %d" % (refused, len(conns)), flush=True)
    end = time.monotonic() + seconds
    header = b"ET /metrics HTTP/1.1\r\nX-Slow: " + b"a" * 10000
    i = 0
    while time.monotonic() < end:
        for s in conns:
            try:
                s.send(header[i:i + 1])
            except OSError:
                pass
        i = (i + 1) % len(header)
        time.sleep(0.5)


def bigheader(port, size):
    s = connect(port)
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * size + b"\r\n\r\n"
    try:
        s.sendall(req)
    except OSError:
        pass
    s.settimeout(10)
    try:
        data = s.recv(200)
    except OSError:
        data = b""
    print(data.split(b"\r\n", 1)[0].decode() if data else "closed")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "idle":
        idle(int(args[0]), float(args[1]))
    elif cmd == "hold":
        hold(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif cmd == "bigheader":
        bigheader(int(args[0]), int(args[1]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
