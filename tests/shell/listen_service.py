#!/usr/bin/python3
"""A socket-activated service for test_sockets.sh, as sd_listen_fds(3)
expects one: it takes LISTEN_FDS descriptors from 3 up (only if LISTEN_PID
is its own pid), records its pid in OUT.pids and what it was given in
OUT.json (its environment's LISTEN_*, and for each descriptor what fstat and
getsockname say), then answers on every socket: a stream connection gets
"pid PID fd N\n" and is closed, a datagram gets the same line back.

usage: listen_service.py OUT [READY_FD]    (READY_FD: ready = fd:N's, a
line written to it once the record is made)
"""
import fcntl
import json
import os
import select
import socket
import stat
import sys

out = sys.argv[1]
pid = os.getpid()
with open(out + ".pids", "a") as f:
    f.write("%d\n" % pid)

n = 0
if os.environ.get("LISTEN_PID") == str(pid):
    n = int(os.environ.get("LISTEN_FDS", "0"))
fds = {}
info = {"pid": pid, "env": {k: v for k, v in os.environ.items()
                            if k.startswith("LISTEN_")}, "fds": []}
for fd in range(3, 3 + n):
    st = os.fstat(fd)
    nonblocking = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
    s = socket.socket(fileno=fd)
    name = s.getsockname()
    if isinstance(name, bytes):     # abstract: b"\0name"
        name = "@" + name[1:].decode()
    elif isinstance(name, tuple):
        name = list(name[:2])
    info["fds"].append({
        "fd": fd, "socket": stat.S_ISSOCK(st.st_mode), "ino": st.st_ino,
        "type": "stream" if s.type == socket.SOCK_STREAM else "dgram",
        "family": s.family.name, "name": name,
        "listening": s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
        "inheritable": os.get_inheritable(fd),
        "nonblocking": nonblocking})
    fds[fd] = s
# the descriptors open past the sockets (the listing's own aside)
info["open"] = sorted(int(x) for x in os.listdir("/proc/self/fd"))
with open(out + ".json.tmp", "w") as f:
    json.dump(info, f)
os.rename(out + ".json.tmp", out + ".json")
if len(sys.argv) > 2:
    os.write(int(sys.argv[2]), b"ready\n")

while True:
    ready, _, _ = select.select(list(fds.values()), [], [])
    for s in ready:
        line = ("pid %d fd %d\n" % (pid, s.fileno())).encode()
        try:
            if s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                c.setblocking(True)
                c.sendall(line)
                c.close()
            else:
                _, addr = s.recvfrom(4096)
                s.sendto(line, addr)
        except BlockingIOError:
            pass
