"""Background work gives way to requests: counted in one process, stamped across several."""

from __future__ import annotations

import subprocess
import sys
import time

from kesu.core.activity import RequestActivity, SharedActivity

# A web process: opens the file it is given and stamps the start of a request.
WEB_PROCESS = (
    "import sys; from pathlib import Path; "
    "from kesu.core.activity import RequestActivity, SharedActivity; "
    "RequestActivity(SharedActivity(Path(sys.argv[1]))).started()"
)


def test_a_request_in_progress_makes_its_process_busy() -> None:
    activity = RequestActivity()
    assert not activity.busy()
    activity.started()
    assert activity.busy()
    activity.finished()
    assert not activity.busy()


def test_requests_of_another_process_make_the_worker_rest_a_moment() -> None:
    shared = SharedActivity.create()
    try:
        assert not shared.busy()
        subprocess.run(  # noqa: S603 - this file's own arguments
            [sys.executable, "-c", WEB_PROCESS, str(shared.path)], check=True
        )
        # Seen from the worker's process; a generous window, as start-up takes a while.
        assert SharedActivity(shared.path, recent_seconds=60).busy()
        time.sleep(0.05)
        assert not SharedActivity(shared.path, recent_seconds=0.05).busy()
        # The end of a request stamps too.
        RequestActivity(SharedActivity(shared.path)).finished()
        assert shared.busy()
    finally:
        shared.remove()
    assert not shared.path.exists()
