#!/usr/bin/python3
# notify_client.py [--fork] [--go] [--sleep S] [--big N] [--done] FILE: sends each line of
# FILE (a literal \n in it is a newline) as one sd_notify datagram to
# $NOTIFY_SOCKET, S seconds apart (first after S too); --big N sends N bytes
# first; --fork sends from a grandchild; --go waits for FILE.go first. Then sleeps, so that the sender is
# alive when guardiand reads what it sent. Once all are sent, --done writes
# FILE.done. Just before each datagram, the time (ns) is added to FILE.sent.
import os, socket, sys, time

args = sys.argv[1:]
fork = False
gap = 0.0
big = 0
done = None
go = False
while args and args[0].startswith("--"):
    a = args.pop(0)
    if a == "--fork":
        fork = True
    elif a == "--sleep":
        gap = float(args.pop(0))
    elif a == "--big":
        big = int(args.pop(0))
    elif a == "--done":
        done = True
    elif a == "--go":
        go = True
msgs = [l.rstrip("\n").replace("\\n", "\n") for l in open(args[0])]
if fork:
    if os.fork() != 0:
        while True:
            time.sleep(1000)
    if os.fork() != 0:
        os._exit(0)
while go and not os.path.exists(args[0] + ".go"):
    time.sleep(0.02)
path = os.environ["NOTIFY_SOCKET"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if big:
    s.sendto(b"READY=1" + b"x" * big, path)
for m in msgs:
    time.sleep(gap)
    with open(args[0] + ".sent", "a") as f:
        f.write("%d\n" % time.time_ns())
    s.sendto(m.encode(), path)
if done:
    open(args[0] + ".done", "w").close()
while True:
    time.sleep(1000)
