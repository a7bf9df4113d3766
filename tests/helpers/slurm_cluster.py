"""A throw-away single-node SLURM cluster on 127.0.0.1 for tests/test_slurm.py.

It runs Debian's slurm-wlm and munge (the Makefile's test target installs them). Config, state,
logs, pid files, the munge key and its socket all live under one temporary folder; the daemons
are stopped by the pids in their pid files, never by name. The facts and pitfalls behind the
settings were measured on this kind of machine: ../shared/notes/slurm-local.md.
"""

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = (
    "mungekey",
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "squeue",
    "scancel",
    "scontrol",
    "sinfo",
)
# Job steps look for their config only here: the jobstep plugin strips SLURM_CONF (and every
# other SLURM_* variable) before its inner srun. The cluster links its config here while it runs.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
# Every folder this module makes starts with this, so a link left by a killed run is recognisable.
PREFIX = "xrayseg-slurm-"
# Two test runs on one machine would fight over SYSTEM_CONF: the second waits for the first.
LOCK = Path(tempfile.gettempdir()) / "xrayseg-slurm.lock"
PARTITION = "debug"
STOP_ORDER = ("slurmd", "slurmctld", "munged")
# Memory the test node advertises: two training jobs (16 GB each in rules/train.smk) side by side.
NODE_MEMORY_MB = 64000
# The daemons live in sbin, which a non-login PATH may lack.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


class ClusterError(RuntimeError):
    """The test cluster failed to come up or to go down."""


def unavailable_reason():
    """Why this machine cannot host the test cluster, or None when it can."""
    missing = [name for name in BINARIES if shutil.which(name, path=SEARCH_PATH) is None]
    if missing:
        return (
            f"SLURM/munge programs not installed ({', '.join(missing)}); `make test` installs "
            "Debian's slurm-wlm and munge when it runs as root"
        )
    if os.geteuid() != 0:
        return f"needs root: the daemons run as root and the config is linked at {SYSTEM_CONF}"
    if SYSTEM_CONF.exists() and not is_ours(SYSTEM_CONF):
        return f"{SYSTEM_CONF} exists (a real SLURM set-up?); the test does not replace it"
    return None


def is_ours(path):
    """A link that this module made (possibly left behind by a killed test run)."""
    return path.is_symlink() and Path(os.readlink(path)).parent.name.startswith(PREFIX)


def free_ports(count):
    """Distinct loopback ports that are free now."""
    ports = set()
    while len(ports) < count:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.add(probe.getsockname()[1])
    return sorted(ports)


def is_running(pid):
    """True while `pid` is a live process (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(what, check, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class LocalSlurm:
    """Paths of one test cluster, and the pids of its daemons once they run."""

    root: Path
    cpus: int
    host: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    pids: dict = field(default_factory=dict)

    @property
    def conf(self):
        return self.root / "slurm.conf"

    @property
    def munge_socket(self):
        return self.root / "munge" / "munge.socket"

    @property
    def jobcomp(self):
        """SLURM's own record of every finished job (jobcomp/filetxt), one line per job."""
        return self.root / "jobcomp.txt"

    def pid_file(self, daemon):
        return self.root / "run" / f"{daemon}.pid"

    def log_file(self, daemon):
        return self.root / "log" / f"{daemon}.log"

    @property
    def env(self):
        return {**os.environ, "PATH": SEARCH_PATH, "SLURM_CONF": str(self.conf)}

    def run(self, *command, check=True):
        """A SLURM client command against this cluster; returns its stdout."""
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=30, check=False
        )
        if check and result.returncode != 0:
            raise ClusterError(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result.stdout

    def jobs(self):
        """Every job slurmctld remembers (MinJobAge keeps finished ones for 10 minutes).

        id -> scontrol's fields: JobState, Comment, NumCPUs, MinMemoryNode, TimeLimit,
        TresPerJob (the GPU request), ...
        """
        out = self.run("scontrol", "show", "job", "--oneliner", check=False)
        jobs = {}
        for line in out.splitlines():
            fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
            if "JobId" in fields:
                jobs[fields["JobId"]] = fields
        return jobs

    def finished_jobs(self):
        """The jobcomp records: id -> {JobState, ExitCode, NodeList, ...}."""
        if not self.jobcomp.exists():
            return {}
        records = {}
        for line in self.jobcomp.read_text().splitlines():
            fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
            if "JobId" in fields:
                records[fields["JobId"]] = fields
        return records

    def nothing_runs(self):
        busy = ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED")
        return not any(job.get("JobState") in busy for job in self.jobs().values())

    def log_tails(self, lines=30):
        """The end of each daemon log, for failure messages."""
        parts = []
        for daemon in ("slurmctld", "slurmd", "munged"):
            path = self.log_file(daemon)
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(parts)

    def write_config(self):
        for folder in ("munge", "run", "log", "state", "spool"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        controller_port, node_port = free_ports(2)
        self.conf.write_text(
            f"""\
# Single-node test cluster, loopback only; written by tests/slurm_cluster.py.
ClusterName=xrayseg-test
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={controller_port}
SlurmdPort={node_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
# Finished jobs stay visible to squeue (the status command without accounting) for 10 minutes.
MinJobAge=600
StateSaveLocation={self.root / "state"}
SlurmdSpoolDir={self.root / "spool"}
SlurmctldPidFile={self.pid_file("slurmctld")}
SlurmdPidFile={self.pid_file("slurmd")}
SlurmctldLogFile={self.log_file("slurmctld")}
SlurmdLogFile={self.log_file("slurmd")}
# The node is a small GPU node: its real CPUs; memory and two GPUs as the profile's jobs expect.
# The GPUs are a generic resource backed by /dev/null and /dev/zero, so SLURM schedules GPU
# requests for real (and sets CUDA_VISIBLE_DEVICES) while the jobs compute on the CPU. Nothing
# enforces memory here (no cgroups) and the test's jobs use well under 1 GB each.
SlurmdParameters=config_overrides
GresTypes=gpu
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={NODE_MEMORY_MB} Gres=gpu:2
PartitionName={PARTITION} Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
"""
        )
        # slurmd reads gres.conf from the folder of slurm.conf.
        gres = f"NodeName={self.host} Name=gpu File=/dev/null,/dev/zero\n"
        (self.root / "gres.conf").write_text(gres)

    def start_daemon(self, daemon, *command):
        # The daemon forks into the background: no pipes, or run() would wait for it to exit.
        errors = self.root / "log" / f"{daemon}.start.err"
        with open(errors, "w") as stderr:
            started = subprocess.run(
                command, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr, timeout=30
            )
        if started.returncode != 0:
            raise ClusterError(f"{command[0]} failed to start: {errors.read_text().strip()}")
        pid_file = self.pid_file(daemon)
        wait_for(f"{pid_file}", lambda: pid_file.exists() and pid_file.read_text().strip())
        self.pids[daemon] = int(pid_file.read_text().split()[0])

    def start(self):
        key = self.root / "munge" / "munge.key"
        subprocess.run(
            ["mungekey", "--create", f"--keyfile={key}"], env=self.env, check=True, timeout=30
        )
        self.start_daemon(
            "munged",
            "munged",
            f"--socket={self.munge_socket}",
            f"--key-file={key}",
            f"--pid-file={self.pid_file('munged')}",
            f"--log-file={self.log_file('munged')}",
            f"--seed-file={self.root / 'munge' / 'munged.seed'}",
        )
        link_system_conf(self.conf)
        self.start_daemon("slurmctld", "slurmctld", "-f", str(self.conf))
        wait_for(
            "slurmctld to answer",
            lambda: "UP" in self.run("scontrol", "ping", check=False),
        )
        self.start_daemon("slurmd", "slurmd", "-f", str(self.conf))
        wait_for(
            "the node to be idle",
            lambda: self.run("sinfo", "--noheader", "--format=%T", check=False).strip() == "idle",
        )

    def stop(self):
        """Cancel what is left, stop the daemons by pid (munged last), unlink the system config."""
        if "slurmctld" in self.pids and is_running(self.pids["slurmctld"]):
            self.run("scancel", "--user", str(os.getuid()), check=False)
            with contextlib.suppress(ClusterError):
                wait_for("cancelled jobs to end", self.nothing_runs, timeout=20)
        for daemon in STOP_ORDER:
            pid = self.pids.get(daemon)
            if pid is None or not is_running(pid):
                continue
            os.kill(pid, signal.SIGTERM)
            try:
                wait_for(f"{daemon} ({pid}) to exit", lambda pid=pid: not is_running(pid), 15)
            except ClusterError:
                os.kill(pid, signal.SIGKILL)
                wait_for(f"{daemon} ({pid}) to die", lambda pid=pid: not is_running(pid), 5)
        unlink_system_conf(self.conf)


def link_system_conf(conf):
    if is_ours(SYSTEM_CONF):
        # Left by a test run that was killed; holding the lock, no live run owns it.
        SYSTEM_CONF.unlink()
    if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
        raise ClusterError(f"{SYSTEM_CONF} exists; the test does not replace it")
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONF.symlink_to(conf)


def unlink_system_conf(conf):
    """Remove the system config link, but only our own."""
    if SYSTEM_CONF.is_symlink() and os.readlink(SYSTEM_CONF) == str(conf):
        SYSTEM_CONF.unlink()


@contextlib.contextmanager
def exclusive_lock(timeout=900):
    with open(LOCK, "w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as busy:
                if time.monotonic() > deadline:
                    raise ClusterError(f"another test cluster holds {LOCK}") from busy
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def local_slurm():
    """Bring a test cluster up, yield its LocalSlurm, tear it down whatever happens.

    Check unavailable_reason() first; this raises ClusterError where it cannot be done.
    """
    reason = unavailable_reason()
    if reason:
        raise ClusterError(reason)
    with exclusive_lock():
        # A short path: the munge socket's path must stay under the 108-byte limit.
        root = Path(tempfile.mkdtemp(prefix=PREFIX))
        # munged wants every folder above its socket searchable by all.
        root.chmod(0o755)
        cluster = LocalSlurm(root=root, cpus=os.cpu_count() or 1)
        try:
            cluster.write_config()
            try:
                cluster.start()
            except (ClusterError, subprocess.SubprocessError) as failed:
                raise ClusterError(f"{failed}\n{cluster.log_tails()}") from failed
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(root, ignore_errors=True)
