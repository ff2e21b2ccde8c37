#!/usr/bin/env node
// golden.mjs runs TF.js graph models, unconverted, on fixed deterministic
// inputs with the TF.js CPU backend and writes their outputs as golden files
// for the Go exactness tests of internal/onnxconv.
//
// Usage (after `npm ci` in this directory; extract nsfwjs first with
// internal/onnxconv/nsfwjs-extract.mjs):
//   node golden.mjs <spec.json> <model-id> <model.json> <images dir> <out.json>
//
// spec.json (committed beside this script) says, per model id, the input
// layout and size, the value range, which images to use and, for a model
// converted to output intermediate tensors (an embedder's features), the
// names of those tensors ("outputs"; the signature's outputs otherwise).
// Inputs are:
//   - "random": xorshift32(seed) values mapped to [lo, hi),
//   - "image:<file.png>": the PNG resized to the model's size by nearest-pixel
//     sampling (src = floor(dst * srcSize / dstSize), integer math), each
//     channel value v (0..255) mapped to v*scale + offset.
// Both are computed in double precision and stored as float32, exactly as
// the Go tests rebuild them. Outputs are stored as base64 float32
// little-endian: whole when small, otherwise every stride-th element plus the
// 256 largest elements with their indices.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildInput, loadModel } from './inputs.mjs';

const FULL_LIMIT = 16384; // outputs up to this many elements are kept whole
const SAMPLES = 4096;     // otherwise about this many strided samples
const TOP = 256;          // and the largest elements

function b64(f32) {
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}

function summarize(data) {
  const o = { size: data.length };
  if (data.length <= FULL_LIMIT) {
    o.data = b64(data);
    return o;
  }
  o.stride = Math.ceil(data.length / SAMPLES);
  const s = new Float32Array(Math.ceil(data.length / o.stride));
  for (let i = 0, k = 0; i < data.length; i += o.stride, k++) s[k] = data[i];
  o.samples = b64(s);
  const idx = Array.from(data.keys()).sort((a, b) => data[b] - data[a] || a - b).slice(0, TOP);
  o.topIndices = idx;
  o.topValues = b64(Float32Array.from(idx, (i) => data[i]));
  return o;
}

async function main() {
  const [specFile, id, modelJSON, imagesDir, outFile] = process.argv.slice(2);
  if (!outFile) {
    console.error('usage: golden.mjs <spec.json> <model-id> <model.json> <images dir> <out.json>');
    process.exit(2);
  }
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'))[id];
  if (!spec) throw new Error(`no spec for model ${id}`);
  const model = await loadModel(modelJSON);
  const result = { model: id, tfjs: tf.version_core, backend: tf.getBackend(), inputName: spec.inputName, cases: [] };
  for (const src of spec.inputs) {
    const { data, input } = buildInput(spec, src, imagesDir);
    const x = tf.tensor(data, spec.shape, 'float32');
    const names = spec.outputs ?? model.outputs.map((o) => o.name);
    const t0 = process.hrtime.bigint();
    const ys = model.execute({ [spec.inputName]: x }, names);
    const outs = Array.isArray(ys) ? ys : [ys];
    const values = outs.map((y) => y.dataSync());
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.error(`${id} ${src}: TF.js cpu ${ms.toFixed(1)} ms`);
    const c = { input, outputs: {} };
    names.forEach((name, i) => {
      c.outputs[name.replace(/:0$/, '')] = { shape: outs[i].shape, ...summarize(values[i]) };
    });
    result.cases.push(c);
    tf.dispose([x, ...outs]);
  }
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
