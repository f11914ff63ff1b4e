#!/usr/bin/env python3
"""Misbehaving HTTP clients for tests/e2e/web.sh, each printing one line to check.

  idle PORT SECONDS            connect, send nothing; print "closed after N s" or "open"
  hold SRC PORT N SECONDS      open N connections from address SRC that send one header byte
                               every 0.5 s; print how many the server closed at once (within
                               0.3 s) and how many it kept; keeps them SECONDS, then exits
  bigheader PORT BYTES         GET /metrics with one header of BYTES bytes; print the status
                               line, or "closed" when the server hung up without one
  headers PORT N               GET /metrics with N small headers; print the status line
  send PORT REQUEST            send REQUEST (Python escapes: \\r\\n; - reads it from standard
                               input) in one write; print the status
                               lines of every answer, comma-separated, and "closed" or
                               "no close" (the connection was still open after 5 s)
  pipeline PORT N              N GETs in one write (/metrics and /healthz alternating, the last
                               /nope with Connection: close); print "N answers in order" when
                               every answer came with the right status in order
  body PORT METHOD PATH cl|chunked MIB
                               METHOD PATH with a MIB MiB body (Content-Length or chunked) sent
                               as fast as the server takes it; print the status line and
                               "closed early" (the server hung up before the body ended) or
                               "all sent"
  stall SRC PORT N SECONDS     N TLS clients from address SRC that stall the handshake: even
                               ones never send a ClientHello, odd ones send half of one. Print
                               "refused R kept K" (closed at once or not), then wait up to
                               SECONDS and print "closed K after S s" or "open M"
  flood PORT N                 N connections as fast as possible, in turn closed at once, reset,
                               closed after a request, reset after one, or left half a request
                               in (those are reset at the end); print "done"
  slowread PORT N SECONDS      N connections that each send 1000 pipelined GET /metrics (half of
                               them asking for gzip) and never read an answer; print "held N"
                               once they are sent, keep them SECONDS, then exit
  guess PORT USER A N SECONDS  password guessing: N clients on each of the addresses 127.0.3.1 to
                               127.0.3.A, each sending GET /metrics as USER with a new random
                               password (HTTP/1.0) as fast as answers come, for SECONDS; print
                               the count of each status ("401=... 429=... 503=...") and
                               "errors=N" for connections that failed
A PORT of the form tls:PORT speaks TLS (without checking the server's certificate).
"""
import re
import select
import socket
import ssl
import struct
import sys
import threading
import time


def connect(port, src=None):
    tls = isinstance(port, str) and port.startswith("tls:")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", int(port[4:]) if tls else int(port)))
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s


def read_all(s, seconds):
    """Everything the server sends until it closes; None for the end when it did not."""
    s.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except (ConnectionResetError, ssl.SSLError):
        return data, True


def status_lines(data):
    """Status lines at line starts; a metrics body ends in a bare newline before the next one."""
    return [m.decode("latin-1") for m in re.findall(rb"(?:^|\n)(HTTP/1\.[01] \d{3}[^\r\n]*)", data)]


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


def headers(port, n):
    s = connect(port)
    extra = b"".join(b"X-H%d: v\r\n" % i for i in range(n))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n")
    data, _ = read_all(s, 10)
    print(data.split(b"\r\n", 1)[0].decode() if data else "closed")


def send(port, request):
    if request == "-":
        request = sys.stdin.read()
    s = connect(port)
    s.sendall(request.encode("latin-1").decode("unicode_escape").encode("latin-1"))
    data, closed = read_all(s, 5)
    print(", ".join(status_lines(data) + ["closed" if closed else "no close"]))


def pipeline(port, n):
    reqs, want = [], []
    for i in range(n - 1):
        path = "/metrics" if i % 2 == 0 else "/healthz"
        reqs.append(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        want.append("HTTP/1.1 200 OK")
    reqs.append(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    want.append("HTTP/1.1 404 Not Found")
    s = connect(port)
    s.sendall(b"".join(reqs))
    data, _ = read_all(s, 20)
    got = status_lines(data)
    if got == want:
        print("%d answers in order" % n)
    else:
        print("%d answers, first difference at %s" %
              (len(got), next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), len(got))))


def body(port, method, path, mode, mib):
    s = connect(port)
    total = mib << 20
    head = b"%s %s HTTP/1.1\r\nHost: x\r\n" % (method.encode(), path.encode())
    block = b"a" * 65536
    if mode == "chunked":
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        block = b"10000\r\n" + block + b"\r\n"
    else:
        head += b"Content-Length: %d\r\n\r\n" % total
    sent, early = 0, False
    s.settimeout(10)
    try:
        s.sendall(head)
        while sent < total:
            s.sendall(block)
            sent += 65536
        if mode == "chunked":
            s.sendall(b"0\r\n\r\n")
    except (OSError, ssl.SSLError):
        early = True
    data, _ = read_all(s, 5)
    line = data.split(b"\r\n", 1)[0].decode() if data else "no answer"
    print("%s, %s" % (line, "closed early" if early else "all sent"))


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def stall(src, port, n, seconds):
    hello = client_hello()
    conns = []
    for i in range(n):
        s = connect(port, src)
        if i % 2:
            s.sendall(hello[:len(hello) // 2])
        conns.append(s)
    start = time.monotonic()
    time.sleep(0.5)
    readable, _, _ = select.select(conns, [], [], 0)
    refused = [s for s in readable if closed_within(s, 0)]
    kept = [s for s in conns if s not in refused]
    print("refused %d kept %d" % (len(refused), len(kept)), flush=True)
    open_ = list(kept)
    while open_ and time.monotonic() - start < seconds:
        readable, _, _ = select.select(open_, [], [], 0.1)
        open_ = [s for s in open_ if s not in readable or not closed_within(s, 0)]
    if open_:
        print("open %d" % len(open_))
    else:
        print("closed %d after %d s" % (len(kept), round(time.monotonic() - start)))


def flood(port, n):
    held = []

    def worker(first):
        for i in range(first, n, 8):
            try:
                s = connect(port)
                kind = i % 5
                if kind in (2, 3):
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                if kind in (1, 3):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                if kind == 4:
                    s.sendall(b"GET /met")
                    held.append(s)
                else:
                    s.close()
            except OSError:
                pass
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in held:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print("done")


def slowread(port, n, seconds):
    req = (b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n" * 500 +
           b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 500)
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", int(port)))
        s.setblocking(False)
        try:
            s.send(req)
        except BlockingIOError:
            pass
        conns.append(s)
    time.sleep(1)
    print("held %d" % n, flush=True)
    time.sleep(seconds)


def guess(port, user, addresses, n, seconds):
    import base64
    import os
    counts = {}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker(src):
        while time.monotonic() < end:
            cred = base64.b64encode(("%s:%s" % (user, os.urandom(8).hex())).encode()).decode()
            req = ("GET /metrics HTTP/1.0\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n"
                   % cred).encode()
            try:
                s = connect(port, src)
                s.sendall(req)
                lines = status_lines(read_all(s, 30)[0])
                s.close()
                key = lines[0].split()[1] if lines else "errors"
            except OSError:
                key = "errors"
            with lock:
                counts[key] = counts.get(key, 0) + 1
    threads = [threading.Thread(target=worker, args=("127.0.3.%d" % (a + 1),))
               for a in range(addresses) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts.setdefault("errors", 0)
    print(" ".join("%s=%d" % (k, counts[k]) for k in sorted(counts)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "idle":
        idle(int(args[0]), float(args[1]))
    elif cmd == "hold":
        hold(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif cmd == "bigheader":
        bigheader(args[0], int(args[1]))
    elif cmd == "headers":
        headers(args[0], int(args[1]))
    elif cmd == "send":
        send(args[0], args[1])
    elif cmd == "pipeline":
        pipeline(args[0], int(args[1]))
    elif cmd == "body":
        body(args[0], args[1], args[2], args[3], int(args[4]))
    elif cmd == "stall":
        stall(args[0], args[1], int(args[2]), float(args[3]))
    elif cmd == "slowread":
        slowread(args[0], int(args[1]), float(args[2]))
    elif cmd == "flood":
        flood(args[0], int(args[1]))
    elif cmd == "guess":
        guess(args[0], args[1], int(args[2]), int(args[3]), float(args[4]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
