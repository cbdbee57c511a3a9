"""``make`` for Brian2's ``cpp_standalone`` builds, telling snnlearn when Ctrl-C stopped it.

Brian2 compiles with ``os.system``, and while ``system(3)`` waits the calling process
ignores SIGINT. A Ctrl-C in the terminal reaches the whole foreground process group: it
stops ``make``, but snnlearn only sees a failed compilation ("Project compilation failed").
Run as Brian2's ``make`` command (``python -S .../snnlearn/make_guard.py -j2``: the standard
library only, so that it is listening for SIGINT within milliseconds), this wrapper runs
``make`` with the same arguments; on SIGINT or SIGTERM it passes the signal on, waits for
``make``, touches the file named by ``SNNLEARN_MAKE_INTERRUPTED`` and exits 130, so that
:func:`snnlearn.devices.use_device` turns the failure into an interruption.

It also ties the compilation to snnlearn's life: ``make`` and its compilers run in their
own process group, which the wrapper kills when the snnlearn process named by
``SNNLEARN_MAKE_OWNER`` is gone (``kill -9``), so no compiler keeps writing into the shared
build cache without its lock.
"""

import contextlib
import os
import signal
import subprocess
import sys

#: Environment variable naming the file this wrapper creates when it was interrupted.
FLAG_ENV = "SNNLEARN_MAKE_INTERRUPTED"
#: Environment variable with the process id of the snnlearn process that wants the build.
OWNER_ENV = "SNNLEARN_MAKE_OWNER"
#: How often (s) the wrapper checks that its owner is alive.
POLL_S = 0.25


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _report_interruption():
    flag = os.environ.get(FLAG_ENV)
    if flag:
        with open(flag, "w"):
            pass


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    owner = int(os.environ.get(OWNER_ENV, "0") or 0)
    interrupted, running = [], []

    def stop(signum, frame):
        interrupted.append(signum)
        for make in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(make.pid, signum)

    # listening before make starts: a Ctrl-C at any moment from here on is passed on and reported
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    make = subprocess.Popen(["make", *args], start_new_session=True)  # its own group: killed as a whole
    running.append(make)
    if interrupted:  # the signal came while make was starting
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, interrupted[0])
    while True:
        try:
            code = make.wait(timeout=POLL_S)
            break
        except subprocess.TimeoutExpired:
            if owner and not _alive(owner):  # snnlearn was killed: the build is nobody's
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(make.pid, signal.SIGKILL)
                make.wait()
                return 137
    if interrupted:
        _report_interruption()
        return 130
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C in the few milliseconds before main() listened: make never started
        _report_interruption()
        sys.exit(130)
