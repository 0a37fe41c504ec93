#!/usr/bin/python3
"""attn against PyTorch and ONNX Runtime on the same model and the same inputs; prints markdown tables (see
bench/README.md).

    /usr/bin/python3 bench/run.py [--model models/sst2-sentiment.json] [--build build] [--report FILE]

Builds bench helpers and attn in --build, makes the inputs from the SST-2 data into a temporary directory, then
times attn as whole processes, and PyTorch's and ONNX Runtime's forward passes in worker processes (the model
exported to ONNX for the latter), and checks that they predict the same.
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
import jobs  # noqa: E402
import ort  # noqa: E402
import report  # noqa: E402
import sysinfo  # noqa: E402
from attn_tokenizer import WrappedTokenizer  # noqa: E402

# The shared data lives beside the repository (../shared/data); ATTN_DATA_ROOT points elsewhere.
DATA = os.path.join(os.environ.get('ATTN_DATA_ROOT') or os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data')),
                    'sst2', 'glue', 'train.tsv')
LATENCY_TEXT = 'a gripping, beautifully acted film'
BINS = {}  # target name -> built binary, filled by build()
# Head-to-head rounds: a multiple of 3 (and of 2), so that the rotating order puts each of the three tools (or
# two, with --no-torch or --no-ort) in each place equally often.
ROUNDS, QUICK_ROUNDS = 6, 2


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
    ap.add_argument('--torch-repeats', type=int, default=1,
                    help='timed passes per PyTorch and per ONNX Runtime configuration')
    ap.add_argument('--latency-runs', type=int, default=21)
    ap.add_argument('--rss-lines', type=int, default=100000)
    ap.add_argument('--rounds', type=int, help='head-to-head rounds of attn, PyTorch and ONNX Runtime, the order '
                    f'rotating (default {ROUNDS}; {QUICK_ROUNDS} with --quick; 0 skips them)')
    ap.add_argument('--quick', action='store_true', help='small inputs and few repeats: a smoke test, not figures')
    ap.add_argument('--no-torch', action='store_true', help="skip PyTorch's timings (ONNX Runtime still uses torch "
                    'to export the model and check its outputs)')
    ap.add_argument('--no-ort', action='store_true', help='skip ONNX Runtime')
    ap.add_argument('--ort-dir', default=ort.default_dir(),
                    help='where onnxruntime-node is, or is installed with npm on first use (env ATTN_ORT_DIR)')
    ap.add_argument('--report', help='also write the markdown report to this file')
    ap.add_argument('--json', help="also write each set's head-to-head figures and agreement to this file")
    ap.add_argument('--wait-idle', type=float, default=0, metavar='MINUTES',
                    help='first wait up to MINUTES for no other process to use the CPU')
    ap.add_argument('--plot', help='also run the batch-size and length sweeps and save a PNG here (matplotlib)')
    args = ap.parse_args()
    if args.quick:
        args.sentences, args.long, args.repeats, args.latency_runs, args.rss_lines = 1000, 200, 1, 5, 10000
    if args.rounds is None:
        args.rounds = QUICK_ROUNDS if args.quick else ROUNDS
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
    """Runs bench_peak -> its `key value` lines as a dict (isa, vector_bits, single_core_gflops, threads,
    all_cores_gflops)."""
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
# PyTorch's regular path (the one exported to ONNX), 1 thread: the reference ONNX Runtime is checked against.
REFERENCE = dict(fast=False, batch=32, order='input', threads=1)


def torch_worker(args, ids, configs, threads, policy, repeats, tmp):
    """One torch_worker.py subprocess: configs on ids ({set: [[ids...]]}) with OMP_NUM_THREADS, MKL_NUM_THREADS
    = threads and OMP_WAIT_POLICY = policy (None: OpenMP's default) -> (torch version, results)."""
    job = dict(model=os.path.abspath(args.torch_model), sets=ids, configs=configs, threads=threads, repeats=repeats)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.pop('OMP_WAIT_POLICY', None)
    if policy:
        env['OMP_WAIT_POLICY'] = policy
    out = jobs.run([sys.executable, os.path.join(HERE, 'torch_worker.py')], job, tmp, 'torch', env)
    for r in out['results']:
        r.update(threads=threads, wait_policy=policy or DEFAULT_WAIT)
    return out['torch_version'], out['results']


def torch_figures(args, sets, tmp):
    """PyTorch configurations in three subprocesses: 1 thread; 2 threads with OMP_WAIT_POLICY=PASSIVE; 2 threads
    with OpenMP's default (active) waiting, for the fast path on sorted batches only."""
    full = [dict(c, fast=fast) for s in sets for fast in (True, False) for c in jobs.batch_configs([s])]
    active = [dict(set=s, fast=True, batch=b, order='sorted') for s in sets for b in (32, 128)]
    runs = [(1, 'PASSIVE', full), (2, 'PASSIVE', full), (2, None, active)]
    results = []
    version = None
    for threads, policy, configs in runs:
        version, out = torch_worker(args, {s: sets[s]['ids'] for s in sets}, configs, threads, policy,
                                    args.torch_repeats, tmp)
        results += out
    return version, results


def ort_figures(args, pkg, sets, pad_id, torch_results, tmp):
    """ONNX Runtime (pkg: the onnxruntime-node directory): the model exported to ONNX; every input checked
    against PyTorch's REFERENCE before any timing (which fails the run on a difference); then the sweep, one
    worker per thread count. -> (facts, results, agreement {set: (inputs, max Δp)}, ort_run(ids, configs,
    threads, repeats, tmp) for the head-to-head rounds)."""
    onnx_path = os.path.join(tmp, 'model.onnx')
    ort.export(args.model, onnx_path)
    ort_run = lambda *job: ort.worker(pkg, onnx_path, pad_id, *job)
    ids = {s: sets[s]['ids'] for s in sets}
    check = [dict(set=s, batch=REFERENCE['batch'], order=REFERENCE['order']) for s in sets]
    reference = {r['set']: r for r in torch_results if all(r[k] == v for k, v in REFERENCE.items())}
    if len(reference) < len(sets):  # --no-torch: PyTorch runs once for the check, untimed
        _, out = torch_worker(args, ids, [dict(c, fast=REFERENCE['fast']) for c in check], REFERENCE['threads'],
                              'PASSIVE', 1, tmp)
        reference = {r['set']: r for r in out}
    _, out = ort_run(ids, check, REFERENCE['threads'], 1, tmp)
    agreement = ort.compare(reference, out)
    results = []
    for threads in jobs.THREADS:
        facts, out = ort_run(ids, jobs.batch_configs(sets), threads, args.torch_repeats, tmp)
        results += out
    return facts, results, agreement, ort_run


def round_peak(bins, threads):
    """bench_peak with half its default iterations (about 1.3 s): the FMA peak on 1 core or on all cores. A tenth
    (0.3 s) was too short: once in 18 rounds both of its threads shared one vCPU and it read half the peak."""
    return report.fma_peak(bench_peak(bins, '100000000'), threads)


def peer_timer(args, tool, name, ids, row, tmp, ort_run):
    """-> a function that times `row`'s configuration of `tool` ('torch' or 'ort') on set `name` once, in a
    fresh worker (it loads and warms up again; only the forward passes are timed) -> seconds."""
    if tool == 'torch':
        config = {k: row[k] for k in ('set', 'fast', 'batch', 'order')}
        policy = None if row['wait_policy'] == DEFAULT_WAIT else row['wait_policy']  # as in its sweep
        return lambda: torch_worker(args, {name: ids}, [config], row['threads'], policy, 1, tmp)[1][0]['seconds'][0]
    config = {k: row[k] for k in ('set', 'batch', 'order')}
    return lambda: ort_run({name: ids}, [config], row['threads'], 1, tmp)[1][0]['seconds'][0]


def head_to_head(args, bins, sets, tmp, env, attn, peers, flops, peak, ort_run=None):
    """Each tool's best configuration per set (the fastest of its sweep; peers: {'torch'|'ort': results}), run in
    args.rounds rounds, all tools within seconds of each other, the order rotating by one tool each round (attn,
    PyTorch, ORT; then PyTorch, ORT, attn; ...) so that over each len(tools) rounds every tool runs in every place.
    -> {set: {'best': {tool: row}, 'rounds': [...]}}"""
    load_s = attn['load_cache']['wall']
    cores = os.cpu_count() or 1
    out = {}
    for name, best in report.best_configs(sets, attn['throughput'], peers).items():
        n = len(sets[name]['ids'])
        ba = best['attn']
        cmd = attn_cmd(bins, args.model, '-i', sets[name]['file'], '--format', 'jsonl', '--threads',
                       str(ba['threads']), '--batch-size', str(ba['batch']))
        fma = report.fma_peak(peak, ba['threads'])
        timers = [('attn', lambda: max(1e-9, run_child(cmd, env=env)[0] - load_s))]  # as in attn_figures
        timers += [(tool, peer_timer(args, tool, name, sets[name]['ids'], row, tmp, ort_run))
                   for tool, row in best.items() if tool != 'attn']
        rounds = []
        for i in range(args.rounds):
            # The FMA peak again in every round: when the host slows the VM, it slows the peak too, and attn's
            # share of it is then measured against what the machine could do at that moment.
            peak_now = round_peak(bins, ba['threads'])
            order = timers[i % len(timers):] + timers[:i % len(timers)]
            steal0, t0 = sysinfo.steal_seconds(), time.perf_counter()
            seconds = {tool: timer() for tool, timer in order}
            steal1, t1 = sysinfo.steal_seconds(), time.perf_counter()
            rates = {tool: n / s for tool, s in seconds.items()}
            attn_gflops = flops[name] / seconds['attn'] * 1e-9
            r = dict(order=[tool for tool, _ in order], rates=rates,
                     ratios={tool: rates['attn'] / rate for tool, rate in rates.items() if tool != 'attn'},
                     peak_pct=100 * attn_gflops / fma, round_peak=peak_now,
                     round_peak_pct=100 * attn_gflops / peak_now,
                     steal_pct=None if steal0 is None else 100 * (steal1 - steal0) / ((t1 - t0) * cores))
            rounds.append(r)
            print(f"  head to head {name} round {i + 1}/{args.rounds}: "
                  + ', '.join(f'{report.TOOLS[t]} {rates[t]:.0f}/s' for t in r['order']) + '; '
                  + ', '.join(f'attn ÷ {report.TOOLS[t]} {x:.2f}×' for t, x in r['ratios'].items()),
                  file=sys.stderr, flush=True)
        out[name] = {'best': best, 'rounds': rounds}
    return out


def model_format_version(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f).get('format_version', 1)


def main():
    args = parse_args()
    if not os.path.exists(args.data):
        sys.exit(f'the SST-2 data is not there: {args.data} is missing (pass --data PATH to GLUE SST-2 train.tsv)')
    if not os.path.exists(args.model):
        sys.exit(f'model not found: {args.model} (pass --model PATH)')
    if args.sentences < 1 or args.long < 1:
        sys.exit('--sentences and --long must be positive')
    cores = os.cpu_count() or 1
    log = lambda m: print(m, file=sys.stderr, flush=True)
    if not args.no_ort and model_format_version(args.model) >= 2:
        log('ONNX Runtime skipped: its export (bench/onnx_export.py) covers format-1 models only')
        args.no_ort = True
    # Before any timing: a missing node or npm stops the run now, not after the other phases.
    ort_pkg = None if args.no_ort else ort.ensure_installed(args.ort_dir, log)
    bins = build(args.build)
    machine = sysinfo.machine(bins['bench_sgemm'])
    if args.wait_idle > 0 and not sysinfo.wait_until_idle(args.wait_idle, cores, log):
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
        peers, facts = {}, {}
        if not args.no_torch:
            phase('PyTorch')
            facts['torch'], peers['torch'] = torch_figures(args, sets, tmp)
        ort_agreement, ort_run = None, None
        if not args.no_ort:
            phase('ONNX Runtime: export, check against PyTorch, sweep')
            facts['ort'], peers['ort'], ort_agreement, ort_run = ort_figures(
                args, ort_pkg, sets, tokenizer.pad_id, peers.get('torch', []), tmp)
        rounds = None
        if peers and args.rounds > 0:
            phase(f'head to head: {args.rounds} rounds per set, the order rotating')
            rounds = head_to_head(args, bins, sets, tmp, env, attn, peers, report.set_flops(sets, cfg), peak,
                                  ort_run)
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
    ctx = dict(args=args, cfg=cfg, model_sha=model_sha, doc=doc, sets=sets, machine=machine, peers=peers,
               peer_facts=facts, ort_agreement=ort_agreement, started=started,
               minutes=(time.perf_counter() - t0) / 60,
               warnings={'at the start': warnings_before, 'during the run': warnings_during,
                         'at the end': warnings_after}, peak=peak, sgemm=sgemm,
               attn=attn, head_to_head=rounds, sweeps=sweeps,
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
