#!/usr/bin/python3
"""A client of listen_service.py for test_sockets.sh: connects to ADDR (an
absolute path, @name, HOST:PORT or [V6]:PORT; udp:HOST:PORT sends a
datagram) and prints the line the service answers.

  --mark FILE    create FILE once connected (before the answer comes)
  --until FILE   again and again until FILE exists: prints how many
                 connections were answered; any failure (a refused
                 connection, no answer) is printed on stderr, exit 1
  --timeout S    how long one answer may take (default 20)
"""
import argparse
import os
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("addr")
ap.add_argument("--mark")
ap.add_argument("--until")
ap.add_argument("--timeout", type=float, default=20)
a = ap.parse_args()


def once():
    addr, dgram = a.addr, a.addr.startswith("udp:")
    if dgram:
        addr = addr[4:]
    if addr.startswith("/") or addr.startswith("@"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = "\0" + addr[1:] if addr.startswith("@") else addr
    else:
        host, port = addr.rsplit(":", 1)
        v6 = host.startswith("[")
        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                          socket.SOCK_DGRAM if dgram else socket.SOCK_STREAM)
        target = (host.strip("[]"), int(port))
    s.settimeout(a.timeout)
    try:
        if dgram:
            s.sendto(b"x", target)
        else:
            s.connect(target)
        if a.mark:
            open(a.mark, "w").close()
        line = b""
        while not line.endswith(b"\n"):
            b = s.recv(100)
            if not b:
                break
            line += b
        return line.decode().strip()
    finally:
        s.close()


if not a.until:
    print(once())
    sys.exit(0)
n = 0
while not os.path.exists(a.until):
    try:
        r = once()
        if not r.startswith("pid "):
            raise OSError("no answer: %r" % r)
        n += 1
    except OSError as e:
        print("connection %d: %s" % (n + 1, e), file=sys.stderr)
        sys.exit(1)
    time.sleep(0.01)
print(n)
