# Every expected problem ends the console output as one line naming the file or key, the problem
# and the fix (xrayseg.io.errors): a failing job's lines are printed again after Snakemake's own
# report; the checks that need the jobs to run (the device they use, the folders they write) stop
# the run before the first job; Snakemake's report of a failed job lists a few of its inputs,
# not every slice file.

import atexit
import sys
import time

from snakemake.logging import logger as snakemake_logger
from snakemake_interface_logger_plugins.common import LogEvent

from xrayseg.io.errors import written_error_lines
from xrayseg.settings.startchecks import device_problem, unwritable_problems

# The error files of this run's failed jobs are those written after this (job processes write
# them; this is the main process, which reads the Snakefile before any job starts).
RUN_STARTED = time.time()
# Inputs Snakemake lists in its report of a failed job before it says how many there are.
FAILED_JOB_INPUTS_SHOWN = 3


def shorten_failed_job_inputs(record):
    """Snakemake's report of a failed job with its inputs cut to a few and a count: ingest's
    inputs are every slice file, and hundreds of paths would bury the job's message."""
    inputs = getattr(record, "input", None)
    if getattr(record, "event", None) == LogEvent.JOB_ERROR and isinstance(inputs, list):
        if len(inputs) > FAILED_JOB_INPUTS_SHOWN + 1:
            shown = inputs[:FAILED_JOB_INPUTS_SHOWN]
            record.input = [*shown, f"... ({len(inputs)} input files in all)"]
    return True


snakemake_logger.addFilter(shorten_failed_job_inputs)


def cuda_devices():
    """(number of CUDA devices torch sees, torch's version); (None, None) without torch here
    (rules in conda envs): the jobs check then."""
    try:
        import torch
    except ImportError:
        return None, None
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return count, torch.__version__


def start_problems(jobs, local):
    """One line per problem that would stop the jobs about to run. local: whether they run on
    this machine (a cluster's jobs run elsewhere, and check their device there)."""
    problems = []
    uses_device = any("device" in job.params.keys() for job in jobs)
    if local and uses_device and config["device"] != "auto":
        count, version = cuda_devices()
        problem = None if count is None else device_problem(config["device"], count, version)
        if problem:
            problems.append(f"config error: {problem}")
    written = [
        path
        for job in jobs
        for path in [*job.output, *job.log, *([job.benchmark] if job.benchmark else [])]
    ]
    problems += [f"error: {problem}" for problem in unwritable_problems(written)]
    return problems


def print_last(lines):
    """Print `lines` after everything else (Snakemake's last words included)."""
    print("\n".join(lines), file=sys.stderr, flush=True)


onstart:
    _start_problems = start_problems(list(workflow.dag.needrun_jobs()), workflow.local_exec)
    if _start_problems:
        raise SystemExit("\n".join(_start_problems))


onerror:
    _lines = written_error_lines(RUN_STARTED)
    if _lines:
        atexit.register(print_last, _lines)
