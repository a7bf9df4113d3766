"""Turn SIGTERM (a cluster preempting or cancelling the job) into a clean, resumable stop.

Python's default SIGTERM handling kills the process on the spot. Raising an exception instead
lets every `atomic_output` block remove its temporary file, so the last complete resume
checkpoint stays in place and no final output appears; the rerun resumes from that checkpoint.
"""

import contextlib
import logging
import signal

log = logging.getLogger(__name__)


class Preempted(SystemExit):
    """Raised in the main thread when SIGTERM arrives; exits with status 143 (128 + SIGTERM)."""

    def __init__(self):
        super().__init__(128 + signal.SIGTERM)


@contextlib.contextmanager
def stop_on_sigterm():
    """Within the block, SIGTERM raises Preempted; the previous handler is restored after."""

    def handler(signum, frame):
        log.warning("SIGTERM: stopping; a rerun resumes from the last validation's checkpoint")
        raise Preempted()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
