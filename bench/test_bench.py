"""Checks of the benchmark's own logic and helpers (no timing is asserted): run by ctest as bench_selftest.

    python3 bench/test_bench.py BENCH_BIN_DIR
"""
import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

BIN = sys.argv.pop(1) if len(sys.argv) > 1 else None


class WordTokenizer:
    """Stands in for the reference tokenizer: one token per white-space word."""

    def tokenize(self, text):
        return text.split()


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


class HeadToHead(unittest.TestCase):
    """Best configurations, the summary, and run.head_to_head with its two timers replaced."""
    SETS = {'sentences': {'ids': [[7] * 4] * 100, 'file': 's.txt'}, 'long': {'ids': [[7] * 60] * 10, 'file': 'l.txt'}}
    ATTN = [dict(set='sentences', threads=1, batch=32, compute=0.6),
            dict(set='sentences', threads=2, batch=128, compute=0.4),  # the fastest
            dict(set='long', threads=1, batch=32, compute=0.2)]  # and no PyTorch row for long
    TORCH = [dict(set='sentences', fast=True, batch=32, order='sorted', threads=2, wait_policy=run.DEFAULT_WAIT,
                  seconds=[0.9, 0.5]),  # best pass 0.5 s: 200 texts/s
             dict(set='sentences', fast=False, batch=128, order='input', threads=1, wait_policy='PASSIVE',
                  seconds=[0.6])]  # 167 texts/s

    def test_best_configs_pick_the_fastest_of_each_tool_and_skip_a_set_without_pytorch(self):
        best = report.best_configs(self.SETS, self.ATTN, self.TORCH)
        self.assertEqual(list(best), ['sentences'])
        self.assertIs(best['sentences'][0], self.ATTN[1])
        self.assertIs(best['sentences'][1], self.TORCH[0])

    def test_spread(self):
        self.assertEqual(report.spread([1.3, 1.1, 1.25, 0.9, 1.2]), (1.2, 0.9, 1.3))
        self.assertEqual(report.spread([1.0, 2.0, 4.0, 3.0]), (2.5, 1.0, 4.0))

    def test_rounds_alternate_and_use_the_best_configs(self):
        calls, torch_seconds = [], iter([0.5, 0.4, 1.0])

        def run_child(cmd, stdout=None, env=None):
            calls.append(('attn', cmd))
            return 0.6, 0.0, 0  # 0.6 s - 0.1 s load: 100 texts in 0.5 s = 200 texts/s

        def torch_worker(args, ids, configs, threads, policy, repeats, tmp):
            calls.append(('torch', (list(ids), configs, threads, policy, repeats)))
            return '1.13', [dict(seconds=[next(torch_seconds)])]

        args = argparse.Namespace(model='m.json', rounds=3)
        attn = {'load_cache': {'wall': 0.1}, 'throughput': self.ATTN}
        peaks = iter([160.0, 200.0, 80.0])  # the FMA peak measured in each round
        with mock.patch.object(run, 'run_child', run_child), mock.patch.object(run, 'torch_worker', torch_worker), \
                mock.patch.object(run, 'round_peak', lambda bins, threads: next(peaks)), \
                contextlib.redirect_stderr(io.StringIO()):
            out = run.head_to_head(args, {'attn': 'attn'}, self.SETS, '/tmp', {}, attn, self.TORCH,
                                   {'sentences': 2e9}, {'single_core_gflops': '100', 'all_cores_gflops': '200'})
        self.assertEqual([c[0] for c in calls], ['attn', 'torch', 'torch', 'attn', 'attn', 'torch'])
        self.assertEqual(calls[0][1][-4:], ['--threads', '2', '--batch-size', '128'])
        self.assertEqual(calls[1][1], (['sentences'], [dict(set='sentences', fast=True, batch=32, order='sorted')],
                                       2, None, 1))
        rounds = out['sentences']['rounds']
        self.assertEqual([r['first'] for r in rounds], ['attn', 'PyTorch', 'attn'])
        for r, torch_rate, ratio in zip(rounds, (200, 250, 100), (1.0, 0.8, 2.0)):
            self.assertAlmostEqual(r['attn'], 200)
            self.assertAlmostEqual(r['torch'], torch_rate)
            self.assertAlmostEqual(r['ratio'], ratio)
            self.assertAlmostEqual(r['peak_pct'], 2.0)  # 2 GFLOP in 0.5 s = 4 GFLOP/s of 200 (2 threads)
        self.assertEqual([r['round_peak_pct'] for r in rounds], [2.5, 2.0, 5.0])  # 4 GFLOP/s of 160, 200, 80


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
