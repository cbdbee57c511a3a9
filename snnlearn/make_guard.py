"""``make`` for Brian2's ``cpp_standalone`` builds, telling snnlearn when Ctrl-C stopped it.

Brian2 compiles with ``os.system``, and while ``system(3)`` waits the calling process
ignores SIGINT. A Ctrl-C in the terminal reaches the whole foreground process group: it
stops ``make``, but snnlearn only sees a failed compilation ("Project compilation failed").
Run as Brian2's ``make`` command (``python -m snnlearn.make_guard -j2``), this wrapper runs
``make`` with the same arguments; on SIGINT or SIGTERM it passes the signal on, waits for
``make``, touches the file named by ``SNNLEARN_MAKE_INTERRUPTED`` and exits 130, so that
:func:`snnlearn.devices.use_device` turns the failure into an interruption.
"""

import contextlib
import os
import signal
import subprocess
import sys

#: Environment variable naming the file this wrapper creates when it was interrupted.
FLAG_ENV = "SNNLEARN_MAKE_INTERRUPTED"


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    make = subprocess.Popen(["make", *args])
    interrupted = []

    def stop(signum, frame):
        interrupted.append(signum)
        with contextlib.suppress(ProcessLookupError):
            make.send_signal(signum)  # a terminal's Ctrl-C reached make already; a signal sent to us alone did not

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = make.wait()
    if interrupted:
        flag = os.environ.get(FLAG_ENV)
        if flag:
            with open(flag, "w"):
                pass
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
