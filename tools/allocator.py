"""Run the training tools under jemalloc when it is installed (Debian's libjemalloc2).

PyTorch frees and reallocates each step's large activations; glibc returns them to the kernel, and touching
fresh pages again costs more than the arithmetic on a small model: a [64, 128, 512] float tensor took about
100 ms to allocate and fill against 2 ms to overwrite (this VM, PyTorch 1.13). Pre-training, whose batches
all have one shape, keeps every freed page (`KEEP_PAGES`): one step of the default encoder went from 9 s to
1.75 s on one core, and to 7 s again with jemalloc's default ten-second decay. Fine-tuning, whose batches
come in every length, keeps the default decay: keeping every page grew such a run to 18 GB.
"""
import os
import sys

JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'
KEEP_PAGES = 'retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1'


def reexec_with_jemalloc(settings=None):
    """Re-executes this Python script with jemalloc preloaded (MALLOC_CONF=settings), once; a no-op without
    jemalloc."""
    if 'jemalloc' in os.environ.get('LD_PRELOAD', '') or not os.path.exists(JEMALLOC):
        return
    env = dict(os.environ, LD_PRELOAD=JEMALLOC)
    if settings:
        env['MALLOC_CONF'] = settings
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
