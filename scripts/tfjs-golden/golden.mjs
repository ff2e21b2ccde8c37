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
// layout and size, the value range, and which images to use. Inputs are:
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
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { PNG } from 'pngjs';

const FULL_LIMIT = 16384; // outputs up to this many elements are kept whole
const SAMPLES = 4096;     // otherwise about this many strided samples
const TOP = 256;          // and the largest elements

function b64(f32) {
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}

function randomInput(size, seed, lo, hi) {
  const out = new Float32Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = lo + (hi - lo) * ((x >>> 8) / 16777216);
  }
  return out;
}

function imageInput(file, h, w, layout, scale, offset) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor((y * png.height) / h);
    for (let x = 0; x < w; x++) {
      const sx = Math.floor((x * png.width) / w);
      for (let c = 0; c < 3; c++) {
        const v = png.data[(sy * png.width + sx) * 4 + c];
        const i = layout === 'NCHW' ? (c * h + y) * w + x : (y * w + x) * 3 + c;
        out[i] = v * scale + offset;
      }
    }
  }
  return out;
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
  await tf.setBackend('cpu');
  const dir = path.dirname(modelJSON);
  const json = JSON.parse(fs.readFileSync(modelJSON, 'utf8'));
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = [];
    const bufs = [];
    for (const g of manifest) {
      specs.push(...g.weights);
      for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
    }
    const all = Buffer.concat(bufs);
    return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
  });
  const model = await loadGraphModel(tf.io.fromMemory(artifacts));
  const [n, d1, d2, d3] = spec.shape;
  const [h, w] = spec.layout === 'NCHW' ? [d2, d3] : [d1, d2];
  const size = n * d1 * d2 * d3;
  const result = { model: id, tfjs: tf.version_core, backend: tf.getBackend(), inputName: spec.inputName, cases: [] };
  for (const src of spec.inputs) {
    let data;
    let input;
    if (src === 'random') {
      data = randomInput(size, spec.seed, spec.randomRange[0], spec.randomRange[1]);
      input = { kind: 'random', seed: spec.seed, lo: spec.randomRange[0], hi: spec.randomRange[1] };
    } else if (src.startsWith('image:')) {
      const file = src.slice('image:'.length);
      data = imageInput(path.join(imagesDir, file), h, w, spec.layout, spec.scale, spec.offset);
      input = { kind: 'image', file, scale: spec.scale, offset: spec.offset };
    } else {
      throw new Error(`unknown input ${src}`);
    }
    Object.assign(input, { shape: spec.shape, layout: spec.layout });
    const x = tf.tensor(data, spec.shape, 'float32');
    const names = model.outputs.map((o) => o.name);
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
