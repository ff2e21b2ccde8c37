// inputs.mjs holds what golden.mjs and bench.mjs share: the deterministic
// inputs that spec.json describes (rebuilt bit for bit by the Go tests of
// internal/onnxconv) and the loading of a TF.js graph model from disk.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { PNG } from 'pngjs';

// randomInput returns size xorshift32(seed) values mapped to [lo, hi).
export function randomInput(size, seed, lo, hi) {
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

// imageInput reads a PNG, resizes it to h×w by nearest pixel with integer
// math and maps each channel value v (0..255) to v*scale + offset.
export function imageInput(file, h, w, layout, scale, offset) {
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

// buildInput builds the input that spec.json's entry src ("random" or
// "image:<file.png>") names for a model spec. It returns the data and the
// description golden.mjs records.
export function buildInput(spec, src, imagesDir) {
  const [n, d1, d2, d3] = spec.shape;
  const [h, w] = spec.layout === 'NCHW' ? [d2, d3] : [d1, d2];
  let data;
  let input;
  if (src === 'random') {
    data = randomInput(n * d1 * d2 * d3, spec.seed, spec.randomRange[0], spec.randomRange[1]);
    input = { kind: 'random', seed: spec.seed, lo: spec.randomRange[0], hi: spec.randomRange[1] };
  } else if (src.startsWith('image:')) {
    const file = src.slice('image:'.length);
    data = imageInput(path.join(imagesDir, file), h, w, spec.layout, spec.scale, spec.offset);
    input = { kind: 'image', file, scale: spec.scale, offset: spec.offset };
  } else {
    throw new Error(`unknown input ${src}`);
  }
  Object.assign(input, { shape: spec.shape, layout: spec.layout });
  return { data, input };
}

// fromJSON loads a graph model from its parsed model.json, reading each
// weight shard, named as in the manifest, with readShard.
async function fromJSON(json, readShard) {
  await tf.setBackend('cpu');
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = [];
    const bufs = [];
    for (const g of manifest) {
      specs.push(...g.weights);
      for (const p of g.paths) bufs.push(readShard(p));
    }
    const all = Buffer.concat(bufs);
    return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
  });
  return loadGraphModel(tf.io.fromMemory(artifacts));
}

// loadModel loads a TF.js graph model from its model.json, with the weight
// shards beside it, for the CPU backend.
export async function loadModel(modelJSON) {
  const dir = path.dirname(modelJSON);
  const json = JSON.parse(fs.readFileSync(modelJSON, 'utf8'));
  return fromJSON(json, (p) => fs.readFileSync(path.join(dir, p)));
}

function evalBundle(file) {
  const module = { exports: {} };
  const ctx = vm.createContext({ module, exports: module.exports });
  vm.runInContext(fs.readFileSync(file, 'utf8'), ctx, { filename: file, timeout: 60000 });
  return module.exports;
}

// loadBundleModel loads, in memory, a graph model shipped as JavaScript
// modules (nsfwjs: model.min.js and <shard>.min.js in dir), reading the
// bundles as internal/onnxconv/nsfwjs-extract.mjs does.
export async function loadBundleModel(dir) {
  const json = evalBundle(path.join(dir, 'model.min.js'));
  if (!json || json.format !== 'graph-model' || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${dir}/model.min.js: not a TF.js graph model`);
  }
  return fromJSON(json, (p) => {
    if (p.includes('/') || p.includes('..')) throw new Error(`unexpected shard path ${p}`);
    const b64 = evalBundle(path.join(dir, `${p}.min.js`));
    if (typeof b64 !== 'string') throw new Error(`${p}.min.js: export is not a base64 string`);
    return Buffer.from(b64, 'base64');
  });
}
