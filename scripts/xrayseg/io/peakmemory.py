"""The peak memory of this process, for the logs and summaries of long jobs."""

import resource
import sys


def peak_memory_mb():
    """The most resident memory this process has held so far, in MB (getrusage; Linux reports
    kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
