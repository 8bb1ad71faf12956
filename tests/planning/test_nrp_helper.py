"""The helper process of the NRP dives: answers in order, a request that raises gets an error and the helper stays
up, closing it ends the process; a whole-instance dive takes the helper's roster too."""

import math
import os
import time
from pathlib import Path

import pytest

from radhus.planning.nrp import _Search, parse_nrp_file, roster_objective
from radhus.planning.nrp_construct import row_violation
from radhus.planning.nrp_helper import Helper, HelperError

NRP = Path("/work/shared/bench/nrp-curtois")


def test_the_helper_answers_in_another_process_survives_a_failing_request_and_ends_when_closed():
    helper = Helper()
    try:
        assert helper.submit(os.getpid).result(timeout=60) == helper.process.pid != os.getpid()
        with pytest.raises(HelperError, match="ValueError: math domain error"):
            helper.submit(math.sqrt, -1.0).result(timeout=60)
        assert helper.submit(math.sqrt, 16.0).result(timeout=60) == 4.0
        assert helper.process.poll() is None
    finally:
        helper.close()
    assert helper.process.poll() is not None


@pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")
def test_a_whole_instance_dive_also_takes_the_helpers_roster(monkeypatch):
    inst = parse_nrp_file(NRP / "Instance4.txt")  # its root LP is proven in about a second, on a slow machine too
    search = _Search(inst, time.monotonic() + 60, time.monotonic(), 2, 1)
    search.construct(1.0, long_rows=False)
    start = search.objective
    collected, failures = [], []
    real_collect = _Search._collect

    def recorded(self, future, stop, default):
        collected.append(real_collect(self, future, stop, default))
        failures.append(future.exception(timeout=0) if future.done() else "no answer in time")
        return collected[-1]

    monkeypatch.setattr(_Search, "_collect", recorded)
    search.helper = Helper()
    try:
        search.dive(15.0)
    finally:
        search.close_helper()
    [(roster, _)] = collected
    assert roster is not None, failures
    assert all(row_violation(inst, e, row) is None for e, row in enumerate(roster))
    assert search.objective is not None and search.objective <= roster_objective(inst, roster) < start
