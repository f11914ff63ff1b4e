"""Stands in for systemd's notify socket: prints every datagram the exporter sends, one per line,
to the file given as second argument, until killed."""
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "w", buffering=1) as f:
    f.write("listening\n")
    while True:
        data = s.recv(4096).decode(errors="replace")
        f.write(data.replace("\n", " ") + "\n")
