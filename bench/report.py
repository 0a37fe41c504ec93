"""Markdown tables from the figures run.py collects, and the optional throughput plot."""
import statistics

from inputs import model_flops

MIB = 1024 * 1024


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


def agreement(torch_result, attn_records, labels):
    """(% of inputs with the same label, max |difference| of the top label's probability where they agree)."""
    same, diff = 0, 0.0
    for label, prob, rec in zip(torch_result['labels'], torch_result['probs'], attn_records):
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


def torch_rate(r, n):
    return n / min(r['seconds'])


def best_configs(sets, attn_throughput, torch_results):
    """-> {set: (attn's fastest row by compute time, PyTorch's fastest row over all its configurations)}, for the
    sets where both tools have rows."""
    out = {}
    for name in sets:
        n = len(sets[name]['ids'])
        ba = best([r for r in attn_throughput if r['set'] == name], lambda r: -r['compute'])
        bt = best([r for r in torch_results if r['set'] == name], lambda r: torch_rate(r, n))
        if ba and bt:
            out[name] = (ba, bt)
    return out


def long_ranges(sets):
    """-> {long set name: (fewest, most) model ids}"""
    return {name: data['range'] for name, data in sets.items() if data.get('range')}


def spread(values):
    """-> (median, min, max)"""
    return statistics.median(values), min(values), max(values)


def torch_config(r):
    return f"{'fast path' if r['fast'] else 'regular path'}, {r['threads']}T, batch {r['batch']}, {r['order']}"


def summary(ctx):
    """Per set, what a driver over several models tabulates: {set: {texts, mean_ids, attn, torch (texts/s,
    median of the rounds), ratio [median, min, max], attn_config, torch_config, agreement (the lowest % of labels
    equal to attn's over every PyTorch configuration), max_dp}}, with the run's idle warnings."""
    out = {'warnings': [f'{when}: {w}' for when, ws in ctx['warnings'].items() for w in ws], 'sets': {}}
    labels = ctx['doc']['labels']
    for name, h in (ctx.get('head_to_head') or {}).items():
        rounds, ids = h['rounds'], ctx['sets'][name]['ids']
        agree = [agreement(r, ctx['attn']['predictions'][name], labels)
                 for r in ctx['torch_results'] if r['set'] == name]
        out['sets'][name] = dict(
            texts=len(ids), mean_ids=statistics.mean(map(len, ids)),
            attn=statistics.median(r['attn'] for r in rounds), torch=statistics.median(r['torch'] for r in rounds),
            ratio=spread([r['ratio'] for r in rounds]),
            attn_config=f"{h['attn']['threads']}T, batch {h['attn']['batch']}", torch_config=torch_config(h['torch']),
            agreement=min(a[0] for a in agree), max_dp=max(a[1] for a in agree))
    return out


def render(ctx):
    args, cfg, sets, attn, doc = ctx['args'], ctx['cfg'], ctx['sets'], ctx['attn'], ctx['doc']
    flops = set_flops(sets, cfg)
    labels = doc['labels']
    out = [f"# attn vs PyTorch: {ctx['started']}", '']
    out.append(f"Command: `{ctx['command']}` (took {ctx['minutes']:.1f} min)")
    wb = weight_bytes(doc)
    out.append(f"Model: `{args.model_source}` (sha256 {ctx['model_sha'][:16]}…): {cfg['num_layers']} layers, d_model {cfg['d_model']}, {cfg['num_heads']} "
               f"heads, ffn {cfg['ffn_dim']}, vocab {cfg['vocab_size']}, max_length {cfg['max_length']}; "
               f"weights {wb / MIB:.2f} MiB ({wb // 4:,} floats)")
    out.append('')
    if any(ctx['warnings'].values()):
        out += ['**WARNING: the machine was not idle; these timings are not trustworthy:**', '']
        out += [f'- {when}: {w}' for when, ws in ctx['warnings'].items() for w in ws] + ['']
    else:
        out += ['The machine was idle before, during and after the run (load average, no other process above 5% '
                'of a core at the start and end or 10% during the run, no training job).', '']
    facts = list(ctx['machine'].items()) + [('torch', ctx['torch'].get('torch', '-'))]
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

    # Summary: best of each tool per set and thread count.
    out += ['', '## Best attn against best PyTorch (sentences/second)', '']
    rows = []
    for name in sets:
        n = len(sets[name]['ids'])
        for threads in (1, 2, None):
            a = [r for r in attn['throughput'] if r['set'] == name and threads in (None, r['threads'])]
            t = [r for r in ctx['torch_results'] if r['set'] == name and threads in (None, r['threads'])]
            ba, bt = best(a, lambda r: -r['compute']), best(t, lambda r: torch_rate(r, n))
            if ba is None:
                continue
            excl, incl = n / ba['compute'], n / ba['wall']
            tcell, ratio = '-', '-'
            if bt is not None:
                tr = torch_rate(bt, n)
                tcell = f'{tr:.0f} ({torch_config(bt)})'
                ratio = f'{excl / tr:.2f}× / {incl / tr:.2f}×'
            rows.append((name, threads or 'any', f"{excl:.0f} / {incl:.0f} ({ba['threads']}T, batch {ba['batch']})",
                         tcell, ratio))
    out.append(table(('set', 'threads', 'attn excl. / incl. load', 'PyTorch best', 'attn ÷ PyTorch (excl. / incl.)'),
                     rows))
    out.append('')
    out.append('attn: whole processes (`attn classify -i FILE --format jsonl > /dev/null`), median of '
               f'{args.repeats}; "excl. load" subtracts the median run time on an empty input '
               f"({ms(attn['load_cache']['wall'])}), so it still includes tokenization, reading and JSON output. "
               'PyTorch: the forward pass and argmax only, on ids tokenized and padded beforehand '
               '(tokenization excluded from its time; this favours PyTorch).')

    if ctx.get('head_to_head'):
        out += ['', '## Head to head: alternating rounds', '']
        rows, lines = [], []
        for name, h in ctx['head_to_head'].items():
            ba, bt, rounds = h['attn'], h['torch'], h['rounds']
            ratio, pct = spread([r['ratio'] for r in rounds]), spread([r['peak_pct'] for r in rounds])
            now = spread([r['round_peak_pct'] for r in rounds])
            steal = [r['steal_pct'] for r in rounds if r['steal_pct'] is not None]
            rows.append((name, f"{ba['threads']}T, batch {ba['batch']}",
                         f"{torch_config(bt)}, OMP_WAIT_POLICY {bt['wait_policy']}", len(rounds),
                         f'{ratio[0]:.2f}× ({ratio[1]:.2f}-{ratio[2]:.2f})',
                         f"{statistics.median(r['attn'] for r in rounds):.0f}",
                         f"{statistics.median(r['torch'] for r in rounds):.0f}",
                         f'{pct[0]:.0f}% ({pct[1]:.0f}-{pct[2]:.0f})', f'{now[0]:.0f}% ({now[1]:.0f}-{now[2]:.0f})',
                         f'{max(steal):.1f}%' if steal else '-'))
            lines.append(f"- `{name}`, round by round (attn ÷ PyTorch, attn % of that round's peak of N GFLOP/s, "
                         "steal): " + '; '.join(
                             f"{r['ratio']:.2f}×, {r['round_peak_pct']:.0f}% of {r['round_peak']:.0f}"
                             + (f", {r['steal_pct']:.1f}%" if r['steal_pct'] is not None else '') for r in rounds))
        out.append(table(('set', 'attn', 'PyTorch', 'rounds', 'attn ÷ PyTorch, median (min-max)',
                          'attn texts/s excl. load, median', 'PyTorch texts/s, median',
                          'attn % of FMA peak, median (min-max)', "attn % of the round's own peak, median (min-max)",
                          'steal, worst round'), rows))
        out += [''] + lines + ['']
        out.append('The machine\'s speed can drift between phases minutes apart (by 20-30 % on the project\'s VM), '
                   'so the tables above may favour the tool whose phase ran faster. Here each set\'s best attn and '
                   'best PyTorch configuration (the "any" rows above) are timed again in rounds that run both tools '
                   'within seconds of each other: attn once (whole process, excl. load as above) and PyTorch once (a '
                   'fresh worker, forward pass only), attn first in odd rounds and PyTorch first in even ones. '
                   '% of FMA peak: attn\'s GFLOP/s over the peak for its thread count, as in the next table; '
                   '"the round\'s own peak": over `bench_peak` run again just before the round (half its '
                   'iterations), so that a round in which the host slowed the VM is measured against what the '
                   'machine could do then. Steal: CPU time the hypervisor took from this VM during the round '
                   '(`/proc/stat`), as a share of all the vCPUs\' time.')

    # GFLOP/s against the machine.
    peak = ctx['peak']
    out += ['', '## Effective GFLOP/s (model FLOPs ÷ time)', '']
    rows = []
    for name in sets:
        n = len(sets[name]['ids'])
        for threads in (1, 2):
            a = [r for r in attn['throughput'] if r['set'] == name and r['threads'] == threads]
            t = [r for r in ctx['torch_results'] if r['set'] == name and r['threads'] == threads]
            ba = best(a, lambda r: -r['compute'])
            bt = best(t, lambda r: torch_rate(r, n))
            sg = {s['threads']: s['gflops'] for s in ctx['sgemm'] if s['set'] == name and s['shape'] == 'FFN in'}
            m = next(s['M'] for s in ctx['sgemm'] if s['set'] == name)
            # The 2-core ceiling for attn: two single-threaded GEMMs at once, as its two workers run them.
            ceiling = sg.get(1) if threads == 1 else sg.get('2 processes × 1')
            fma = fma_peak(peak, threads)
            a_g = flops[name] / ba['compute'] * 1e-9
            t_g = flops[name] / min(bt['seconds']) * 1e-9 if bt else None
            sg_cell = f'{sg[1]:.1f}' if threads == 1 else f"{sg[2]:.1f} / {sg['2 processes × 1']:.1f}"
            rows.append((name, threads, f'{a_g:.2f}', f'{t_g:.2f}' if t_g else '-', f'{sg_cell} (M={m})',
                         f'{fma:.1f}', f'{100 * a_g / ceiling:.0f}% / {100 * a_g / fma:.0f}%'))
    sgemm_head = f"OpenBLAS sgemm M×{cfg['ffn_dim']}×{cfg['d_model']} (2 threads: OpenBLAS threads / 2 processes)"
    out.append(table(('set', 'threads', 'attn', 'PyTorch best', sgemm_head, f"FMA peak ({peak['isa']})",
                      'attn ÷ sgemm / ÷ peak'), rows))
    out.append('')
    out.append('Model FLOPs per input of n tokens (`bench/inputs.py: model_flops`): per layer 2·n·d·3d (QKV) '
               '+ 2·n·d·d (output) + 2·2·n·d·f (FFN) + 2·2·n²·d (scores, weighted sum), plus 2·d·C (classifier); '
               'padding is not counted, so PyTorch\'s padded work on unsorted batches is wasted time. '
               f"sgemm: `bench_sgemm M {cfg['ffn_dim']} {cfg['d_model']}` (row-major, B transposed, beta = 1: the "
               'model\'s largest product, which attn runs on its own kernel), M = tokens of a 32-text batch of '
               'the set; for 2 threads attn ÷ sgemm uses two 1-thread processes at once. '
               'FMA peak: `bench_peak`, independent FMA chains on 1 core and on all cores.')

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

    if ctx['torch_results']:
        out += ['', '## PyTorch, every configuration', '']
        rows = []
        for r in ctx['torch_results']:
            n = len(sets[r['set']]['ids'])
            agree, diff = agreement(r, attn['predictions'][r['set']], labels)
            rows.append((r['set'], 'fast path (inference_mode)' if r['fast'] else 'regular (grad enabled)',
                         r['threads'], r['wait_policy'], r['batch'], r['order'], f"{min(r['seconds']):.3f}",
                         f'{torch_rate(r, n):.0f}', f"{flops[r['set']] / min(r['seconds']) * 1e-9:.2f}",
                         f'{agree:.2f}%', f'{diff:.1e}', 'yes' if r['fast_path_calls'] else 'no'))
        out.append(table(('set', 'path', 'threads', 'OMP_WAIT_POLICY', 'batch', 'order', 's', 'texts/s', 'GFLOP/s',
                          'labels = attn', 'max Δp', 'fused kernel ran'), rows))
        out.append('')
        out.append('`labels = attn`: share of inputs where PyTorch\'s argmax equals attn\'s label; `max Δp`: largest '
                   'difference of the top label\'s probability where they agree. `fused kernel ran`: '
                   '`torch._transformer_encoder_layer_fwd` was called (checked on one batch before timing). '
                   'Batch 1 is run in input order only (sorting changes nothing). Padding as the reference: pad id, '
                   '`src_key_padding_mask`, pooling over the real tokens only.')

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
