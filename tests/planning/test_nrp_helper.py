"""The helper process of the NRP dives: answers in order, a request that raises gets an error and the helper stays
up, closing it ends the process."""

import math
import os

import pytest

from radhus.planning.nrp_helper import Helper, HelperError


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
