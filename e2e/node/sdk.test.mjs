// Clarifai's official high-level Node SDK (clarifai-nodejs from the npm
// registry), unmodified, pointed at Clavis with `base: "http://<addr>"`:
// an app made with User.createApp, inputs uploaded by URL (served from this
// machine and allowed with --fetch-allow), by bytes and by file, the SDK
// waiting on their add jobs, listing, patching metadata, uploading
// annotations (a box and a polygon), listing concepts, searching with
// Search.query (a concept filter, an image rank), deleting the failed
// inputs, then deleting the rest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startClavis, serveImages, image, images, modelsFeature, available, OK } from "./harness.mjs";
import { dynamicStub } from "./clients.mjs";

const require = createRequire(import.meta.url);
const { Input, App, User, Search } = require("clarifai-nodejs");
const resources = require("clarifai-nodejs-grpc/proto/clarifai/api/resources_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");

let clavis, web, raw, authConfig;
const appId = "sdk-app";

before(async () => {
  web = await serveImages();
  clavis = await startClavis(["--fetch-allow", web.hostport]);
  raw = dynamicStub(clavis.addr);
  authConfig = { userId: "admin", appId, pat: clavis.pat, base: `http://${clavis.addr}` };
  const user = new User({ userId: "admin", appId: "", pat: clavis.pat, base: `http://${clavis.addr}` });
  const app = await user.createApp({ appId });
  assert.equal(app.id, appId);
});
after(async () => {
  raw?.close();
  await clavis?.stop();
  await web?.close();
});

/** Lists the app's inputs through the official dynamic stub. */
async function listInputs() {
  const r = await raw.call("ListInputs", { user_app_id: { user_id: "admin", app_id: appId }, per_page: 100 }, clavis.pat);
  assert.equal(r.status.code, OK, JSON.stringify(r.status));
  return new Map(r.inputs.map((i) => [i.id, i]));
}

test("upload by URL, bytes and file, and wait for the add jobs", async () => {
  const input = new Input({ authConfig });
  const jobs = [
    await input.uploadFromUrl({ inputId: "by-url", imageUrl: web.url("messi5.jpg"), labels: ["person"], metadata: { source: "url" } }),
    await input.uploadFromBytes({ inputId: "by-bytes", imageBytes: image("fruits.jpg"), labels: ["fruit"] }),
    await input.uploadFromFile({ inputId: "by-file", imageFile: join(images, "chelsea.png") }),
  ];
  for (const inputJobId of jobs) assert.equal(await input.waitForInputs({ inputJobId }), true, `add job ${inputJobId}`);
  const inputs = await listInputs();
  for (const id of ["by-url", "by-bytes", "by-file"]) {
    assert.equal(inputs.get(id)?.status.code, 30000, `${id}: ${JSON.stringify(inputs.get(id)?.status)}`);
  }
  const byURL = inputs.get("by-url");
  assert.equal(byURL.data.image.url, web.url("messi5.jpg"));
  assert.ok(byURL.data.image.hosted.prefix, "a hosted URL");
  assert.deepEqual(byURL.data.concepts.map((c) => [c.id, c.name, c.value]), [["id-person", "person", 1]]);
  assert.equal(byURL.data.metadata.fields.source.stringValue, "url");
});

test("patch metadata", async () => {
  const input = new Input({ authConfig });
  const patch = new resources.Input().setId("by-url")
    .setData(new resources.Data().setMetadata(Struct.fromJavaScript({ reviewed: true })));
  await input.patchInputs({ inputs: [patch], action: "merge" });
  const got = (await listInputs()).get("by-url").data.metadata.fields;
  assert.equal(got.source.stringValue, "url");
  assert.equal(got.reviewed.boolValue, true);
});

test("upload annotations, list concepts", async () => {
  const input = new Input({ authConfig });
  const retry = await input.uploadAnnotations({
    batchAnnot: [
      Input.getBboxProto({ inputId: "by-bytes", label: "apple", bbox: [0.1, 0.2, 0.5, 0.6] }),
      Input.getMaskProto({ inputId: "by-file", label: "cat", polygons: [[[0.1, 0.1], [0.4, 0.2], [0.2, 0.5]]] }),
    ],
  });
  assert.deepEqual(retry, [], "every annotation was stored");
  const r = await raw.call("ListAnnotations", { user_app_id: { user_id: "admin", app_id: appId }, input_ids: ["by-bytes", "by-file"] }, clavis.pat);
  assert.equal(r.status.code, OK);
  const regions = r.annotations.flatMap((a) => a.data.regions);
  assert.equal(regions.length, 2);
  assert.ok(regions.some((g) => g.region_info.bounding_box && Math.abs(g.region_info.bounding_box.right_col - 0.5) < 1e-6));
  assert.ok(regions.some((g) => g.region_info.polygon?.points.length === 3));

  const app = new App({ authConfig });
  const ids = [];
  for await (const page of app.listConcepts({ perPage: 2 })) ids.push(...page.map((c) => c.id));
  assert.deepEqual(ids.sort(), ["id-apple", "id-cat", "id-fruit", "id-person"]);
});

test("bulk upload", async () => {
  const input = new Input({ authConfig });
  const batch = Array.from({ length: 20 }, (_, i) => Input.getInputFromBytes({ inputId: `bulk-${i}`, imageBytes: image("fruits.jpg") }));
  await input.bulkUpload({ inputs: batch, batchSize: 8 });
  const inputs = await listInputs();
  for (let i = 0; i < 20; i++) assert.equal(inputs.get(`bulk-${i}`)?.status.code, 30000, `bulk-${i}`);
});

test("the base model annotates every image", async (t) => {
  if (!available(t, modelsFeature())) return;
  const r = await raw.call("ListAnnotations", { user_app_id: { user_id: "admin", app_id: appId }, input_ids: ["by-url"], list_all_annotations: true }, clavis.pat);
  assert.equal(r.status.code, OK);
  const byModel = r.annotations.filter((a) => a.worker?.model);
  assert.equal(byModel.length, 1, JSON.stringify(r.annotations));
  assert.equal(byModel[0].worker.model.id, "general-image-recognition");
  assert.ok(byModel[0].data.concepts.some((c) => c.name === "person" && c.value > 0.5), JSON.stringify(byModel[0].data.concepts.slice(0, 3)));
});

/** Returns the hits of the first page of a Search.query. */
async function firstPage(query) {
  const search = new Search({ authConfig, topK: 10, metric: "euclidean" });
  for await (const page of search.query(query)) return page.hitsList;
  return [];
}

test("Search.query with a concept filter", async () => {
  const hits = await firstPage({ filters: [{ concepts: [{ name: "person", value: 1 }] }] });
  assert.deepEqual(hits.map((h) => h.input.id), ["by-url"]);
  assert.equal(hits[0].score, 1);
  const none = await firstPage({ filters: [{ concepts: [{ name: "person", value: 1 }] }, { metadata: { source: "elsewhere" } }] });
  assert.deepEqual(none, []);
});

test("Search.query with an image rank", async (t) => {
  if (!available(t, modelsFeature())) return;
  // The embeddings follow the inputs' processing in jobs of their own.
  const deadline = Date.now() + 60_000;
  let hits;
  for (;;) {
    hits = await firstPage({ ranks: [{ imageBytes: image("chelsea.png") }] });
    if (hits[0]?.input.id === "by-file" || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(hits[0]?.input.id, "by-file", JSON.stringify(hits.map((h) => [h.input.id, h.score])));
  assert.ok(hits[0].score > 0.9 && hits[0].score <= 1 && hits.length === 10, JSON.stringify(hits.map((h) => h.score)));
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i].score <= hits[i - 1].score, "hits best first");
});

test("delete failed inputs, then delete", async () => {
  const input = new Input({ authConfig });
  const broken = Input.getInputFromUrl({ inputId: "broken", imageUrl: web.url("no-such-image.jpg") });
  const jobId = await input.uploadInputs({ inputs: [broken], showLog: false });
  assert.equal(await input.waitForInputs({ inputJobId: jobId }), true);
  assert.equal((await listInputs()).get("broken").status.code, 30002);
  const kept = Input.getInputFromUrl({ inputId: "by-url", imageUrl: web.url("messi5.jpg") });
  const failed = await input.deleteFailedInputs({ inputs: [broken, kept] });
  assert.deepEqual(failed.map((i) => i.getId()), ["broken"]);
  let inputs = await listInputs();
  assert.ok(!inputs.has("broken") && inputs.has("by-url"), [...inputs.keys()].join(","));

  const r = await raw.call("DeleteInputs", { user_app_id: { user_id: "admin", app_id: appId }, ids: [...inputs.keys()] }, clavis.pat);
  assert.equal(r.status.code, OK);
  inputs = await listInputs();
  assert.equal(inputs.size, 0);
});
