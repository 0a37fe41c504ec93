#!/usr/bin/python3
"""attn against PyTorch on the same model and the same inputs; prints markdown tables (see bench/README.md).

    /usr/bin/python3 bench/run.py [--model models/sst2-sentiment.json] [--build build] [--report FILE]

Builds bench helpers and attn in --build, makes the inputs from the SST-2 data into a temporary directory, then
times attn as whole processes and PyTorch's forward pass in subprocesses, and checks that both predict the same.
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import inputs  # noqa: E402
import report  # noqa: E402
import sysinfo  # noqa: E402
from attn_tokenizer import WrappedTokenizer  # noqa: E402

# The shared data lives beside the repository (../shared/data); ATTN_DATA_ROOT points elsewhere.
DATA = os.path.join(os.environ.get('ATTN_DATA_ROOT') or os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data')),
                    'sst2', 'glue', 'train.tsv')
LATENCY_TEXT = 'a gripping, beautifully acted film'
BINS = {}  # target name -> built binary, filled by build()


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default=os.path.join(ROOT, 'models', 'sst2-sentiment.json'))
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'), help='configured CMake build directory')
    ap.add_argument('--data', default=DATA, help='GLUE SST-2 train.tsv')
    ap.add_argument('--sentences', type=int, default=10000)
    ap.add_argument('--long', type=int, default=2000, help='texts near the maximum length')
    ap.add_argument('--long-sets', nargs='+', type=long_set, metavar='TOKENS:COUNT',
                    help='sets long<TOKENS> of COUNT texts of TOKENS-4..TOKENS model ids each ([CLS] and [SEP] '
                         'included), instead of --long texts near the maximum length')
    ap.add_argument('--repeats', type=int, default=3, help='whole-process attn runs per configuration (median)')
    ap.add_argument('--torch-repeats', type=int, default=1, help='timed passes per PyTorch configuration')
    ap.add_argument('--latency-runs', type=int, default=21)
    ap.add_argument('--rss-lines', type=int, default=100000)
    ap.add_argument('--rounds', type=int, help='head-to-head rounds of attn and PyTorch, alternating (default 5; '
                    '2 with --quick; 0 skips them)')
    ap.add_argument('--quick', action='store_true', help='small inputs and few repeats: a smoke test, not figures')
    ap.add_argument('--no-torch', action='store_true', help='attn and the machine figures only')
    ap.add_argument('--report', help='also write the markdown report to this file')
    ap.add_argument('--json', help="also write each set's head-to-head figures and agreement to this file")
    ap.add_argument('--wait-idle', type=float, default=0, metavar='MINUTES',
                    help='first wait up to MINUTES for no other process to use the CPU')
    ap.add_argument('--plot', help='also run the batch-size and length sweeps and save a PNG here (matplotlib)')
    args = ap.parse_args()
    if args.quick:
        args.sentences, args.long, args.repeats, args.latency_runs, args.rss_lines = 1000, 200, 1, 5, 10000
    if args.rounds is None:
        args.rounds = 2 if args.quick else 5
    return args


def long_set(text):
    """'TOKENS:COUNT' -> (tokens, count)"""
    tokens, _, count = text.partition(':')
    try:
        return int(tokens), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not TOKENS:COUNT') from None


def run_child(cmd, stdout=subprocess.DEVNULL, env=None):
    """Runs cmd to completion under bench_spawn -> (wall seconds, CPU seconds, peak RSS in KiB) of cmd alone."""
    with tempfile.NamedTemporaryFile('r') as result, tempfile.TemporaryFile() as err:
        subprocess.run([BINS['bench_spawn'], result.name] + cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err,
                       env=env, check=True)
        wall, cpu, rss, code = result.read().split()
        if int(code) != 0:
            err.seek(0)
            raise RuntimeError(f'{" ".join(cmd)} exited {code}: {err.read().decode(errors="replace")}')
    return float(wall), float(cpu), int(rss)


def build(build_dir):
    """Configures (if needed) and builds attn and the bench helpers -> {target: path}."""
    if not os.path.exists(os.path.join(build_dir, 'CMakeCache.txt')):
        subprocess.run(['cmake', '-S', ROOT, '-B', build_dir, '-DCMAKE_BUILD_TYPE=Release'], check=True,
                       stdout=subprocess.DEVNULL)
    elif 'ATTN_BUILD_BENCH:BOOL=ON' not in open(os.path.join(build_dir, 'CMakeCache.txt')).read():
        subprocess.run(['cmake', '-S', ROOT, '-B', build_dir, '-DATTN_BUILD_BENCH=ON'], check=True,
                       stdout=subprocess.DEVNULL)
    targets = ('attn', 'bench_peak', 'bench_sgemm', 'bench_spawn')
    subprocess.run(['cmake', '--build', build_dir, '-j2', '--target', *targets], check=True, stdout=subprocess.DEVNULL)
    cache = open(os.path.join(build_dir, 'CMakeCache.txt')).read()
    if 'CMAKE_BUILD_TYPE:STRING=Release' not in cache:
        print(f'WARNING: {build_dir} is not a Release build', file=sys.stderr)
    BINS.update({t: os.path.join(build_dir, t) if t == 'attn' else os.path.join(build_dir, 'bench', t)
                 for t in targets})
    return BINS


def write_lines(path, texts):
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(t + '\n' for t in texts)


def long_sets(args, max_length):
    """-> [(set name, most model ids, count)]: `long` at the maximum length, or the sets of --long-sets."""
    if not args.long_sets:
        return [('long', max_length, args.long)]
    for tokens, count in args.long_sets:
        if not 5 <= tokens <= max_length or count < 1:
            sys.exit(f'--long-sets {tokens}:{count}: TOKENS must be 5 to max_length {max_length}, COUNT positive')
    return [(f'long{tokens}', tokens, count) for tokens, count in args.long_sets]


def make_inputs(args, tokenizer, max_length, tmp):
    """-> {set name: {'file', 'texts', 'ids', 'range'}}; ids come from the reference tokenizer, truncated and
    wrapped like attn's; range: (fewest, most) ids of a long set's texts."""
    sentences = inputs.read_sentences(args.data, args.sentences)
    if len(sentences) < args.sentences:
        sys.exit(f'{args.data} has only {len(sentences)} sentences, {args.sentences} wanted')
    named = [('sentences', sentences, None)]
    every, wrap = inputs.read_sentences(args.data), tokenizer.wrap_tokens
    for name, most, count in long_sets(args, max_length):
        lo, hi = max(1 + wrap, most - 4), most  # in model ids; long_texts counts text tokens
        named.append((name, inputs.long_texts(every, tokenizer, count, lo - wrap, hi - wrap), (lo, hi)))
    sets = {}
    for name, texts, span in named:
        ids = [tokenizer.encode(t, max_length) for t in texts]
        path = os.path.join(tmp, name + '.txt')
        write_lines(path, texts)
        sets[name] = {'file': path, 'texts': texts, 'ids': ids, 'range': span}
        if span and not all(span[0] <= len(i) <= span[1] for i in ids):
            raise RuntimeError(f'{name} set: a text is outside the token range')
    return sets


def attn_cmd(bins, model, *rest, no_cache=False):
    return [bins['attn'], '--model', model] + (['--no-cache'] if no_cache else []) + ['classify', *rest]


def attn_kernels(bins, model, env):
    """The instruction set of attn's product and attention kernels on this machine, as `attn info` reports them
    (ATTN_ISA, when set, caps them). Without the cache: one written here would make attn_figures' "very first
    run" a cached one."""
    out = subprocess.run([bins['attn'], '--model', model, '--no-cache', 'info', '--format', 'json'],
                         capture_output=True, text=True, check=True, env=env).stdout
    info = json.loads(out)
    cap = os.environ.get('ATTN_ISA')
    return (f"products {info['linear_kernel']}, attention heads {info['attention_kernel']}"
            + (f' (ATTN_ISA={cap})' if cap else ''))


def median_run(cmd, repeats, env, stdout=subprocess.DEVNULL):
    runs = [run_child(cmd, stdout=stdout, env=env) for _ in range(repeats)]
    return {'wall': statistics.median(r[0] for r in runs), 'cpu': statistics.median(r[1] for r in runs),
            'rss_kib': max(r[2] for r in runs), 'walls': [r[0] for r in runs]}


def attn_figures(args, bins, sets, tmp, env):
    """Load times, latency, throughput per (set, threads, batch), peak RSS, and the predictions."""
    out = {}
    empty = os.path.join(tmp, 'empty.txt')
    write_lines(empty, [])
    load = lambda no_cache: attn_cmd(bins, args.model, '-i', empty, '--format', 'jsonl', no_cache=no_cache)
    out['first_run'] = run_child(load(False), env=env)  # empty cache: parses the JSON and writes the cache
    out['load_cache'] = median_run(load(False), max(5, args.repeats * 3), env)
    out['load_json'] = median_run(load(True), max(1, args.repeats), env)
    one = lambda no_cache: attn_cmd(bins, args.model, LATENCY_TEXT, no_cache=no_cache)
    out['latency_cold'] = run_child(one(True), env=env)
    out['latency'] = median_run(one(False), args.latency_runs, env)
    load_s = out['load_cache']['wall']
    out['throughput'] = []
    for name, data in sets.items():
        for threads in (1, 2):
            for batch in (32, 128):
                cmd = attn_cmd(bins, args.model, '-i', data['file'], '--format', 'jsonl', '--threads', str(threads),
                               '--batch-size', str(batch))
                r = median_run(cmd, args.repeats, env)
                r.update(set=name, threads=threads, batch=batch, compute=max(1e-9, r['wall'] - load_s))
                out['throughput'].append(r)
                print(f"  attn {name} threads={threads} batch={batch}: {r['wall']:.2f} s", file=sys.stderr)
    out['predictions'] = {}
    for name, data in sets.items():
        path = os.path.join(tmp, name + '.attn.jsonl')
        with open(path, 'wb') as f:
            run_child(attn_cmd(bins, args.model, '-i', data['file'], '--format', 'jsonl'), stdout=f, env=env)
        with open(path, encoding='utf-8') as f:
            out['predictions'][name] = [json.loads(line) for line in f]
    # Peak RSS against input size: the same sentences repeated, small and large file.
    out['rss'] = []
    texts = sets['sentences']['texts']
    for lines in sorted({len(texts), args.rss_lines}):
        path = os.path.join(tmp, f'rss-{lines}.txt')
        write_lines(path, (texts * (lines // len(texts) + 1))[:lines])
        for batch in (32, 128):
            cmd = attn_cmd(bins, args.model, '-i', path, '--format', 'jsonl', '--threads', '2', '--batch-size',
                           str(batch))
            wall, _, rss = run_child(cmd, env=env)
            out['rss'].append({'lines': lines, 'batch': batch, 'threads': 2, 'rss_kib': rss, 'wall': wall})
        os.remove(path)
    return out


def bench_peak(bins, *args):
    """Runs bench_peak -> its `key value` lines as a dict (isa, single_core_gflops, threads, all_cores_gflops)."""
    out = subprocess.run([bins['bench_peak'], *args], capture_output=True, text=True, check=True).stdout
    return dict(line.split(' ', 1) for line in out.splitlines())


def machine_figures(bins, sets, cfg):
    """FMA peak (1 core, all cores) and sgemm on the model's GEMM shapes for a 32-input batch of each set."""
    peak = bench_peak(bins)
    d, f = cfg['d_model'], cfg['ffn_dim']
    shapes = {'QKV': (3 * d, d), 'output': (d, d), 'FFN in': (f, d), 'FFN out': (d, f)}
    sgemm = []
    for name, data in sets.items():
        m = round(32 * statistics.mean(len(i) for i in data['ids']))
        for shape, (n, k) in shapes.items():
            # FFN in also with 2 threads: OpenBLAS's own threading, and two 1-thread processes at once (the way
            # attn uses two cores: one single-threaded GEMM per worker).
            for threads, procs in (((1, 1), (2, 1), (1, 2)) if shape == 'FFN in' else ((1, 1),)):
                cmd = [bins['bench_sgemm'], str(m), str(n), str(k), str(threads)]
                running = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(procs)]
                total = 0.0
                for p in running:
                    words = p.communicate()[0].split()
                    if p.returncode != 0:
                        raise RuntimeError(f'{" ".join(cmd)} failed')
                    total += float(words[words.index('gflops') + 1])
                sgemm.append({'set': name, 'shape': shape, 'M': m, 'N': n, 'K': k, 'gflops': total,
                              'threads': threads if procs == 1 else f'{procs} processes × 1'})
    return peak, sgemm


DEFAULT_WAIT = 'default (active)'  # wait_policy of a result run without OMP_WAIT_POLICY


def torch_worker(args, ids, configs, threads, policy, repeats, tmp):
    """One torch_worker.py subprocess: configs on ids ({set: [[ids...]]}) with OMP_NUM_THREADS, MKL_NUM_THREADS
    = threads and OMP_WAIT_POLICY = policy (None: OpenMP's default) -> (torch version, results)."""
    job = dict(model=os.path.abspath(args.torch_model), sets=ids, configs=configs, threads=threads, repeats=repeats)
    job_path, out_path = os.path.join(tmp, 'torch-job.json'), os.path.join(tmp, 'torch-out.json')
    with open(job_path, 'w', encoding='utf-8') as f:
        json.dump(job, f)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.pop('OMP_WAIT_POLICY', None)
    if policy:
        env['OMP_WAIT_POLICY'] = policy
    subprocess.run([sys.executable, os.path.join(HERE, 'torch_worker.py'), job_path, out_path], env=env, check=True)
    with open(out_path, encoding='utf-8') as f:
        out = json.load(f)
    for r in out['results']:
        r.update(threads=threads, wait_policy=policy or DEFAULT_WAIT)
    return out['torch_version'], out['results']


def torch_figures(args, sets, tmp):
    """PyTorch configurations in three subprocesses: 1 thread; 2 threads with OMP_WAIT_POLICY=PASSIVE; 2 threads
    with OpenMP's default (active) waiting, for the fast path on sorted batches only."""
    full = [dict(set=s, fast=fast, batch=b, order=o) for s in sets for fast in (True, False) for b in (1, 32, 128)
            for o in ('input', 'sorted') if not (b == 1 and o == 'sorted')]  # batch 1: sorting changes nothing
    active = [dict(set=s, fast=True, batch=b, order='sorted') for s in sets for b in (32, 128)]
    runs = [(1, 'PASSIVE', full), (2, 'PASSIVE', full), (2, None, active)]
    results = []
    info = {}
    for threads, policy, configs in runs:
        version, out = torch_worker(args, {s: sets[s]['ids'] for s in sets}, configs, threads, policy,
                                    args.torch_repeats, tmp)
        info = {'torch': version}
        results += out
    return info, results


def round_peak(bins, threads):
    """bench_peak with half its default iterations (about 1.3 s): the FMA peak on 1 core or on all cores. A tenth
    (0.3 s) was too short: once in 18 rounds both of its threads shared one vCPU and it read half the peak."""
    return report.fma_peak(bench_peak(bins, '100000000'), threads)


def head_to_head(args, bins, sets, tmp, env, attn, torch_results, flops, peak):
    """Each tool's best configuration per set (the fastest of the attn and PyTorch phases), run in args.rounds
    rounds, both tools within seconds of each other: odd rounds attn first, even rounds PyTorch first, so that
    neither always runs right after the other. -> {set: {'attn': row, 'torch': row, 'rounds': [...]}}"""
    load_s = attn['load_cache']['wall']
    cores = os.cpu_count() or 1
    out = {}
    for name, (ba, bt) in report.best_configs(sets, attn['throughput'], torch_results).items():
        n = len(sets[name]['ids'])
        cmd = attn_cmd(bins, args.model, '-i', sets[name]['file'], '--format', 'jsonl', '--threads',
                       str(ba['threads']), '--batch-size', str(ba['batch']))
        fma = report.fma_peak(peak, ba['threads'])
        config = {k: bt[k] for k in ('set', 'fast', 'batch', 'order')}
        policy = None if bt['wait_policy'] == DEFAULT_WAIT else bt['wait_policy']
        timers = (('attn', lambda: max(1e-9, run_child(cmd, env=env)[0] - load_s)),  # as in attn_figures
                  # a fresh worker each round: it loads and warms up again, only the forward pass is timed
                  ('torch', lambda: torch_worker(args, {name: sets[name]['ids']}, [config], bt['threads'], policy,
                                                 1, tmp)[1][0]['seconds'][0]))
        rounds = []
        for i in range(1, args.rounds + 1):
            # The FMA peak again in every round: when the host slows the VM, it slows the peak too, and attn's
            # share of it is then measured against what the machine could do at that moment.
            peak_now = round_peak(bins, ba['threads'])
            steal0, t0 = sysinfo.steal_seconds(), time.perf_counter()
            seconds = {tool: timer() for tool, timer in (timers if i % 2 else timers[::-1])}
            steal1, t1 = sysinfo.steal_seconds(), time.perf_counter()
            r = dict(first='attn' if i % 2 else 'PyTorch', attn=n / seconds['attn'], torch=n / seconds['torch'],
                     peak_pct=100 * flops[name] / seconds['attn'] * 1e-9 / fma,
                     round_peak=peak_now, round_peak_pct=100 * flops[name] / seconds['attn'] * 1e-9 / peak_now,
                     steal_pct=None if steal0 is None else 100 * (steal1 - steal0) / ((t1 - t0) * cores))
            r['ratio'] = r['attn'] / r['torch']
            rounds.append(r)
            print(f"  head to head {name} round {i}/{args.rounds} ({r['first']} first): attn {r['attn']:.0f}/s, "
                  f"PyTorch {r['torch']:.0f}/s, {r['ratio']:.2f}×", file=sys.stderr, flush=True)
        out[name] = {'attn': ba, 'torch': bt, 'rounds': rounds}
    return out


def main():
    args = parse_args()
    if not os.path.exists(args.data):
        sys.exit(f'the SST-2 data is not there: {args.data} is missing (pass --data PATH to GLUE SST-2 train.tsv)')
    if not os.path.exists(args.model):
        sys.exit(f'model not found: {args.model} (pass --model PATH)')
    if args.sentences < 1 or args.long < 1:
        sys.exit('--sentences and --long must be positive')
    cores = os.cpu_count() or 1
    bins = build(args.build)
    machine = sysinfo.machine(bins['bench_sgemm'])
    if args.wait_idle > 0 and not sysinfo.wait_until_idle(args.wait_idle, cores, lambda m: print(m, file=sys.stderr)):
        print(f'the machine did not become idle within {args.wait_idle} minutes; running anyway', file=sys.stderr)
    warnings_before = sysinfo.quiet_check(cores)
    for w in warnings_before:
        print(f'WARNING: machine not idle, timings will be off: {w}', file=sys.stderr)
    monitor = sysinfo.Monitor()
    monitor.start()
    started = time.strftime('%Y-%m-%d %H:%M:%S %Z')
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix='attn-bench-')
    try:
        # Both tools read one private copy, so a model file replaced during the run cannot mix two models.
        model_copy = os.path.join(tmp, os.path.basename(args.model))
        shutil.copyfile(args.model, model_copy)
        with open(model_copy, 'rb') as f:
            model_sha = hashlib.sha256(f.read()).hexdigest()
        # The report names a model of the repository by its path in the repository, not this machine's.
        inside = os.path.abspath(args.model).startswith(ROOT + os.sep)
        args.model_source = os.path.relpath(args.model, ROOT) if inside else args.model
        args.model = model_copy
        with open(model_copy, encoding='utf-8') as f:
            doc = json.load(f)
        cfg = doc['config']
        tokenizer = WrappedTokenizer(doc['tokenizer'], doc.get('format_version', 1))
        if not args.no_torch or args.plot:
            import torch_model  # needs torch, which only the PyTorch side may
            args.torch_model = torch_model.torch_file(doc, model_copy, tmp)
        env = dict(os.environ, ATTN_CACHE_DIR=os.path.join(tmp, 'cache'))
        machine['attn kernels'] = attn_kernels(bins, args.model, env)
        phase = lambda what: print(f'[{time.perf_counter() - t0:6.1f} s] {what} ...', file=sys.stderr, flush=True)
        phase('making inputs')
        sets = make_inputs(args, tokenizer, cfg['max_length'], tmp)
        phase('machine: FMA peak and sgemm')
        peak, sgemm = machine_figures(bins, sets, cfg)
        phase('attn')
        attn = attn_figures(args, bins, sets, tmp, env)
        phase('PyTorch')
        torch_info, torch_results = ({}, []) if args.no_torch else torch_figures(args, sets, tmp)
        rounds = None
        if torch_results and args.rounds > 0:
            phase(f'head to head: {args.rounds} alternating rounds per set')
            rounds = head_to_head(args, bins, sets, tmp, env, attn, torch_results, report.set_flops(sets, cfg), peak)
        sweeps = None
        if args.plot:
            phase('sweeps for the plot')
            import sweeps as sweep_mod  # only with --plot: extra runs
            sweeps = sweep_mod.run(args, bins, tokenizer, cfg, tmp, env, attn['load_cache']['wall'],
                                   dict(run_child=run_child, attn_cmd=attn_cmd, write_lines=write_lines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warnings_during = monitor.stop()
    warnings_after = sysinfo.quiet_check(cores, use_load_average=False)
    ctx = dict(args=args, cfg=cfg, model_sha=model_sha, doc=doc, sets=sets, machine=machine,
               torch=torch_info, started=started, minutes=(time.perf_counter() - t0) / 60,
               warnings={'at the start': warnings_before, 'during the run': warnings_during,
                         'at the end': warnings_after}, peak=peak, sgemm=sgemm,
               attn=attn, torch_results=torch_results, head_to_head=rounds, sweeps=sweeps,
               wrap_tokens=tokenizer.wrap_tokens,
               command=' '.join([sys.executable] + sys.argv))
    text = report.render(ctx)
    print(text)
    if args.report:
        with open(args.report, 'w', encoding='utf-8') as f:
            f.write(text)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(report.summary(ctx), f, indent=1)
    if sweeps is not None:
        report.plot(sweeps, args.plot)


if __name__ == '__main__':
    main()
