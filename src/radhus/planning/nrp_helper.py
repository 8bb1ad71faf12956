"""A second process for the NRP dives (nrp._Search): column generation with diving is single-threaded Python (the
row DP, GLOP), so on a machine with two cores one of them idles while it runs. The helper dives at the same time:
another dive over the whole instance, or a second window of a long horizon.

It is a fresh interpreter running this module (not multiprocessing, whose spawned children re-import the caller's
main script): it reads pickled (function, arguments) requests on stdin, calls the function (a module-level one, which
pickles by name) and writes the pickled result on a private copy of its stdout, whose own descriptor points at stderr
so that nothing a library prints can corrupt the answers. Deadlines travel on the monotonic clock, which processes
share.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the radhus package


class Helper:
    """The helper process; one request at a time. A request whose function raises gets a HelperError."""

    def __init__(self) -> None:
        path = os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        self._reader = ThreadPoolExecutor(1)

    def submit(self, function: Callable, *args: Any) -> Future:
        """The future result of function(*args) in the helper process."""
        assert self.process.stdin is not None and self.process.stdout is not None
        pickle.dump((function, args), self.process.stdin)
        self.process.stdin.flush()
        return self._reader.submit(_answer, self.process.stdout)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        self._reader.shutdown(wait=False)


class HelperError(RuntimeError):
    """The function raised in the helper process (which stays up for the next request)."""


def _answer(stream: IO[bytes]) -> Any:
    done, value = pickle.load(stream)
    if not done:
        raise HelperError(value)
    return value


def main() -> None:
    from radhus.planning.nrp_kernels import warm_up

    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    warm_up()
    while True:
        try:
            function, args = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as error:  # noqa: BLE001 - the caller decides what a failed request costs
            answer = (False, f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers)
        answers.flush()


if __name__ == "__main__":
    main()
