"""``make`` for Brian2's ``cpp_standalone`` builds, telling snnlearn when Ctrl-C stopped it.

Brian2 compiles with ``os.system``, and while ``system(3)`` waits the calling process
ignores SIGINT. A Ctrl-C in the terminal reaches the whole foreground process group: it
stops ``make``, but snnlearn only sees a failed compilation ("Project compilation failed").
Run as Brian2's ``make`` command (``python -m snnlearn.make_guard -j2``), this wrapper runs
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


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    owner = int(os.environ.get(OWNER_ENV, "0") or 0)
    make = subprocess.Popen(["make", *args], start_new_session=True)  # its own group: killed as a whole
    interrupted = []

    def stop(signum, frame):
        interrupted.append(signum)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
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
        flag = os.environ.get(FLAG_ENV)
        if flag:
            with open(flag, "w"):
                pass
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
