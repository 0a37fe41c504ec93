// ONNX Runtime side of the benchmark, run by run.py (bench/ort.py) in a node process per thread setting, as
// torch_worker.py is for PyTorch.
//
//   node bench/ort_worker.js JOB.json OUT.json
//
// Job: {onnxruntime: the onnxruntime-node package directory, model: the .onnx file (bench/onnx_export.py),
// pad_id, sets: {name: [[ids...], ...]}, configs: [{set, batch, order}], threads, repeats}.
// Writes {ort_version, binding, library, threads, results: [{...config, seconds: [...], labels, probs}]},
// labels and the top label's probability per input in input order.
// Only session.run and the argmax are timed: the padded int64 tensors are built before the clock starts, as
// torch_worker.py builds its id tensors beforehand.
'use strict';
const fs = require('fs');
const path = require('path');

// -> {binding, library}: the native files this process loaded, relative to the package directory. Fails unless
// the package's own CPU binding for this platform is loaded (and, where /proc shows it, its own libonnxruntime).
function loadedNativeFiles(pkgDir) {
  const binding = Object.keys(require.cache).find((f) => f.endsWith('onnxruntime_binding.node'));
  const binDir = path.join(fs.realpathSync(pkgDir), 'bin');  // require.cache and /proc hold real paths
  if (!binding || !binding.startsWith(binDir + path.sep) ||
      !binding.includes(path.join(process.platform, process.arch))) {
    throw new Error(`onnxruntime-node did not load its ${process.platform}/${process.arch} binding (${binding})`);
  }
  let library = '-';
  if (fs.existsSync('/proc/self/maps')) {
    const libs = new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\n')
      .map((line) => line.split(/\s+/).slice(5).join(' ')).filter((f) => /libonnxruntime\.so/.test(f)));
    if (libs.size !== 1 || ![...libs][0].startsWith(binDir + path.sep)) {
      throw new Error(`expected the package's own libonnxruntime, found: ${[...libs].join(', ') || 'none'}`);
    }
    library = path.relative(path.dirname(binDir), [...libs][0]);
  }
  return {binding: path.relative(path.dirname(binDir), binding), library};
}

// -> {batches: [{tensor [rows, longest] int64, rows}], index: input index of each row in batch order}.
// 'sorted' orders inputs by length first (a stable sort: equal lengths keep input order), as torch_worker does.
function makeBatches(ort, seqs, batch, order, padId) {
  const index = seqs.map((_, i) => i);
  if (order === 'sorted') index.sort((a, b) => seqs[a].length - seqs[b].length);
  const batches = [];
  for (let s = 0; s < index.length; s += batch) {
    const rows = index.slice(s, s + batch).map((i) => seqs[i]);
    const longest = Math.max(...rows.map((r) => r.length));
    const data = new BigInt64Array(rows.length * longest).fill(BigInt(padId));
    rows.forEach((r, row) => r.forEach((id, col) => { data[row * longest + col] = BigInt(id); }));
    batches.push({tensor: new ort.Tensor('int64', data, [rows.length, longest]), rows: rows.length});
  }
  return {batches, index};
}

// Runs every batch -> logits per batch; argmax into labels (batch order) when given.
async function runAll(session, batches, labels) {
  const [input, output] = [session.inputNames[0], session.outputNames[0]];
  const outs = [];
  let row = 0;
  for (const b of batches) {
    const logits = (await session.run({[input]: b.tensor}))[output];
    outs.push(logits);
    if (labels) {
      const classes = logits.dims[1];
      for (let r = 0; r < b.rows; r++, row++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits.data[r * classes + c] > logits.data[r * classes + best]) best = c;
        labels[row] = best;
      }
    }
  }
  return outs;
}

// Softmax of each row -> the probability of `labels[row]`, rows in batch order.
function topProbabilities(outs, labels) {
  const probs = [];
  for (const logits of outs) {
    const classes = logits.dims[1];
    for (let r = 0; r < logits.dims[0]; r++) {
      const z = Array.from(logits.data.subarray(r * classes, (r + 1) * classes));
      const max = Math.max(...z);
      const sum = z.reduce((acc, v) => acc + Math.exp(v - max), 0);
      probs.push(Math.exp(z[labels[probs.length]] - max) / sum);
    }
  }
  return probs;
}

// One configuration {set, batch, order} on seqs -> {...cfg, seconds: one per repeat, labels, probs} in input order.
async function runConfig(ort, session, seqs, cfg, padId, repeats) {
  const {batches, index} = makeBatches(ort, seqs, cfg.batch, cfg.order, padId);
  await runAll(session, batches.slice(0, 3)); // warm-up: arena, thread pool, first touch of the weights
  const seconds = [];
  const inBatchOrder = new Int32Array(seqs.length);
  let outs;
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    outs = await runAll(session, batches, inBatchOrder);
    seconds.push(Number(process.hrtime.bigint() - start) * 1e-9);
  }
  const probsInBatchOrder = topProbabilities(outs, inBatchOrder);
  const labels = new Array(seqs.length);
  const probs = new Array(seqs.length);
  index.forEach((i, row) => { labels[i] = inBatchOrder[row]; probs[i] = probsInBatchOrder[row]; });
  return {...cfg, seconds, labels, probs};
}

async function main() {
  const [jobPath, outPath] = process.argv.slice(2);
  const job = JSON.parse(fs.readFileSync(jobPath, 'utf8'));
  const ort = require(job.onnxruntime);
  const native = loadedNativeFiles(job.onnxruntime);
  const session = await ort.InferenceSession.create(job.model, {
    executionProviders: ['cpu'], intraOpNumThreads: job.threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const results = [];
  for (const cfg of job.configs) {
    const r = await runConfig(ort, session, job.sets[cfg.set], cfg, job.pad_id, job.repeats);
    results.push(r);
    process.stderr.write(`  ORT threads=${job.threads} ${cfg.set} batch=${cfg.batch} ${cfg.order}: ` +
                         `${Math.min(...r.seconds).toFixed(2)} s\n`);
  }
  fs.writeFileSync(outPath, JSON.stringify({ort_version: ort.env.versions.node, ...native, threads: job.threads,
                                            results}));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`ort_worker: ${e.stack || e}\n`);
    process.exit(1);
  });
} else {
  module.exports = {makeBatches, runConfig};  // for bench/test_bench.py
}
