"""Checks of the benchmark's own logic and helpers (no timing is asserted): run by ctest as bench_selftest.

    python3 bench/test_bench.py BENCH_BIN_DIR
"""
import argparse
import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inputs  # noqa: E402
import jobs  # noqa: E402
import ort  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

BIN = sys.argv.pop(1) if len(sys.argv) > 1 else None
try:
    import torch
except ImportError:  # the PyTorch model's checks need it (ctest bench_torch_model runs them with Debian's Python)
    torch = None


class WordTokenizer:
    """Stands in for the reference tokenizer: one token per white-space word."""

    def tokenize(self, text):
        return text.split()


class WrappingWordTokenizer(WordTokenizer):
    """One token per word, wrapped in 2 more ids as a v2 model's [CLS] ... [SEP]."""
    wrap_tokens = 2

    def encode(self, text, max_length):
        return [2] + [7] * min(len(text.split()), max_length - 2) + [3]


class Inputs(unittest.TestCase):
    def test_flops_formula(self):
        cfg = dict(d_model=128, ffn_dim=512, num_layers=2, num_labels=2)
        n, d, f = 10, 128, 512
        per_layer = 2 * n * d * 3 * d + 2 * n * d * d + 4 * n * d * f + 4 * n * n * d
        self.assertEqual(inputs.model_flops(n, cfg), 2 * per_layer + 2 * d * 2)

    def test_read_sentences_skips_header_and_stops_at_count(self):
        with tempfile.NamedTemporaryFile('w', suffix='.tsv', delete=False, encoding='utf-8') as f:
            f.write('sentence\tlabel\nfirst one \t1\nsecond "quoted\t0\nthird\t1\n')
        try:
            self.assertEqual(inputs.read_sentences(f.name, 2), ['first one', 'second "quoted'])
            self.assertEqual(len(inputs.read_sentences(f.name)), 3)
        finally:
            os.remove(f.name)

    def test_long_texts_stay_in_range(self):
        sentences = [' '.join(['w'] * k) for k in (3, 9, 5, 20, 7, 2, 11, 4, 6, 8) * 20]
        out = inputs.long_texts(sentences, WordTokenizer(), 15, 14, 16)
        self.assertEqual(len(out), 15)
        for text in out:
            self.assertTrue(14 <= len(text.split()) <= 16, text)

    def test_long_texts_refuses_an_impossible_count(self):
        with self.assertRaises(ValueError):
            inputs.long_texts(['a b', 'c'], WordTokenizer(), 5, 60, 64)

    def test_long_set_option(self):
        self.assertEqual(run.long_set('128:300'), (128, 300))
        for bad in ('128', '128:x', ':5'):
            with self.assertRaises(argparse.ArgumentTypeError):
                run.long_set(bad)

    def test_long_sets_count_ids_with_the_wrapping_tokens(self):
        words = [' '.join(['w'] * k) for k in (3, 9, 5, 2, 7, 4, 6, 8) * 30]
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, 'train.tsv')
            with open(data, 'w', encoding='utf-8') as f:
                f.write('sentence\tlabel\n' + ''.join(w + '\t1\n' for w in words))
            args = argparse.Namespace(data=data, sentences=10, long=5, long_sets=[(12, 6), (20, 4)])
            sets = run.make_inputs(args, WrappingWordTokenizer(), 64, tmp)
            self.assertEqual(list(sets), ['sentences', 'long12', 'long20'])
            self.assertIsNone(sets['sentences']['range'])
            for name, span, count in (('long12', (8, 12), 6), ('long20', (16, 20), 4)):
                self.assertEqual(sets[name]['range'], span)
                self.assertEqual(len(sets[name]['ids']), count)
                for ids, text in zip(sets[name]['ids'], sets[name]['texts']):
                    self.assertTrue(span[0] <= len(ids) <= span[1], text)
                    self.assertEqual(len(ids), len(text.split()) + 2)
            args.long_sets = None  # the default: one set `long` at the maximum length
            self.assertEqual(run.long_sets(args, 64), [('long', 64, 5)])


class HeadToHead(unittest.TestCase):
    """Best configurations, the summary, and run.head_to_head with its three timers replaced."""
    SETS = {'sentences': {'ids': [[7] * 4] * 100, 'file': 's.txt'}, 'long': {'ids': [[7] * 60] * 10, 'file': 'l.txt'},
            'short': {'ids': [[7]] * 10, 'file': 'x.txt'}}
    ATTN = [dict(set='sentences', threads=1, batch=32, compute=0.6),
            dict(set='sentences', threads=2, batch=128, compute=0.4),  # the fastest
            dict(set='long', threads=1, batch=32, compute=0.2),  # no peer row for long
            dict(set='short', threads=1, batch=32, compute=0.2)]  # ORT only
    TORCH = [dict(set='sentences', fast=True, batch=32, order='sorted', threads=2, wait_policy=run.DEFAULT_WAIT,
                  seconds=[0.9, 0.5]),  # best pass 0.5 s: 200 texts/s
             dict(set='sentences', fast=False, batch=128, order='input', threads=1, wait_policy='PASSIVE',
                  seconds=[0.6])]  # 167 texts/s
    ORT = [dict(set='sentences', batch=1, order='input', threads=1, seconds=[0.8]),
           dict(set='sentences', batch=128, order='sorted', threads=2, seconds=[0.25]),  # the fastest
           dict(set='short', batch=32, order='input', threads=1, seconds=[0.1])]

    def test_best_configs_pick_the_fastest_of_each_tool_and_skip_a_set_without_a_peer(self):
        best = report.best_configs(self.SETS, self.ATTN, {'torch': self.TORCH, 'ort': self.ORT})
        self.assertEqual(list(best), ['sentences', 'short'])
        self.assertEqual(best['sentences'], {'attn': self.ATTN[1], 'torch': self.TORCH[0], 'ort': self.ORT[1]})
        self.assertEqual(best['short'], {'attn': self.ATTN[3], 'ort': self.ORT[2]})

    def test_spread(self):
        self.assertEqual(report.spread([1.3, 1.1, 1.25, 0.9, 1.2]), (1.2, 0.9, 1.3))
        self.assertEqual(report.spread([1.0, 2.0, 4.0, 3.0]), (2.5, 1.0, 4.0))
        self.assertEqual(report.spread_cell([2.0, 1.5, 3.0], '×', 2), '2.00× (1.50-3.00)')

    def test_rounds_rotate_the_order_and_use_the_best_configs(self):
        calls, torch_seconds, ort_seconds = [], iter([0.5, 0.4, 1.0]), iter([0.25, 0.5, 0.2])

        def run_child(cmd, stdout=None, env=None):
            calls.append(('attn', cmd))
            return 0.6, 0.0, 0  # 0.6 s - 0.1 s load: 100 texts in 0.5 s = 200 texts/s

        def torch_worker(args, ids, configs, threads, policy, repeats, tmp):
            calls.append(('torch', (list(ids), configs, threads, policy, repeats)))
            return '1.13', [dict(seconds=[next(torch_seconds)])]

        def ort_run(ids, configs, threads, repeats, tmp):
            calls.append(('ort', (list(ids), configs, threads, repeats)))
            return {}, [dict(seconds=[next(ort_seconds)])]

        args = argparse.Namespace(model='m.json', rounds=3)
        attn = {'load_cache': {'wall': 0.1}, 'throughput': self.ATTN}
        peaks = iter([160.0, 200.0, 80.0])  # the FMA peak measured in each round
        sets = {'sentences': self.SETS['sentences']}
        with mock.patch.object(run, 'run_child', run_child), mock.patch.object(run, 'torch_worker', torch_worker), \
                mock.patch.object(run, 'round_peak', lambda bins, threads: next(peaks)), \
                contextlib.redirect_stderr(io.StringIO()):
            out = run.head_to_head(args, {'attn': 'attn'}, sets, '/tmp', {}, attn,
                                   {'torch': self.TORCH, 'ort': self.ORT}, {'sentences': 2e9},
                                   {'single_core_gflops': '100', 'all_cores_gflops': '200'}, ort_run)
        order = [['attn', 'torch', 'ort'], ['torch', 'ort', 'attn'], ['ort', 'attn', 'torch']]
        self.assertEqual([c[0] for c in calls], sum(order, []))
        self.assertEqual(calls[0][1][-4:], ['--threads', '2', '--batch-size', '128'])
        self.assertEqual(calls[1][1], (['sentences'], [dict(set='sentences', fast=True, batch=32, order='sorted')],
                                       2, None, 1))
        self.assertEqual(calls[2][1], (['sentences'], [dict(set='sentences', batch=128, order='sorted')], 2, 1))
        rounds = out['sentences']['rounds']
        self.assertEqual([r['order'] for r in rounds], order)
        for r, torch_rate, ort_rate in zip(rounds, (200, 250, 100), (400, 200, 500)):
            self.assertAlmostEqual(r['rates']['attn'], 200)
            self.assertAlmostEqual(r['rates']['torch'], torch_rate)
            self.assertAlmostEqual(r['ratios']['torch'], 200 / torch_rate)
            self.assertAlmostEqual(r['ratios']['ort'], 200 / ort_rate)
            self.assertAlmostEqual(r['peak_pct'], 2.0)  # 2 GFLOP in 0.5 s = 4 GFLOP/s of 200 (2 threads)
        self.assertEqual([r['round_peak_pct'] for r in rounds], [2.5, 2.0, 5.0])  # 4 GFLOP/s of 160, 200, 80

    def test_summary_takes_the_rounds_medians_and_the_worst_agreement(self):
        rounds = [dict(rates={'attn': a, 'torch': t}, ratios={'torch': a / t})
                  for a, t in ((300, 100), (200, 100), (330, 110))]
        torch_results = [dict(r, labels=labels, probs=[0.9, 0.8, 0.7, 0.6]) for r, labels in
                         ((self.TORCH[0], [0, 1, 1, 0]), (self.TORCH[1], [0, 1, 0, 0]))]
        predictions = [dict(label=name, probability=p) for name, p in
                       (('neg', 0.9), ('pos', 0.8), ('pos', 0.75), ('neg', 0.6))]
        ctx = dict(doc={'labels': ['neg', 'pos']}, sets={'sentences': {'ids': [[1, 2], [1], [1, 2, 3], [4]]}},
                   head_to_head={'sentences': dict(best={'attn': self.ATTN[1], 'torch': self.TORCH[0]},
                                                   rounds=rounds)},
                   peers={'torch': torch_results}, attn={'predictions': {'sentences': predictions}},
                   warnings={'at the start': ['load average 1.2'], 'at the end': []})
        out = report.summary(ctx)
        self.assertEqual(out['warnings'], ['at the start: load average 1.2'])
        s = out['sets']['sentences']
        self.assertEqual((s['texts'], s['mean_ids'], s['attn'], s['torch']), (4, 1.75, 300, 100))
        self.assertEqual(s['ratio'], (3.0, 2.0, 3.0))
        self.assertEqual((s['attn_config'], s['torch_config']), ('2T, batch 128', 'fast path, 2T, batch 32, sorted'))
        self.assertEqual(s['agreement'], 75.0)  # the second configuration differs on the third text
        self.assertAlmostEqual(s['max_dp'], 0.05)


def v2_document(head, activation, embedding_dim, seed=0):
    """A small random format-v2 model document (d_model 8, 2 heads, 2 layers, 10 tokens) with the given head."""
    import attn_v2  # needs torch
    vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a', 'b', 'c', 'd', 'e', 'f']
    config = dict(vocab_size=len(vocab), max_length=12, d_model=8, num_heads=2, num_layers=2, ffn_dim=16,
                  num_labels=3, layer_norm_eps=1e-12, norm_placement='post', activation=activation,
                  positional_encoding='learned', attention_score='scaled_dot', causal=False, pooling='first',
                  embedding_dim=embedding_dim, embedding_norm=True, embedding_projection=embedding_dim != 8,
                  head=head)
    generator = torch.Generator().manual_seed(seed)
    weights = [{'name': name, 'shape': shape,
                'data': (torch.randn(shape, generator=generator) * 0.5).flatten().tolist()}
               for name, shape in attn_v2.expected_shapes(config).items()]
    tokenizer = dict(kind='wordpiece', lowercase=True, strip_accents=True, split_cjk=True, continuation_prefix='##',
                     max_word_chars=100, special_tokens=dict(pad='[PAD]', unk='[UNK]', cls='[CLS]', sep='[SEP]'),
                     wrap='cls_sep', vocab=vocab)
    return dict(format_version=2, config=config, tokenizer=tokenizer, labels=['x', 'y', 'z'], weights=weights)


@unittest.skipIf(torch is None, 'no torch')
class Int8Scheme(unittest.TestCase):
    """int8_accuracy.py's int8 product: exact on values its grids hold, and rounded as worked out by hand off them."""

    def test_values_on_the_grids_are_exact(self):
        import int8_accuracy
        w = torch.tensor([[127., -3., 0.], [5., -127., 64.]]) / 64  # each row's largest magnitude is 127 steps
        x = (torch.tensor([[0., 255., 17.], [255., 0., 128.]]) - torch.tensor([[85.], [0.]])) / 8  # 0 in range
        b = torch.tensor([0.5, -1.0])
        self.assertTrue(torch.equal(int8_accuracy.int8_linear(x, w, b), torch.nn.functional.linear(x, w, b)))

    def test_off_grid_weights_round_to_the_rows_step(self):
        import int8_accuracy
        # Row step 1/127: 0.004 is 0.508 steps and rounds to one step; x [1, 1] is on its grid (0 and 1 -> 0, 255).
        y = int8_accuracy.int8_linear(torch.tensor([[1., 1.]]), torch.tensor([[1., 0.004]]))
        self.assertAlmostEqual(y.item(), 1 + 1 / 127, places=6)


@unittest.skipIf(torch is None, 'no torch')
class TorchModel(unittest.TestCase):
    """The PyTorch model timed on imported files: a batch gives tools/attn_v2.py's probabilities for each input on
    its own, on the fused path (inference_mode) and the regular one (grad enabled); the fused path nests the
    padded batch (half of it padding) and runs the one-input batches as they are."""
    TEXTS = ['a b c', 'f', 'c a f e d b a b c d', 'e e']

    def check(self, head, activation, embedding_dim, fused):
        import attn_v2
        import torch_model
        import torch_worker
        from attn_model import pad_batch
        doc = v2_document(head, activation, embedding_dim)
        with tempfile.TemporaryDirectory() as tmp:
            model, pad_id = torch_model.load(torch_model.torch_file(doc, os.path.join(tmp, 'm.json'), tmp))
        reference = attn_v2.V2Model(doc)
        ids = [reference.encode(t) for t in self.TEXTS]
        expected = torch.stack([reference.forward(i)[0] for i in ids])
        batch = pad_batch(ids, pad_id)
        for fast in (True, False):
            logits = torch_worker.run_all(model, [batch], fast)[0]
            self.assertLess(float((torch.softmax(logits, dim=1) - expected).abs().max()), 1e-5, (head, fast))
            self.assertEqual(torch_worker.fast_path_calls(model, batch, fast) > 0, fast and fused, (head, fast))
            self.assertEqual(model.encoder.enable_nested_tensor, True)
            logits = torch.cat(torch_worker.run_all(model, [torch.tensor([i]) for i in ids], fast))
            self.assertLess(float((torch.softmax(logits, dim=1) - expected).abs().max()), 1e-5, (head, fast))
            self.assertEqual(model.encoder.enable_nested_tensor, False)

    def test_bert(self):
        self.check('bert_pooler', 'gelu', 8, fused=True)

    def test_distilbert(self):
        self.check('distilbert', 'relu', 8, fused=True)

    def test_electra_with_its_projection_and_tanh_gelu(self):
        self.check('electra', 'gelu_tanh', 4, fused=False)  # no fused kernel has the tanh GELU

    def test_a_v1_file_goes_to_the_v1_loader(self):
        import torch_model
        model, pad_id = torch_model.load(os.path.join(run.ROOT, 'models', 'sst2-sentiment.json'))
        self.assertEqual((type(model).__name__, pad_id, model.training), ('AttnClassifier', 0, False))


@unittest.skipIf(torch is None, 'no torch')  # imported.py makes the checkpoints with torch
class ImportedTable(unittest.TestCase):
    def test_rows_and_warnings(self):
        import imported
        sets = {'sentences': dict(texts=100, mean_ids=13.26, attn=812.4, torch=401.0, ratio=[2.03, 1.5, 2.4],
                                  attn_config='2T, batch 128', torch_config='fast path, 1T, batch 32, sorted',
                                  agreement=100.0, max_dp=1e-7),
                'long512': dict(texts=8, mean_ids=510.0, attn=7.2, torch=5.0, ratio=[1.41, 1.41, 1.49],
                                attn_config='2T, batch 32', torch_config='regular path, 2T, batch 1, input',
                                agreement=87.5, max_dp=1e-6)}
        lines = imported.table([('mini', {'warnings': ['at the start: load average 2.16 on 2 cores'],
                                          'sets': sets})])
        rows = lines[0].splitlines()
        self.assertEqual(rows[2], '| mini (L4 H256 A4 I1024) | sentences | 100 | 13.3 | 812 | 401 | 2.03× (1.50-2.40) '
                                  '| 2T, batch 128 | fast path, 1T, batch 32, sorted | 100.00% |')
        self.assertIn('| long512 | 8 | 510.0 | 7 | 5 | 1.41× (1.41-1.49) |', rows[3])
        self.assertEqual(len(rows), 4)
        notes = lines[2:]
        self.assertEqual(len(notes), 2)
        self.assertIn('mini long512: PyTorch gives another label than attn on 12.50%', notes[0])
        self.assertIn('not idle (1 findings', notes[1])

    def test_quick_takes_a_tenth_and_at_least_8(self):
        import imported
        self.assertEqual(imported.counts('tiny', True), (1000, 200, 40))
        self.assertEqual(imported.counts('l6h384', True), (100, 12, 8))
        self.assertEqual(imported.counts('l6h384', False), imported.COUNTS['l6h384'])


class Peers(unittest.TestCase):
    """The peers' shared sweep and ONNX Runtime's check against PyTorch."""

    def test_batch_configs_cover_every_batch_and_order_but_sorted_batch_1(self):
        configs = jobs.batch_configs(['a', 'b'])
        self.assertEqual(len(configs), 2 * (len(jobs.BATCHES) * len(jobs.ORDERS) - 1))
        self.assertNotIn(dict(set='a', batch=1, order='sorted'), configs)
        self.assertIn(dict(set='b', batch=128, order='sorted'), configs)

    def test_compare_reports_the_largest_difference(self):
        reference = {'s': dict(labels=[0, 1, 1], probs=[0.9, 0.6, 0.7])}
        result = dict(set='s', labels=[0, 1, 1], probs=[0.9, 0.60002, 0.7])
        n, diff = ort.compare(reference, [result])['s']
        self.assertEqual(n, 3)
        self.assertAlmostEqual(diff, 2e-5)

    def test_compare_fails_on_a_label_or_a_probability(self):
        reference = {'s': dict(labels=[0, 1], probs=[0.9, 0.6])}
        with self.assertRaisesRegex(RuntimeError, '1 labels differ .*#1: ORT 0'):
            ort.compare(reference, [dict(set='s', labels=[0, 0], probs=[0.9, 0.6])])
        with self.assertRaisesRegex(RuntimeError, '0 labels differ, max probability difference 1.00e-03'):
            ort.compare(reference, [dict(set='s', labels=[0, 1], probs=[0.9, 0.601])])


class Report(unittest.TestCase):
    """report.render on a small made-up run: with both peers and rounds, and with neither (--no-torch --no-ort)."""

    def context(self, peers):
        sets = {'sentences': {'ids': [[7] * 4] * 10}, 'long': {'ids': [[7] * 60] * 2}}
        attn_row = lambda name, threads, batch: dict(set=name, threads=threads, batch=batch, wall=0.5, cpu=0.4,
                                                     compute=0.25, rss_kib=20480)
        attn = {'throughput': [attn_row(s, t, b) for s in sets for t in (1, 2) for b in (32, 128)],
                'load_cache': {'wall': 0.25, 'rss_kib': 17000}, 'load_json': {'wall': 0.3, 'rss_kib': 70000},
                'first_run': (0.3, 0.3, 17000), 'latency': {'wall': 0.02, 'walls': [0.02, 0.03]},
                'latency_cold': (0.3, 0.3, 17000),
                'rss': [dict(lines=10, batch=32, threads=2, rss_kib=17000, wall=0.3)],
                'predictions': {s: [dict(label='positive', probability=0.75, tokens=len(i)) for i in d['ids']]
                                for s, d in sets.items()}}
        peer_row = lambda name, threads: dict(set=name, threads=threads, batch=32, order='sorted', seconds=[0.5],
                                              labels=[1] * len(sets[name]['ids']),
                                              probs=[0.75] * len(sets[name]['ids']))
        results = {'torch': [dict(peer_row(s, t), fast=True, wait_policy='PASSIVE', fast_path_calls=1)
                             for s in sets for t in (1, 2)],
                   'ort': [peer_row(s, t) for s in sets for t in (1, 2)]}
        peers = {t: results[t] for t in peers}
        rounds = [dict(order=['attn', *peers], rates={'attn': 40.0, **{t: 20.0 for t in peers}},
                       ratios={t: 2.0 for t in peers}, peak_pct=50.0, round_peak=100.0, round_peak_pct=50.0,
                       steal_pct=0.0)]
        h2h = {s: {'best': {'attn': attn['throughput'][0], **{t: peers[t][0] for t in peers}}, 'rounds': rounds}
               for s in sets} if peers else None
        sgemm = [dict(set=s, shape='FFN in', M=320, N=512, K=128, threads=t, gflops=50.0)
                 for s in sets for t in (1, 2, '2 processes × 1')]
        facts = {'torch': '1.13', 'ort': dict(ort_version='1.30.0', binding='b.node', library='l.so')}
        cfg = dict(num_layers=2, d_model=128, num_heads=4, ffn_dim=512, vocab_size=100, max_length=64, num_labels=2)
        return dict(args=argparse.Namespace(model_source='m.json', repeats=3), cfg=cfg, model_sha='0' * 64,
                    doc={'weights': [{'shape': [100, 128]}], 'labels': ['negative', 'positive']}, sets=sets,
                    machine={'cpu': 'x', 'attn kernels': 'products avx512, attention heads avx512'}, peers=peers,
                    peer_facts={t: facts[t] for t in peers},
                    ort_agreement={s: (len(d['ids']), 1e-7) for s, d in sets.items()}, started='now', minutes=1.0,
                    warnings={'at the start': []}, peak={'isa': 'avx512', 'vector_bits': '512',
                                                         'single_core_gflops': '100', 'all_cores_gflops': '200'},
                    sgemm=sgemm, attn=attn, head_to_head=h2h, sweeps=None, wrap_tokens=0, command='run.py')

    def test_both_peers(self):
        text = report.render(self.context(['torch', 'ort']))
        self.assertIn('# attn vs PyTorch vs ONNX Runtime', text)
        for piece in ('attn ÷ PyTorch (excl. / incl.)', 'attn ÷ ORT (excl. / incl.)', 'attn ÷ ORT, median (min-max)',
                      '2.00× (2.00-2.00)', 'texts/s, median (attn / PyTorch / ORT)', 'attn-PyTorch-ORT: 2.00×, 2.00×',
                      '## ONNX Runtime, every configuration', 'the same label on all 10 inputs',
                      'onnxruntime-node 1.30.0', 'FMA peak (avx512, 512-bit)',
                      "attn's kernels: products avx512, attention heads avx512 (`attn info`)",
                      'FMA peak: avx512, 512-bit.'):
            self.assertIn(piece, text)

    def test_no_peer(self):
        text = report.render(self.context([]))
        self.assertIn('# attn: now', text)
        for piece in ('PyTorch best', 'ORT', 'Head to head', '## PyTorch', '## ONNX Runtime', 'onnxruntime-node'):
            self.assertNotIn(piece, text)

    def test_an_installed_package_is_used_and_a_missing_node_names_the_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            with mock.patch.object(ort.shutil, 'which', lambda name: None):
                with self.assertRaises(SystemExit) as stop:
                    ort.ensure_installed(tmp, print)
                self.assertIn(f'npm install --ignore-scripts --no-audit --no-fund --prefix {tmp} onnxruntime-node@',
                              str(stop.exception))
                pkg = ort.package_dir(tmp)
                os.makedirs(pkg)
                open(os.path.join(pkg, 'package.json'), 'w').close()
                self.assertEqual(ort.ensure_installed(tmp, print), pkg)


@unittest.skipIf(shutil.which('node') is None, 'no node')
class OrtWorker(unittest.TestCase):
    """ort_worker.js's batching and bookkeeping with a stand-in for onnxruntime-node (no timing asserted)."""
    WORKER = os.path.join(HERE, 'ort_worker.js')
    TENSOR = 'class Tensor { constructor(type, data, dims) { Object.assign(this, {type, data, dims}); } }'
    # A session whose logits for a row are [real tokens, first id]: the labels say which row went where.
    FAKE = TENSOR + """
        const session = {inputNames: ['ids'], outputNames: ['logits'], async run(feeds) {
          const t = feeds.ids, [rows, len] = t.dims, data = new Float32Array(rows * 2);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < len; c++) if (t.data[r * len + c] !== BigInt(PAD)) data[r * 2]++;
            data[r * 2 + 1] = Number(t.data[r * len]);
          }
          return {logits: {dims: [rows, 2], data}};
        }};
    """

    def node(self, script):
        return subprocess.run(['node', '-e', script], capture_output=True, text=True, check=True).stdout

    def test_batches_are_padded_at_the_end_and_sorted_stably(self):
        script = f"""const w = require({json.dumps(self.WORKER)});
            {self.TENSOR}
            const {{batches, index}} = w.makeBatches({{Tensor}}, [[5, 6, 7], [8], [9, 9], [4]], 3, 'sorted', 0);
            console.log(JSON.stringify({{index, batches: batches.map((b) => [b.tensor.type, b.tensor.dims,
                                                                       Array.from(b.tensor.data, Number)])}}));"""
        out = json.loads(self.node(script))
        self.assertEqual(out['index'], [1, 3, 2, 0])  # by length; 8 and 4 keep their input order
        self.assertEqual(out['batches'], [['int64', [3, 2], [8, 0, 4, 0, 9, 9]], ['int64', [1, 3], [5, 6, 7]]])

    def test_labels_and_probabilities_come_back_in_input_order(self):
        seqs = [[3, 4, 5, 6], [9], [2, 2], [7, 7, 7], [1]]
        # label 0 where a text has more tokens than its first id, else 1; probability of that label
        expect = []
        for s in seqs:
            a, b = len(s), s[0]
            label = 0 if a >= b else 1
            expect.append((label, 1 / (1 + math.exp(-abs(a - b)))))
        for batch, order in ((1, 'input'), (2, 'input'), (2, 'sorted'), (128, 'sorted')):
            script = f"""const PAD = 0; {self.FAKE}
                const w = require({json.dumps(self.WORKER)});
                w.runConfig({{Tensor}}, session, {json.dumps(seqs)}, {{set: 's', batch: {batch}, order: '{order}'}},
                            PAD, 2).then((r) => console.log(JSON.stringify(r)));"""
            out = json.loads(self.node(script))
            self.assertEqual(len(out['seconds']), 2)
            self.assertEqual(out['labels'], [e[0] for e in expect], (batch, order))
            for p, e in zip(out['probs'], expect):
                self.assertAlmostEqual(p, e[1])

    def test_a_package_without_the_native_binding_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            pkg = os.path.join(tmp, 'onnxruntime-node')
            os.makedirs(pkg)
            with open(os.path.join(pkg, 'index.js'), 'w') as f:
                f.write('module.exports = {};\n')
            job, out = os.path.join(tmp, 'job.json'), os.path.join(tmp, 'out.json')
            with open(job, 'w') as f:
                json.dump(dict(onnxruntime=pkg, model='m.onnx', pad_id=0, sets={}, configs=[], threads=1,
                               repeats=1), f)
            r = subprocess.run(['node', self.WORKER, job, out], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('did not load its', r.stderr)


@unittest.skipIf(BIN is None, 'no helper directory given')
class Helpers(unittest.TestCase):
    def run_tool(self, *args):
        return subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True, check=True)

    def test_spawn_reports_exit_code_and_rss(self):
        with tempfile.NamedTemporaryFile('r') as result:
            self.run_tool('bench_spawn', result.name, 'sh', '-c', 'exit 3')
            wall, cpu, rss, code = result.read().split()
        self.assertEqual(int(code), 3)
        self.assertGreaterEqual(float(wall), 0.0)
        self.assertGreater(int(rss), 0)

    def test_peak_prints_its_fields(self):
        out = self.run_tool('bench_peak', '1000', '2').stdout
        keys = {line.split()[0] for line in out.splitlines()}
        self.assertEqual(keys, {'isa', 'vector_bits', 'single_core_gflops', 'threads', 'all_cores_gflops'})

    def test_sgemm_runs_a_small_shape(self):
        words = self.run_tool('bench_sgemm', '5', '7', '3', '1', '0.001').stdout.split()
        self.assertGreater(float(words[words.index('gflops') + 1]), 0.0)
        self.assertIn('OpenBLAS', self.run_tool('bench_sgemm', '--config').stdout)


if __name__ == '__main__':
    unittest.main()
