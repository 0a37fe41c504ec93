"""Markdown tables from the figures run.py collects, and the optional throughput plot."""
import statistics

from inputs import model_flops
from ort import MAX_PROB_DIFF

MIB = 1024 * 1024
# Tools by their key in run.py's results, as the tables name them; the peers are every tool but attn.
TOOLS = {'attn': 'attn', 'torch': 'PyTorch', 'ort': 'ORT'}
FULL_NAMES = {'attn': 'attn', 'torch': 'PyTorch', 'ort': 'ONNX Runtime'}


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)


def ms(seconds):
    return f'{1000 * seconds:.1f} ms'


def weight_bytes(doc):
    total = 0
    for w in doc['weights']:
        n = 1
        for dim in w['shape']:
            n *= dim
        total += n
    return 4 * total


def set_flops(sets, cfg):
    return {name: sum(model_flops(len(ids), cfg) for ids in data['ids']) for name, data in sets.items()}


def agreement(peer_result, attn_records, labels):
    """(% of inputs with the same label, max |difference| of the top label's probability where they agree)."""
    same, diff = 0, 0.0
    for label, prob, rec in zip(peer_result['labels'], peer_result['probs'], attn_records):
        if labels[label] == rec.get('label'):
            same += 1
            diff = max(diff, abs(prob - rec['probability']))
    return 100.0 * same / len(attn_records), diff


def attn_rows(ctx, flops):
    rows = []
    for r in ctx['attn']['throughput']:
        n = len(ctx['sets'][r['set']]['ids'])
        rows.append((r['set'], r['threads'], r['batch'], f"{r['wall']:.3f}", f"{r['cpu']:.2f}", f"{n / r['wall']:.0f}",
                     f"{n / r['compute']:.0f}", f"{flops[r['set']] / r['compute'] * 1e-9:.2f}"))
    return rows


def fma_peak(peak, threads):
    """bench_peak's figure (GFLOP/s) for a run on `threads` threads: one core, or all of them."""
    return float(peak['single_core_gflops' if threads == 1 else 'all_cores_gflops'])


def best(items, key):
    return max(items, key=key) if items else None


def peer_rate(r, n):
    """Texts/s of a peer's result row: its fastest timed pass over the n inputs."""
    return n / min(r['seconds'])


def best_peer(rows, name, n, threads=None):
    """A peer's fastest row for set `name` (and thread count, unless None), or None."""
    return best([r for r in rows if r['set'] == name and threads in (None, r['threads'])], lambda r: peer_rate(r, n))


def best_configs(sets, attn_throughput, peers):
    """-> {set: {'attn': attn's fastest row by compute time, peer: the peer's fastest row over all its
    configurations}} (peers: {'torch'|'ort': results}), for the sets where attn and at least one peer have rows."""
    out = {}
    for name in sets:
        n = len(sets[name]['ids'])
        ba = best([r for r in attn_throughput if r['set'] == name], lambda r: -r['compute'])
        rows = {tool: best_peer(results, name, n) for tool, results in peers.items()}
        rows = {tool: row for tool, row in rows.items() if row}
        if ba and rows:
            out[name] = {'attn': ba, **rows}
    return out


def long_ranges(sets):
    """-> {long set name: (fewest, most) model ids}"""
    return {name: data['range'] for name, data in sets.items() if data.get('range')}


def summary(ctx):
    """Per set, what a driver over several models tabulates (bench/imported.py): {set: {texts, mean_ids, attn,
    torch (texts/s, median of the rounds), ratio [median, min, max] of attn / PyTorch, attn_config, torch_config,
    agreement (the lowest % of labels equal to attn's over every PyTorch configuration), max_dp}}, with the run's
    idle warnings."""
    out = {'warnings': [f'{when}: {w}' for when, ws in ctx['warnings'].items() for w in ws], 'sets': {}}
    labels, torch_results = ctx['doc']['labels'], ctx['peers'].get('torch', [])
    for name, h in (ctx.get('head_to_head') or {}).items():
        configs, rounds, ids = h['best'], h['rounds'], ctx['sets'][name]['ids']
        if 'torch' not in configs:
            continue
        agree = [agreement(r, ctx['attn']['predictions'][name], labels) for r in torch_results if r['set'] == name]
        out['sets'][name] = dict(
            texts=len(ids), mean_ids=statistics.mean(map(len, ids)),
            attn=statistics.median(r['rates']['attn'] for r in rounds),
            torch=statistics.median(r['rates']['torch'] for r in rounds),
            ratio=spread([r['ratios']['torch'] for r in rounds]),
            attn_config=f"{configs['attn']['threads']}T, batch {configs['attn']['batch']}",
            torch_config=peer_config('torch', configs['torch']),
            agreement=min(a[0] for a in agree), max_dp=max(a[1] for a in agree))
    return out


def spread(values):
    """-> (median, min, max)"""
    return statistics.median(values), min(values), max(values)


def peer_config(tool, r):
    path = ('fast path, ' if r['fast'] else 'regular path, ') if tool == 'torch' else ''
    return f"{path}{r['threads']}T, batch {r['batch']}, {r['order']}"


def peer_facts(ctx):
    """Machine-table rows naming each peer's version (and which ONNX Runtime library loaded)."""
    facts = ctx['peer_facts']
    ort = facts.get('ort')
    ort_cell = (f"onnxruntime-node {ort['ort_version']}: native CPU binding `{ort['binding']}`, `{ort['library']}`; "
                'CPU execution provider, intra-op threads 1 and 2, inter-op 1, graph optimisation all') if ort else '-'
    return [('torch', facts.get('torch', '-')), ('ONNX Runtime', ort_cell)]


def spread_cell(values, unit, digits):
    """'median (min-max)' of values, e.g. 2.10× (1.90-2.40) or 65% (60-70)."""
    m, lo, hi = spread(values)
    return f'{m:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})'


def summary_section(ctx):
    """Best attn against each peer's best, per set and thread count (and over both)."""
    sets, attn, peers = ctx['sets'], ctx['attn'], ctx['peers']
    rows = []
    for name in sets:
        n = len(sets[name]['ids'])
        for threads in (1, 2, None):
            ba = best([r for r in attn['throughput'] if r['set'] == name and threads in (None, r['threads'])],
                      lambda r: -r['compute'])
            if ba is None:
                continue
            excl, incl = n / ba['compute'], n / ba['wall']
            row = [name, threads or 'any', f"{excl:.0f} / {incl:.0f} ({ba['threads']}T, batch {ba['batch']})"]
            for tool, results in peers.items():
                bp = best_peer(results, name, n, threads)
                if bp is None:
                    row += ['-', '-']
                    continue
                rate = peer_rate(bp, n)
                row += [f'{rate:.0f} ({peer_config(tool, bp)})', f'{excl / rate:.2f}× / {incl / rate:.2f}×']
            rows.append(row)
    header = ['set', 'threads', 'attn excl. / incl. load']
    for tool in peers:
        header += [f'{TOOLS[tool]} best', f'attn ÷ {TOOLS[tool]} (excl. / incl.)']
    out = ['', '## Best attn against the best of each peer (texts/second)', '', table(header, rows), '']
    how = {'torch': 'PyTorch: the forward pass and argmax only, on ids tokenized and padded beforehand.',
           'ort': 'ORT: ONNX Runtime (onnxruntime-node) on the same model exported to ONNX, `session.run` and '
                  'argmax only, on int64 tensors padded beforehand.'}
    out.append('attn: whole processes (`attn classify -i FILE --format jsonl > /dev/null`), median of '
               f"{ctx['args'].repeats}; \"excl. load\" subtracts the median run time on an empty input "
               f"({ms(attn['load_cache']['wall'])}), so it still includes tokenization, reading and JSON output. "
               + ' '.join(how[t] for t in peers)
               + (' Tokenization is excluded from their time, which favours them.' if peers else ''))
    return out


def head_to_head_section(ctx):
    """The rounds: per set each tool's best configuration, the ratios' median (min-max) and every round."""
    peers = list(ctx['peers'])
    rows, lines = [], []
    for name, h in ctx['head_to_head'].items():
        configs, rounds = h['best'], h['rounds']
        ba = configs['attn']
        steal = [r['steal_pct'] for r in rounds if r['steal_pct'] is not None]
        rates = ' / '.join(f"{statistics.median(r['rates'][t] for r in rounds):.0f}" if t in configs else '-'
                           for t in ['attn', *peers])
        config_cells, ratio_cells = [], []
        for t in peers:
            if t not in configs:
                config_cells.append('-')
                ratio_cells.append('-')
                continue
            policy = f", OMP_WAIT_POLICY {configs[t]['wait_policy']}" if t == 'torch' else ''
            config_cells.append(peer_config(t, configs[t]) + policy)
            ratio_cells.append(spread_cell([r['ratios'][t] for r in rounds], '×', 2))
        rows.append((name, f"{ba['threads']}T, batch {ba['batch']}", *config_cells, len(rounds), *ratio_cells, rates,
                     spread_cell([r['peak_pct'] for r in rounds], '%', 0),
                     spread_cell([r['round_peak_pct'] for r in rounds], '%', 0),
                     f'{max(steal):.1f}%' if steal else '-'))
        lines.append(f"- `{name}`, round by round (order; attn ÷ each peer; attn % of that round's peak of N "
                     'GFLOP/s; steal): ' + '; '.join(
                         '-'.join(TOOLS[t] for t in r['order']) + ': '
                         + ', '.join(f"{r['ratios'][t]:.2f}×" for t in peers if t in r['ratios'])
                         + f", {r['round_peak_pct']:.0f}% of {r['round_peak']:.0f}"
                         + (f", {r['steal_pct']:.1f}%" if r['steal_pct'] is not None else '') for r in rounds))
    header = ('set', 'attn', *(TOOLS[t] for t in peers), 'rounds',
              *(f'attn ÷ {TOOLS[t]}, median (min-max)' for t in peers),
              'texts/s, median (' + ' / '.join(TOOLS[t] for t in ['attn', *peers]) + ')',
              'attn % of FMA peak, median (min-max)', "attn % of the round's own peak, median (min-max)",
              'steal, worst round')
    out = ['', '## Head to head: rounds in rotating order', '', table(header, rows), ''] + lines + ['']
    out += [f"attn's kernels: {ctx['machine']['attn kernels']} (`attn info`); FMA peak: {ctx['peak']['isa']}, "
            f"{ctx['peak']['vector_bits']}-bit.", '']
    out.append('The machine\'s speed can drift between phases minutes apart (by 20-30 % on the project\'s VM), '
               'so the tables above may favour the tool whose phase ran faster. Here each set\'s best configuration '
               'of each tool (the "any" rows above) is timed again in rounds that run the tools within seconds of '
               'each other: attn once (whole process, excl. load as above) and each peer once (a fresh worker, '
               'forward passes only), the order rotating by one tool each round, so that each tool runs first, '
               'second and last equally often. attn texts/s are excl. load. '
               '% of FMA peak: attn\'s GFLOP/s over the peak for its thread count, as in the next table; '
               '"the round\'s own peak": over `bench_peak` run again just before the round (half its '
               'iterations), so that a round in which the host slowed the VM is measured against what the '
               'machine could do then. Steal: CPU time the hypervisor took from this VM during the round '
               '(`/proc/stat`), as a share of all the vCPUs\' time.')
    return out


PEER_FIGURES = ('s', 'texts/s', 'GFLOP/s', 'labels = attn', 'max Δp')


def peer_figures(ctx, r, flops):
    """A peer's result row -> the PEER_FIGURES cells: its best time, texts/s, GFLOP/s and agreement with attn."""
    n = len(ctx['sets'][r['set']]['ids'])
    agree, diff = agreement(r, ctx['attn']['predictions'][r['set']], ctx['doc']['labels'])
    return (f"{min(r['seconds']):.3f}", f'{peer_rate(r, n):.0f}', f"{flops[r['set']] / min(r['seconds']) * 1e-9:.2f}",
            f'{agree:.2f}%', f'{diff:.1e}')


def torch_section(ctx, flops):
    """Every PyTorch configuration, with its agreement with attn."""
    rows = [(r['set'], 'fast path (inference_mode)' if r['fast'] else 'regular (grad enabled)', r['threads'],
             r['wait_policy'], r['batch'], r['order'], *peer_figures(ctx, r, flops),
             'yes' if r['fast_path_calls'] else 'no') for r in ctx['peers']['torch']]
    out = ['', '## PyTorch, every configuration', '']
    out.append(table(('set', 'path', 'threads', 'OMP_WAIT_POLICY', 'batch', 'order', *PEER_FIGURES,
                      'fused kernel ran'), rows))
    out.append('')
    out.append('`labels = attn`: share of inputs where PyTorch\'s argmax equals attn\'s label; `max Δp`: largest '
               'difference of the top label\'s probability where they agree. `fused kernel ran`: '
               '`torch._transformer_encoder_layer_fwd` was called (checked on one batch before timing). '
               'Batch 1 is run in input order only (sorting changes nothing). Padding as the reference: pad id, '
               '`src_key_padding_mask`, pooling over the real tokens only.')
    return out


def ort_section(ctx, flops):
    """Every ONNX Runtime configuration, with its agreement with attn, and the check against PyTorch."""
    rows = [(r['set'], r['threads'], r['batch'], r['order'], *peer_figures(ctx, r, flops))
            for r in ctx['peers']['ort']]
    out = ['', '## ONNX Runtime, every configuration', '']
    out.append(table(('set', 'intra-op threads', 'batch', 'order', *PEER_FIGURES), rows))
    out.append('')
    checked = '; '.join(f'`{name}`: the same label on all {n:,} inputs, max Δp {diff:.1e}'
                        for name, (n, diff) in ctx['ort_agreement'].items())
    out.append('The model as ONNX: `bench/onnx_export.py` (`torch.onnx.export` of the PyTorch module, dynamic '
               'batch and length; the padding mask is computed in the graph from the pad id). Before any timing, '
               'ONNX Runtime\'s predictions were checked against PyTorch\'s regular path (batch 32, input order, 1 '
               f'thread), which fails the run on a different label or a Δp above {MAX_PROB_DIFF:.0e}: {checked}. '
               '`labels = attn` and `max Δp` as for PyTorch.')
    return out


def render(ctx):
    args, cfg, sets, attn, doc = ctx['args'], ctx['cfg'], ctx['sets'], ctx['attn'], ctx['doc']
    flops = set_flops(sets, cfg)
    out = [f"# {' vs '.join(FULL_NAMES[t] for t in ['attn', *ctx['peers']])}: {ctx['started']}", '']
    out.append(f"Command: `{ctx['command']}` (took {ctx['minutes']:.1f} min)")
    wb = weight_bytes(doc)
    out.append(f"Model: `{args.model_source}` (sha256 {ctx['model_sha'][:16]}…): {cfg['num_layers']} layers, "
               f"d_model {cfg['d_model']}, {cfg['num_heads']} heads, ffn {cfg['ffn_dim']}, vocab {cfg['vocab_size']}, "
               f"max_length {cfg['max_length']}; "
               f"weights {wb / MIB:.2f} MiB ({wb // 4:,} floats)")
    out.append('')
    if any(ctx['warnings'].values()):
        out += ['**WARNING: the machine was not idle; these timings are not trustworthy:**', '']
        out += [f'- {when}: {w}' for when, ws in ctx['warnings'].items() for w in ws] + ['']
    else:
        out += ['The machine was idle before, during and after the run (load average, no other process above 5% '
                'of a core at the start and end or 10% during the run, no training job).', '']
    facts = list(ctx['machine'].items()) + peer_facts(ctx)
    out += ['## Machine', '', table(('', ''), facts)]

    out += ['', '## Inputs', '']
    rows = []
    for name, data in sets.items():
        lengths = [len(i) for i in data['ids']]
        rows.append((name, len(lengths), f'{statistics.mean(lengths):.1f}', min(lengths), max(lengths), sum(lengths),
                     f'{flops[name] / len(lengths) * 1e-6:.2f}'))
    out.append(table(('set', 'texts', 'mean tokens', 'min', 'max', 'total tokens', 'MFLOP per text'), rows))
    out.append('')
    out.append('`sentences`: the first sentences of SST-2 `train.tsv` in file order. '
               + ' '.join(f"`{name}`: consecutive sentences joined until the text makes {lo} to {hi} model ids"
                          + (' ([CLS] and [SEP] included).' if ctx['wrap_tokens'] else '.')
                          for name, (lo, hi) in long_ranges(sets).items()))

    out += summary_section(ctx)
    if ctx.get('head_to_head'):
        out += head_to_head_section(ctx)

    # GFLOP/s against the machine.
    peak = ctx['peak']
    out += ['', '## Effective GFLOP/s (model FLOPs ÷ time)', '']
    rows = []
    for name in sets:
        n = len(sets[name]['ids'])
        for threads in (1, 2):
            a = [r for r in attn['throughput'] if r['set'] == name and r['threads'] == threads]
            ba = best(a, lambda r: -r['compute'])
            sg = {s['threads']: s['gflops'] for s in ctx['sgemm'] if s['set'] == name and s['shape'] == 'FFN in'}
            m = next(s['M'] for s in ctx['sgemm'] if s['set'] == name)
            # The 2-core ceiling for attn: two single-threaded GEMMs at once, as its two workers run them.
            ceiling = sg.get(1) if threads == 1 else sg.get('2 processes × 1')
            fma = fma_peak(peak, threads)
            a_g = flops[name] / ba['compute'] * 1e-9
            peer_g = [best_peer(results, name, n, threads) for results in ctx['peers'].values()]
            peer_g = [f"{flops[name] / min(bp['seconds']) * 1e-9:.2f}" if bp else '-' for bp in peer_g]
            sg_cell = f'{sg[1]:.1f}' if threads == 1 else f"{sg[2]:.1f} / {sg['2 processes × 1']:.1f}"
            rows.append((name, threads, f'{a_g:.2f}', *peer_g, f'{sg_cell} (M={m})', f'{fma:.1f}',
                         f'{100 * a_g / ceiling:.0f}% / {100 * a_g / fma:.0f}%'))
    sgemm_head = f"OpenBLAS sgemm M×{cfg['ffn_dim']}×{cfg['d_model']} (2 threads: OpenBLAS threads / 2 processes)"
    out.append(table(('set', 'threads', 'attn', *(f'{TOOLS[t]} best' for t in ctx['peers']), sgemm_head,
                      f"FMA peak ({peak['isa']}, {peak['vector_bits']}-bit)", 'attn ÷ sgemm / ÷ peak'), rows))
    out.append('')
    out.append('Model FLOPs per input of n tokens (`bench/inputs.py: model_flops`): per layer 2·n·d·3d (QKV) '
               '+ 2·n·d·d (output) + 2·2·n·d·f (FFN) + 2·2·n²·d (scores, weighted sum), plus 2·d·C (classifier); '
               "padding is not counted, so the peers' padded work on unsorted batches is wasted time. "
               f"sgemm: `bench_sgemm M {cfg['ffn_dim']} {cfg['d_model']}` (row-major, B transposed, beta = 1: the "
               'model\'s largest product, which attn runs on its own kernel), M = tokens of a 32-text batch of '
               'the set; for 2 threads attn ÷ sgemm uses two 1-thread processes at once. '
               'FMA peak: `bench_peak`, independent FMA chains of the widest vectors the CPU has (AVX-512 if it has '
               'it, else AVX2), on 1 core and on all cores.')

    out += ['', '## Latency, load time, memory', '']
    lat, cold = attn['latency'], attn['latency_cold']
    limit = 4 * wb + 64 * MIB
    rows = [
        ('one `attn classify "text"`, warm cache', f"median {ms(lat['wall'])} of {len(lat['walls'])} "
         f"(min {ms(min(lat['walls']))}, max {ms(max(lat['walls']))})"),
        ('one `attn classify "text"`, `--no-cache` (first run)', ms(cold[0])),
        ('model load, cache (empty input, whole process)', f"median {ms(attn['load_cache']['wall'])}; peak RSS "
         f"{attn['load_cache']['rss_kib'] / 1024:.1f} MiB"),
        ('model load, `--no-cache` (JSON parse)', f"median {ms(attn['load_json']['wall'])}; peak RSS "
         f"{attn['load_json']['rss_kib'] / 1024:.1f} MiB"),
        ('very first run (no cache yet: parses, writes the cache)', ms(attn['first_run'][0])),
    ]
    for r in attn['rss']:
        rows.append((f"peak RSS, {r['lines']:,} lines, batch {r['batch']}, {r['threads']} threads",
                     f"{r['rss_kib'] / 1024:.1f} MiB ({r['lines'] / r['wall']:.0f} lines/s incl. load)"))
    # Near the maximum length: attention holds one head's n x n scores at a time, so memory barely grows with n.
    for r in attn['throughput']:
        if r['set'] in long_ranges(sets):
            lo, hi = sets[r['set']]['range']
            rows.append((f"peak RSS, `{r['set']}` ({lo}-{hi} ids), batch {r['batch']}, "
                         f"{r['threads']} thread{'s' if r['threads'] > 1 else ''}", f"{r['rss_kib'] / 1024:.1f} MiB"))
    rows.append(('limit 4 × weight bytes + 64 MiB', f'{limit / MIB:.1f} MiB; largest peak '
                 f"{max(r['rss_kib'] for r in attn['rss'] + attn['throughput']) / 1024:.1f} MiB"))
    out.append(table(('what', 'figure'), rows))
    out.append('')
    out.append('Peak RSS of each attn process alone (`ru_maxrss` from `wait4` in `bench_spawn`).')

    out += ['', '## attn, every configuration', '']
    out.append(table(('set', 'threads', 'batch', 'wall s (median)', 'CPU s', 'texts/s incl. load',
                      'texts/s excl. load', 'GFLOP/s excl. load'), attn_rows(ctx, flops)))

    if 'torch' in ctx['peers']:
        out += torch_section(ctx, flops)
    if 'ort' in ctx['peers']:
        out += ort_section(ctx, flops)

    wrap = ctx['wrap_tokens']  # attn's `tokens` counts the text's tokens, the ids add [CLS] and [SEP]
    mismatched = sum(1 for name, data in sets.items() for ids, rec in zip(data['ids'], attn['predictions'][name])
                     if min(rec.get('tokens', -1), cfg['max_length'] - wrap) + wrap != len(ids))
    out.append('')
    out.append(f'Token counts of attn (JSONL `tokens`) and the Python reference tokenizer differ on {mismatched} '
               'inputs.')

    if ctx.get('sweeps'):
        out += ['', '## Sweeps (1 thread; attn excl. load, PyTorch fast path, sorted; texts/s)', '']
        for axis, label in (('batch', 'batch size (first 3,000 sentences)'), ('length', 'mean tokens (batch 32)')):
            tools = list(ctx['sweeps'][axis])
            keys = [p[0] for p in ctx['sweeps'][axis][tools[0]]]
            rows = [(f'{k:g}',) + tuple(f"{dict(ctx['sweeps'][axis][t]).get(k, float('nan')):.0f}" for t in tools)
                    for k in keys]
            out += [table((label,) + tuple(tools), rows), '']

    out += ['', '## OpenBLAS sgemm on the model\'s shapes', '']
    out.append(table(('set', 'GEMM', 'M', 'N', 'K', 'threads', 'GFLOP/s'),
                     [(s['set'], s['shape'], s['M'], s['N'], s['K'], s['threads'], f"{s['gflops']:.1f}")
                      for s in ctx['sgemm']]))
    return '\n'.join(out) + '\n'


def plot(sweeps, path):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('matplotlib is not installed (apt-get install python3-matplotlib): no plot', flush=True)
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for tool, points in sweeps['batch'].items():
        left.plot([p[0] for p in points], [p[1] for p in points], marker='o', label=tool)
    left.set(xscale='log', xlabel='batch size', ylabel='texts / s', title='SST-2 sentences, 1 thread')
    for tool, points in sweeps['length'].items():
        right.plot([p[0] for p in points], [p[1] for p in points], marker='o', label=tool)
    right.set(xlabel='tokens per text', ylabel='texts / s', yscale='log', title='batch 32, 1 thread')
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f'plot written to {path}', flush=True)
