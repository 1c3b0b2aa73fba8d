#!/usr/bin/env python3
"""Host side of the guest's request channel (ttyS2).

The guest writes one line per request; we answer one line.
  MCE <guest-PA>   inject an action-optional uncorrectable memory error
                   (SRAO, memory scrub) at that guest physical address with
                   the QEMU monitor's `mce` command, through QMP.
Usage: vmhost.py QMP_SOCKET CHANNEL_SOCKET
"""
import json
import socket
import sys
import time

MCE_CMD = "mce -b 0 9 0xbd000000000000c0 0x5 {pa:#x} 0x8c"


def connect(path):
    for _ in range(600):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.05)
    sys.exit(f"vmhost: cannot connect to {path}")


class Qmp:
    def __init__(self, path):
        self.f = connect(path).makefile("rw")
        self.f.readline()  # greeting
        self.call("qmp_capabilities")

    def call(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if "return" in msg or "error" in msg:
                return msg

    def hmp(self, line):
        return self.call("human-monitor-command", **{"command-line": line})


def main():
    qmp = Qmp(sys.argv[1])
    chan = connect(sys.argv[2]).makefile("rw", newline="\n")
    for line in chan:
        words = line.split()
        if len(words) == 2 and words[0] == "MCE":
            pa = int(words[1], 0)
            res = qmp.hmp(MCE_CMD.format(pa=pa))
            ok = "error" not in res and not res.get("return")
            print(f"vmhost: mce at {pa:#x}: {res}", file=sys.stderr)
            chan.write("OK\n" if ok else f"ERR {res}\n")
        else:
            chan.write("ERR unknown request\n")
        chan.flush()


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, json.JSONDecodeError):
        pass  # the guest went away
