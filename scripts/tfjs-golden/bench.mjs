#!/usr/bin/env node
// bench.mjs times each converted vision model against its TF.js original on
// the same input: the original TF.js graph model on the TF.js CPU backend,
// and the converted <models>/<id>/model.onnx in onnxruntime-node (default
// session options). It prints, per model, the mean wall time of a run (input
// tensor in, every output read back), the speed-up, and the largest absolute
// difference between the two runtimes' outputs.
//
// Usage (after `npm ci --ignore-scripts` in this directory; `make bench-tfjs`
// does both):
//   node bench.mjs <models dir> [TF.js runs (3)] [ONNX Runtime runs (50)]
//
// The models dir is the one `clavis setup` fills: it holds the converted
// models and the TF.js sources under tfjs/ (the paths of the model manifest,
// internal/inference/manifest/models.go).
// The input is the first image input spec.json gives the model, built by
// inputs.mjs exactly as golden.mjs builds it, from the shared test images
// ($CLAVIS_TEST_IMAGES, by default ../shared/testdata/images beside the repo).
// Each runtime runs once untimed first.
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import { buildInput, loadBundleModel, loadModel } from './inputs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// The models, as in the Conversions of internal/inference/manifest/models.go:
// source under the models dir, and whether it is nsfwjs's JavaScript bundle
// directory.
const MODELS = [
  { id: 'nanodet', source: 'tfjs/human-models/nanodet.json' },
  { id: 'blazeface', source: 'tfjs/human-models/blazeface.json' },
  { id: 'nsfw-mobilenet-v2-mid', source: 'tfjs/nsfwjs/mobilenet_v2_mid', bundle: true },
];

function msPerRun(fn, runs) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / runs;
}

async function msPerRunAsync(fn, runs) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / runs;
}

async function bench(modelsDir, m, spec, imagesDir, tfRuns, ortRuns) {
  const src = spec.inputs.find((s) => s.startsWith('image:')) ?? spec.inputs[0];
  const { data } = buildInput(spec, src, imagesDir);

  const sourcePath = path.join(modelsDir, ...m.source.split('/'));
  const model = m.bundle ? await loadBundleModel(sourcePath) : await loadModel(sourcePath);
  const names = model.outputs.map((o) => o.name);
  const x = tf.tensor(data, spec.shape, 'float32');
  const runTF = () => {
    const ys = model.execute({ [spec.inputName]: x }, names);
    const outs = Array.isArray(ys) ? ys : [ys];
    const values = outs.map((y) => y.dataSync());
    tf.dispose(outs);
    return values;
  };
  const tfOut = runTF();
  const tfMs = msPerRun(runTF, tfRuns);
  x.dispose();
  model.dispose();

  const session = await ort.InferenceSession.create(path.join(modelsDir, m.id, 'model.onnx'));
  const feeds = { [spec.inputName]: new ort.Tensor('float32', data, spec.shape) };
  const ortOut = await session.run(feeds);
  const ortMs = await msPerRunAsync(() => session.run(feeds), ortRuns);
  await session.release();

  // Outputs of the converted model carry the TF node names without ":0".
  let maxDiff = 0;
  let maxAbs = 0;
  names.forEach((name, i) => {
    const o = ortOut[name.replace(/:0$/, '')];
    if (!o) throw new Error(`${m.id}: ONNX model has no output ${name}`);
    const a = tfOut[i];
    const b = o.data;
    if (a.length !== b.length) throw new Error(`${m.id}: output ${name} has ${b.length} elements, TF.js ${a.length}`);
    for (let k = 0; k < a.length; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
      maxAbs = Math.max(maxAbs, Math.abs(a[k]));
    }
  });
  return { id: m.id, input: src, tfMs, ortMs, maxDiff, maxAbs };
}

async function main() {
  const [modelsDir, tfArg, ortArg] = process.argv.slice(2);
  if (!modelsDir) {
    console.error('usage: bench.mjs <models dir> [TF.js runs] [ONNX Runtime runs]');
    process.exit(2);
  }
  const tfRuns = Number(tfArg ?? 3);
  const ortRuns = Number(ortArg ?? 50);
  if (!(tfRuns >= 1 && ortRuns >= 1)) throw new Error('run counts must be at least 1');
  const specs = JSON.parse(fs.readFileSync(path.join(here, 'spec.json'), 'utf8'));
  const imagesDir = process.env.CLAVIS_TEST_IMAGES || path.resolve(here, '..', '..', '..', 'shared', 'testdata', 'images');

  console.log(`TF.js ${tf.version_core} (${tf.getBackend() ?? 'cpu'} backend), ${tfRuns} runs; ` +
    `onnxruntime-node ${ort.env.versions?.common ?? ''} (default session options), ${ortRuns} runs; ` +
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()})`);
  const rows = [];
  for (const m of MODELS) {
    const r = await bench(modelsDir, m, specs[m.id], imagesDir, tfRuns, ortRuns);
    rows.push(r);
    console.error(`${r.id}: done`);
  }
  const table = [
    ['model', 'input', 'TF.js ms/run', 'ONNX Runtime ms/run', 'speed-up', 'max |diff|', 'max |TF.js|'],
    ...rows.map((r) => [r.id, r.input.replace(/^image:/, ''), r.tfMs.toFixed(1), r.ortMs.toFixed(2),
      `${(r.tfMs / r.ortMs).toFixed(1)}×`, r.maxDiff.toExponential(1), r.maxAbs.toPrecision(3)]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) console.log(row.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd());
}

main().catch((e) => { console.error(e); process.exit(1); });
