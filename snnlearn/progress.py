"""Progress reporting for long simulations: a progress bar with elapsed time and ETA.

Quiet when output is not a terminal (CI logs) or when asked to be. The same reporter
serves Python loops (:meth:`Progress.iterate`) and Brian2 runs in runtime mode
(:meth:`Progress.brian_report`, Brian2's ``report`` hook). A ``cpp_standalone`` binary
cannot call back into Python; there the run is announced and timed.
"""

import sys
import time

from tqdm.auto import tqdm

__all__ = ["Progress"]


class Progress:
    """Progress reporter.

    Parameters
    ----------
    quiet : bool
        Never print.
    stream : file
        Where bars go (default ``sys.stderr``); bars are drawn only if it is a terminal.
    """

    def __init__(self, quiet=False, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = (not quiet) and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.calls = 0  # how often a bar was advanced (tests read it)

    def iterate(self, iterable, total=None, desc=""):
        """Wrap ``iterable`` in a progress bar."""
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        bar = tqdm(total=total, desc=desc, disable=not self.enabled, file=self.stream, leave=False,
                   unit="it", dynamic_ncols=True)
        try:
            for item in iterable:
                yield item
                self.calls += 1
                bar.update(1)
        finally:
            bar.close()

    def brian_report(self, desc="simulating"):
        """A callable for ``Network.run(..., report=...)`` in runtime mode.

        Brian2 calls it as ``report(elapsed, completed, start, duration)`` with
        ``completed`` in [0, 1].
        """
        state = {"bar": None}

        def report(elapsed, completed, start, duration):
            self.calls += 1
            if state["bar"] is None:
                state["bar"] = tqdm(total=1000, desc=desc, disable=not self.enabled, file=self.stream,
                                    leave=False, bar_format="{l_bar}{bar}| {elapsed}<{remaining}",
                                    dynamic_ncols=True)
            bar = state["bar"]
            bar.n = int(round(1000 * float(completed)))
            bar.refresh()
            if completed >= 1.0:
                bar.close()
                state["bar"] = None

        return report

    def message(self, text):
        """A one-line status message (only on a terminal)."""
        if self.enabled:
            print(text, file=self.stream, flush=True)


def format_duration(seconds):
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(seconds, 60)
    return f"{int(minutes)} min {sec:.0f} s"


def timer():
    return time.perf_counter()
