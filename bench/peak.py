"""`python -m bench.peak OUT_FILE CMD...`: run CMD and write its own peak RSS (bytes) to OUT_FILE.

Linux carries a process's RSS high-water mark across fork and exec, so a child of the big
benchmark process would report the parent's peak as its own; started from this small
launcher, the measured command's figure is its own (plus at most this launcher's ~10 MB).
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out, "w") as handle:
        handle.write(str(usage.ru_maxrss * 1024))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
