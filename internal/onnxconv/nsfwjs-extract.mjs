#!/usr/bin/env node
// nsfwjs-extract.mjs turns the mobilenet_v2_mid graph model that the nsfwjs npm
// package ships as JavaScript modules (a UMD bundle whose export is the
// model.json object, and UMD bundles whose exports are base64 weight shards)
// into a plain TF.js graph model directory: model.json plus binary shards.
//
// Usage: node nsfwjs-extract.mjs <bundle dir> <out dir>
//
// The bundle dir holds model.min.js and the group*-shard*.min.js files, as in
// the npm tarball's package/dist/models/mobilenet_v2_mid. `clavis setup` runs
// this script (embedded in the binary by internal/onnxconv) with node.
// The bundles are evaluated in an empty vm context that only offers the
// CommonJS `module`/`exports` pair: they are pure data and need nothing else.
// Output is deterministic: the same package yields the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

function evalBundle(file) {
  const src = fs.readFileSync(file, 'utf8');
  const module = { exports: {} };
  const ctx = vm.createContext({ module, exports: module.exports });
  vm.runInContext(src, ctx, { filename: file, timeout: 60000 });
  return module.exports;
}

function main() {
  const [dir, outDir] = process.argv.slice(2);
  if (!dir || !outDir) {
    console.error('usage: nsfwjs-extract.mjs <bundle dir> <out dir>');
    process.exit(2);
  }
  const model = evalBundle(path.join(dir, 'model.min.js'));
  if (!model || model.format !== 'graph-model' || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new Error(`${dir}/model.min.js: not a TF.js graph model`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  // The shard bundles are named like the paths in the manifest plus ".min.js".
  for (const group of model.weightsManifest) {
    for (const p of group.paths) {
      if (p.includes('/') || p.includes('..')) throw new Error(`unexpected shard path ${p}`);
      const b64 = evalBundle(path.join(dir, `${p}.min.js`));
      if (typeof b64 !== 'string') throw new Error(`${p}.min.js: export is not a base64 string`);
      fs.writeFileSync(path.join(outDir, p), Buffer.from(b64, 'base64'));
    }
  }
  fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(model));
  console.log(`wrote ${outDir}/model.json and ${model.weightsManifest.reduce((n, g) => n + g.paths.length, 0)} shard(s)`);
}

main();
