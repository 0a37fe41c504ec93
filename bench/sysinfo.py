"""What machine the figures come from, and whether anything else is using its CPU right now."""
import os
import platform
import re
import subprocess
import threading
import time

LOAD_LIMIT = 0.3  # 1-minute load average per core above which the machine does not count as idle


def _run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return ''


def machine(sgemm_binary):
    """Dict of the facts RESULTS.md reports: CPU model, cores, OpenBLAS, compiler, kernel."""
    lscpu = _run(['lscpu'])

    def field(name):
        m = re.search(r'^' + re.escape(name) + r':\s*(.+)$', lscpu, re.M)
        return m.group(1).strip() if m else '?'

    flags = field('Flags').split()
    blas_pkg = _run(['dpkg-query', '-W', '-f', '${Version}', 'libopenblas0-pthread']).strip()
    cpus, per_socket, per_core = field('CPU(s)'), field('Core(s) per socket'), field('Thread(s) per core')
    head = _run(['git', '-C', os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'rev-parse', '--short',
                 'HEAD']).strip()
    dirty = _run(['git', '-C', os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'status', '--porcelain',
                  '--untracked-files=no', '--', 'src', 'include', 'CMakeLists.txt']).splitlines()
    return {
        'attn source': f'commit {head}' + (f' + uncommitted changes in {len(dirty)} engine files' if dirty else ''),
        'cpu': field('Model name') + f" (family {field('CPU family')}, model {field('Model')})",
        'cores': f'{cpus} logical CPUs, {per_socket} cores per socket, {per_core} thread(s) per core',
        'vector ISA': ', '.join(f for f in ('avx512f', 'avx2', 'fma') if f in flags) or 'sse only',
        'caches': f"L1d {field('L1d cache')}, L2 {field('L2 cache')}, L3 {field('L3 cache')}",
        'hypervisor': field('Hypervisor vendor'),
        'OpenBLAS': _run([sgemm_binary, '--config']).strip() + (f' (Debian {blas_pkg})' if blas_pkg else ''),
        'compiler': _run(['c++', '--version']).splitlines()[0] if _run(['c++', '--version']) else '?',
        'kernel': platform.release(),
        'python': platform.python_version(),
    }


def steal_seconds():
    """CPU time the hypervisor gave to others while this VM wanted it, all CPUs together (the 8th field of
    /proc/stat's cpu line), in seconds; None where the kernel does not report it."""
    try:
        with open('/proc/stat') as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError, IndexError):
        return None


def _cpu_ticks():
    """{pid: (utime + stime ticks, parent pid, command)} for every process readable in /proc."""
    out = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/stat') as f:
                stat = f.read()
            fields = stat[stat.rindex(')') + 2:].split()
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace').strip() or stat.split()[1]
            out[int(pid)] = (int(fields[11]) + int(fields[12]), int(fields[1]), cmd)
        except (OSError, ValueError, IndexError):
            continue
    return out


def _ours(pid, snapshot):
    """True for this process and its descendants (the processes the benchmark itself runs)."""
    me = os.getpid()
    for _ in range(64):
        if pid == me:
            return True
        if pid not in snapshot or pid <= 1:
            return False
        pid = snapshot[pid][1]
    return False


def _busy(before, after, seconds, threshold):
    hz = os.sysconf('SC_CLK_TCK')
    busy = []
    for pid, (ticks, _, cmd) in after.items():
        if pid not in before or _ours(pid, after):
            continue
        share = (ticks - before[pid][0]) / hz / seconds
        if share > threshold:
            busy.append((share, pid, cmd[:100]))
    return sorted(busy, reverse=True)


def busy_processes(seconds=1.0, threshold=0.05):
    """Processes other than this one and its children that used more than `threshold` of a core."""
    before = _cpu_ticks()
    time.sleep(seconds)
    return _busy(before, _cpu_ticks(), seconds, threshold)


class Monitor(threading.Thread):
    """Samples /proc every few seconds while the benchmark runs and remembers any other busy process."""

    def __init__(self, interval=5.0, threshold=0.10):
        super().__init__(daemon=True)
        self.interval, self.threshold = interval, threshold
        self.seen = {}  # pid -> (highest share, command)
        self.stopping = threading.Event()

    def run(self):
        before, start = _cpu_ticks(), time.perf_counter()
        while not self.stopping.wait(self.interval):
            after, now = _cpu_ticks(), time.perf_counter()
            for share, pid, cmd in _busy(before, after, now - start, self.threshold):
                self.seen[pid] = (max(share, self.seen.get(pid, (0.0, ''))[0]), cmd)
            before, start = after, now

    def stop(self):
        """-> warnings (list of str) about other processes seen using the CPU during the run."""
        self.stopping.set()
        self.join()
        return [f'pid {pid} used up to {100 * share:.0f}% of a core: {cmd}'
                for pid, (share, cmd) in sorted(self.seen.items(), key=lambda kv: -kv[1][0])]


def wait_until_idle(max_minutes, cores, log):
    """Waits (up to max_minutes) until no other process uses the CPU for 3 checks in a row and the load average
    has come down (it lags by about a minute). -> True if idle."""
    deadline, quiet = time.time() + 60 * max_minutes, 0
    while time.time() < deadline:
        busy = busy_processes(2.0)
        load1 = os.getloadavg()[0]
        quiet = 0 if busy or load1 > LOAD_LIMIT * cores else quiet + 1
        if quiet >= 3:
            return True
        if quiet == 0:
            why = f'{busy[0][2][:60]} uses {100 * busy[0][0]:.0f}% of a core' if busy else f'load average {load1:.2f}'
            log(f'waiting for an idle machine: {why}')
            time.sleep(10)
    return False


def quiet_check(cores, use_load_average=True):
    """Warnings (list of str) if the machine is not idle: timings taken now would be worthless.

    use_load_average=False at the end of a run: the load average then mostly counts the benchmark's own
    processes of the last minutes, so only other processes using the CPU now count."""
    warnings = []
    load1 = os.getloadavg()[0]
    if use_load_average and load1 > LOAD_LIMIT * cores:
        warnings.append(f'load average {load1:.2f} on {cores} cores')
    for share, pid, cmd in busy_processes():
        warnings.append(f'pid {pid} uses {100 * share:.0f}% of a core: {cmd}')
    if _run(['pgrep', '-f', 'train.py']).strip():
        warnings.append('a training job (train.py) is running')
    return warnings
