"""What machine the figures come from, and whether anything else is using its CPU right now."""
import os
import platform
import re
import subprocess
import time


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
    return {
        'cpu': field('Model name'),
        'cores': f'{cpus} logical CPUs, {per_socket} cores per socket, {per_core} thread(s) per core',
        'vector ISA': ', '.join(f for f in ('avx512f', 'avx2', 'fma') if f in flags) or 'sse only',
        'caches': f"L1d {field('L1d cache')}, L2 {field('L2 cache')}, L3 {field('L3 cache')}",
        'hypervisor': field('Hypervisor vendor'),
        'OpenBLAS': _run([sgemm_binary, '--config']).strip() + (f' (Debian {blas_pkg})' if blas_pkg else ''),
        'compiler': _run(['c++', '--version']).splitlines()[0] if _run(['c++', '--version']) else '?',
        'kernel': platform.release(),
        'python': platform.python_version(),
    }


def _cpu_ticks():
    """{pid: (utime + stime ticks, command)} for every process readable in /proc."""
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
            out[int(pid)] = (int(fields[11]) + int(fields[12]), cmd)
        except (OSError, ValueError, IndexError):
            continue
    return out


def busy_processes(seconds=1.0, threshold=0.05):
    """Processes other than this one that used more than `threshold` of a core over `seconds`."""
    hz = os.sysconf('SC_CLK_TCK')
    before = _cpu_ticks()
    time.sleep(seconds)
    after = _cpu_ticks()
    busy = []
    for pid, (ticks, cmd) in after.items():
        if pid == os.getpid() or pid not in before:
            continue
        share = (ticks - before[pid][0]) / hz / seconds
        if share > threshold:
            busy.append((share, pid, cmd[:100]))
    return sorted(busy, reverse=True)


def quiet_check(cores):
    """Warnings (list of str) if the machine is not idle: timings taken now would be worthless."""
    warnings = []
    load1 = os.getloadavg()[0]
    if load1 > 0.3 * cores:
        warnings.append(f'load average {load1:.2f} on {cores} cores')
    for share, pid, cmd in busy_processes():
        warnings.append(f'pid {pid} uses {100 * share:.0f}% of a core: {cmd}')
    if _run(['pgrep', '-f', 'train.py']).strip():
        warnings.append('a training job (train.py) is running')
    return warnings
