"""ONNX Runtime as a peer of PyTorch: the onnxruntime-node package (installed outside the repository), the
model exported to ONNX (onnx_export.py) and ort_worker.js jobs (the protocol of jobs.py).

onnxruntime-node ships ONNX Runtime's native CPU library inside the package; its install script only fetches
GPU files (and fails offline), so it is installed with scripts skipped (install_command), into a directory outside
the repository (default_dir; run.py --ort-dir elsewhere).
"""
import os
import shutil
import subprocess
import sys

import jobs

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = 'onnxruntime-node'
VERSION = '1.30.0'  # installed when missing; a version already in DIR is used as it is (the report names it)
# Largest |difference| of the top label's probability ORT may show against PyTorch (float32 both; the two
# differ by about 1e-6 in the order of their sums).
MAX_PROB_DIFF = 1e-4


def default_dir():
    """ATTN_ORT_DIR, else ~/.cache/attn-bench/ort."""
    return os.environ.get('ATTN_ORT_DIR') or os.path.join(os.path.expanduser('~'), '.cache', 'attn-bench', 'ort')


def install_command(ort_dir):
    return ['npm', 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', ort_dir,
            f'{PACKAGE}@{VERSION}']


def package_dir(ort_dir):
    return os.path.join(os.path.abspath(ort_dir), 'node_modules', PACKAGE)


def ensure_installed(ort_dir, log):
    """Installs onnxruntime-node into ort_dir with npm if it is not there -> its package directory. Exits with
    the command to run (or --no-ort) when node or npm is missing or the install fails."""
    pkg = package_dir(ort_dir)
    if os.path.exists(os.path.join(pkg, 'package.json')):
        return pkg
    command = ' '.join(install_command(ort_dir))
    if shutil.which('node') is None or shutil.which('npm') is None:
        sys.exit(f'ONNX Runtime needs node and npm (node 18 or later), then: {command}\n(or pass --no-ort)')
    log(f'installing {PACKAGE} {VERSION} into {ort_dir}: {command}')
    os.makedirs(ort_dir, exist_ok=True)
    if subprocess.run(install_command(ort_dir), stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit(f'npm could not install {PACKAGE}: {command}\n(or pass --no-ort)')
    return pkg


def export(model_json, onnx_path):
    """The attn JSON model as ONNX (onnx_export.py, in a subprocess: it needs torch)."""
    subprocess.run([sys.executable, os.path.join(HERE, 'onnx_export.py'), model_json, onnx_path], check=True)


def worker(pkg, onnx_path, pad_id, ids, configs, threads, repeats, tmp):
    """One ort_worker.js process: configs on ids ({set: [[ids...]]}) with `threads` intra-op threads ->
    (facts {ort_version, binding, library}, results, each with its `threads`)."""
    job = dict(onnxruntime=pkg, model=onnx_path, pad_id=pad_id, sets=ids, configs=configs, threads=threads,
               repeats=repeats)
    out = jobs.run(['node', os.path.join(HERE, 'ort_worker.js')], job, tmp, 'ort')
    for r in out['results']:
        r['threads'] = threads
    return {k: out[k] for k in ('ort_version', 'binding', 'library')}, out['results']


def compare(reference, results):
    """ORT's results against PyTorch's on the same inputs, per set -> {set: (inputs, max |Δp| of the top label)}.
    Raises RuntimeError, naming the first inputs, if a label differs or Δp exceeds MAX_PROB_DIFF."""
    out = {}
    for r in results:
        ref = reference[r['set']]
        wrong = [i for i, (a, b) in enumerate(zip(r['labels'], ref['labels'])) if a != b]
        diff = max(abs(a - b) for a, b in zip(r['probs'], ref['probs']))
        if wrong or diff > MAX_PROB_DIFF or len(r['labels']) != len(ref['labels']):
            shown = ', '.join(f"#{i}: ORT {r['labels'][i]} ({r['probs'][i]:.6f}), PyTorch {ref['labels'][i]} "
                              f"({ref['probs'][i]:.6f})" for i in wrong[:5])
            raise RuntimeError(f"ONNX Runtime disagrees with PyTorch on set {r['set']}: {len(wrong)} labels differ"
                               f"{' (' + shown + ')' if shown else ''}, max probability difference {diff:.2e} "
                               f'(allowed {MAX_PROB_DIFF:.0e})')
        out[r['set']] = (len(r['labels']), diff)
    return out
