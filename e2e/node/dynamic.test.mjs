// The official client's dynamic stub (the one ClarifaiStub builds), pointed
// at Clavis in plaintext by calling the constructor of the object
// ClarifaiStub.insecureGrpc() returns. Covers every implemented RPC with
// plain snake_case objects, the refusals, and Clarifai's documented PAT
// prediction example with image URLs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startClavis, serveImages, image, modelsAvailable, requireAll } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { ClarifaiStub, grpc } = require("clarifai-nodejs-grpc");

let clavis, web, stub;

before(async () => {
  web = await serveImages();
  clavis = await startClavis(["--fetch-allow", web.hostport]);
  const template = ClarifaiStub.insecureGrpc(); // hard-coded host; does not connect
  stub = new template.constructor(clavis.addr, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 1 << 30,
    "grpc.max_send_message_length": 1 << 30,
  });
  template.close();
});
after(() => {
  stub?.close();
  clavis?.stop();
  web?.close();
});

function call(method, req, token) {
  const md = new grpc.Metadata();
  if (token) md.set("authorization", "Key " + token);
  return new Promise((resolve, reject) => stub[method](req, md, (err, resp) => (err ? reject(err) : resolve(resp))));
}

const me = { user_id: "me" };
const main = { user_id: "clarifai", app_id: "main" };

test("every implemented RPC answers in-band with Clarifai's field names", async () => {
  const pat = clavis.pat;
  let r = await call("GetUser", { user_app_id: me }, pat);
  assert.equal(r.status.code, 10000);
  assert.equal(r.user.id, "admin");
  assert.ok(r.status.req_id.length > 0);

  r = await call("PostApps", { user_app_id: me, apps: [{ id: "a1", description: "one" }, { id: "a2" }] }, pat);
  assert.equal(r.status.code, 10000, r.status.details);
  assert.deepEqual(r.apps.map((a) => a.id), ["a1", "a2"]);
  assert.equal(r.apps[0].visibility.gettable, 10);

  r = await call("ListApps", { user_app_id: me, page: 2, per_page: 1 }, pat);
  assert.equal(r.status.code, 10000);
  assert.deepEqual(r.apps.map((a) => a.id), ["a2"]);

  r = await call("GetApp", { user_app_id: { user_id: "me", app_id: "a1" } }, pat);
  assert.equal(r.app.description, "one");

  r = await call("PatchApps", { user_app_id: me, action: "overwrite", apps: [{ id: "a1", description: "uno" }] }, pat);
  assert.equal(r.apps[0].description, "uno");
  r = await call("PatchApp", { user_app_id: { user_id: "me", app_id: "a2" }, action: "overwrite", app: { visibility: { gettable: 50 } } }, pat);
  assert.equal(r.app.visibility.gettable, 50);

  r = await call("PostKeys", { user_app_id: me, keys: [{ description: "k", scopes: ["All"], apps: [{ id: "a1", user_id: "me" }] }] }, pat);
  assert.equal(r.status.code, 10000, r.status.details);
  const appKey = r.keys[0].id;
  r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", description: "narrow", scopes: ["Apps:Get"] }] }, pat);
  const narrow = r.keys[0].id;
  assert.match(narrow, /^clvp_/);

  r = await call("ListKeys", { user_app_id: me }, pat);
  assert.equal(r.keys.length, 3);
  const narrowID = r.keys.find((k) => k.description === "narrow").id;
  r = await call("GetKey", { user_app_id: me, key_id: narrowID }, pat);
  assert.deepEqual(r.key.scopes, ["Apps:Get"]);
  r = await call("ListAppKeys", { user_app_id: { user_id: "me", app_id: "a1" } }, pat);
  assert.equal(r.keys.length, 1);
  assert.equal(r.keys[0].apps[0].id, "a1");
  r = await call("PatchKeys", { user_app_id: me, action: "overwrite", keys: [{ id: narrowID, description: "narrower", scopes: ["Apps:Get"] }] }, pat);
  assert.equal(r.keys[0].description, "narrower");

  r = await call("MyScopes", {}, appKey);
  assert.equal(r.status.code, 10000);
  assert.equal(r.app.id, "a1");
  assert.deepEqual(r.scopes, ["All"]);
  r = await call("MyScopesUser", { user_app_id: me }, narrow);
  assert.deepEqual(r.scopes, ["Apps:Get"]);
  r = await call("ListScopes", { key_type: "personal_access_token", user_app_id: me }, pat);
  assert.ok(r.scope_deps.some((d) => d.scope === "Keys:Delete" && d.depending_scopes.includes("Keys:Get")));
  assert.ok(r.endpoint_deps.some((d) => d.endpoint === "/clarifai.api.V2/PostModelOutputs"));

  r = await call("ListModels", { user_app_id: main }, pat);
  assert.ok(r.models.some((m) => m.id === "color-recognition"));
  r = await call("ListModels", { user_app_id: main, page: 1000, per_page: 500 }, pat);
  assert.equal(r.status.code, 10000);
  assert.equal(r.models.length, 0);
  r = await call("GetModel", { user_app_id: main, model_id: "color-recognition" }, pat);
  const version = r.model.model_version.id;
  assert.ok(version.length > 0);
  r = await call("GetModelOutputInfo", { user_app_id: main, model_id: "color-recognition" }, pat);
  assert.equal(r.model.id, "color-recognition");
  r = await call("GetModelVersion", { user_app_id: main, model_id: "color-recognition", version_id: version }, pat);
  assert.equal(r.model_version.status.code, 21100);
  r = await call("ListModelVersions", { user_app_id: main, model_id: "color-recognition" }, pat);
  assert.equal(r.model_versions.length, 1);

  r = await call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", version_id: version,
    inputs: [{ data: { image: { base64: image("fruits.jpg") } } }, {}] }, pat);
  assert.equal(r.status.code, 10010, "one good input and one empty: MIXED_STATUS");
  assert.equal(r.outputs[0].status.code, 10000);
  assert.equal(r.outputs[1].status.code, 30104);
  assert.ok(r.outputs[0].data.colors.length > 0);

  // Collaborators.
  r = await call("GetUser", { user_app_id: me }, pat);
  await adminCreateUser("cole");
  r = await call("PostCollaborators", { user_app_id: { user_id: "me", app_id: "a1" }, collaborators: [{ user: { id: "cole" }, scopes: ["Apps:Get"] }] }, pat);
  assert.equal(r.status.code, 10000, r.status.details);
  r = await call("ListCollaborators", { user_app_id: { user_id: "me", app_id: "a1" } }, pat);
  assert.equal(r.collaborators[0].user.id, "cole");
  assert.equal(r.app_owner.id, "admin");
  r = await call("PatchCollaborators", { user_app_id: { user_id: "me", app_id: "a1" }, action: "overwrite", collaborators: [{ user: { id: "cole" }, scopes: ["Apps:Get", "Models:Get"] }] }, pat);
  assert.deepEqual([...r.collaborators[0].scopes].sort(), ["Apps:Get", "Models:Get"]);
  r = await call("ListCollaborations", { user_app_id: me }, coleToken);
  assert.equal(r.collaborations[0].app.id, "a1");
  r = await call("DeleteCollaborators", { user_app_id: { user_id: "me", app_id: "a1" }, collaborator_ids: ["cole"] }, pat);
  assert.equal(r.status.code, 10000);
  r = await call("GetApp", { user_app_id: { user_id: "admin", app_id: "a1" } }, coleToken);
  assert.equal(r.status.code, 11101, "a removed collaborator sees nothing");

  r = await call("ListInputs", { user_app_id: { user_id: "me", app_id: "a1" } }, pat);
  assert.equal(r.status.code, 10040);

  r = await call("DeleteKey", { user_app_id: me, key_id: narrowID }, pat);
  assert.equal(r.status.code, 10000);
  r = await call("DeleteApp", { user_app_id: { user_id: "me", app_id: "a1" } }, pat);
  assert.equal(r.status.code, 10000);
  r = await call("GetApp", {}, appKey);
  assert.equal(r.status.code, 11008, "the app's keys go with it");
});

let coleToken;
async function adminCreateUser(id) {
  // The admin service is Clavis's own; the CLI creates the user.
  const { execFileSync } = await import("node:child_process");
  const { bin } = await import("./harness.mjs");
  const out = execFileSync(bin, ["users", "create", "--id", id, "--email", id + "@example.com"], {
    env: { ...process.env, CLAVIS_ADDR: clavis.addr, CLAVIS_PAT: clavis.pat, XDG_CONFIG_HOME: clavis.dataDir },
  }).toString();
  coleToken = out.trim().split("\n").pop();
  assert.match(coleToken, /^clvp_/);
}

test("refusals", async () => {
  const pat = clavis.pat;
  let r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", scopes: ["Apps:Get"] }] }, pat);
  const narrow = r.keys[0].id;
  r = await call("PostApps", { user_app_id: me, apps: [{ id: "mine" }, { id: "other" }] }, pat);
  r = await call("PostKeys", { user_app_id: me, keys: [{ scopes: ["All"], apps: [{ id: "mine" }] }] }, pat);
  const appKey = r.keys[0].id;

  r = await call("PostKeys", { user_app_id: me, keys: [{ scopes: ["Apps:Get"], type: "personal_access_token" }] }, narrow);
  assert.equal(r.status.code, 11007, "missing Keys:Add");
  assert.match(r.status.details, /Keys:Add/);
  r = await call("ListApps", { user_app_id: me }, appKey);
  assert.equal(r.status.code, 11007, "app key on a PAT-only method");
  r = await call("GetApp", { user_app_id: { user_id: "me", app_id: "other" } }, appKey);
  assert.equal(r.status.code, 11008, "app key naming another app");
  r = await call("GetApp", { user_app_id: main }, appKey);
  assert.equal(r.status.code, 11008, "app keys never reach clarifai/main");
  r = await call("ListApps", { user_app_id: me }, "");
  assert.equal(r.status.code, 11102);
  r = await call("ListApps", { user_app_id: me }, "not-a-token");
  assert.equal(r.status.code, 11008);
  assert.equal(r.status.description, "Invalid API key or Invalid API key/application pair");
  r = await call("PostModelOutputs", { user_app_id: main, model_id: "nope", inputs: [{ data: { image: { base64: image("fruits.jpg") } } }] }, pat);
  assert.equal(r.status.code, 21200);
  r = await call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", inputs: [{ data: { image: { base64: Buffer.from("not an image") } } }] }, pat);
  assert.equal(r.outputs[0].status.code, 30300);
  r = await call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", inputs: [{ data: { image: { url: "http://127.0.0.1:1/x.jpg" } } }] }, pat);
  assert.equal(r.outputs[0].status.code, 30106, "a port other than 80/443 is refused");
});

// Clarifai's documented PAT prediction example, as its docs write it, with
// only the host changed and image URLs served locally.
function documentedExample(PAT, USER_ID, APP_ID, MODEL_ID, IMAGE_URL) {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", "Key " + PAT);
  return new Promise((resolve, reject) => {
    stub.PostModelOutputs(
      {
        user_app_id: { user_id: USER_ID, app_id: APP_ID },
        model_id: MODEL_ID,
        inputs: [{ data: { image: { url: IMAGE_URL, allow_duplicate_url: true } } }],
      },
      metadata,
      (err, response) => {
        if (err) return reject(new Error(err));
        if (response.status.code !== 10000) return reject(new Error("Post model outputs failed, status: " + response.status.description + ": " + response.status.details));
        resolve(response.outputs[0]);
      },
    );
  });
}

test("documented PAT prediction example: general-image-recognition and OCR by URL", async (t) => {
  if (!modelsAvailable()) {
    if (requireAll) assert.fail("CLAVIS_MODELS_DIR is not set: run clavis setup");
    t.skip("models not installed (set CLAVIS_MODELS_DIR after clavis setup)");
    return;
  }
  const output = await documentedExample(clavis.pat, "clarifai", "main", "general-image-recognition", web.url("messi5.jpg"));
  const names = output.data.concepts.map((c) => c.name);
  assert.ok(names.slice(0, 3).includes("person"), `concepts: ${names}`);
  for (const c of output.data.concepts) assert.ok(c.value >= 0 && c.value <= 1);

  const ocr = await documentedExample(clavis.pat, "clarifai", "main", "ocr-scene-english-paddleocr", web.url("scenetext01.jpg"));
  const text = ocr.data.regions.map((r) => r.data.text.raw).join(" ").toUpperCase();
  for (const word of ["NOTICE", "PARKING", "PROHIBITED"]) assert.ok(text.includes(word), `OCR read: ${text}`);
  const box = ocr.data.regions[0].region_info.bounding_box;
  assert.ok(box.top_row >= 0 && box.bottom_row <= 1 && box.top_row < box.bottom_row);

  const faces = await documentedExample(clavis.pat, "clarifai", "main", "face-detection", web.url("astronaut.png"));
  assert.ok(faces.data.regions.length >= 1);
  const sfw = await documentedExample(clavis.pat, "clarifai", "main", "nsfw-recognition", web.url("chelsea.png"));
  assert.equal(sfw.data.concepts.find((c) => c.name === "sfw").value > 0.5, true);
});
