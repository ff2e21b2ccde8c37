// Issue flow with the official client's static V2 class and insecure
// credentials: bootstrap PAT → PostApps → PostKeys → ListKeys →
// PostModelOutputs on clarifai/main color-recognition → DeleteKey → the
// deleted key is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startClavis, image } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { V2Client } = require("clarifai-nodejs-grpc/proto/clarifai/api/service_grpc_pb");
const service = require("clarifai-nodejs-grpc/proto/clarifai/api/service_pb");
const resources = require("clarifai-nodejs-grpc/proto/clarifai/api/resources_pb");
const { grpc } = require("clarifai-nodejs-grpc");

const OK = 10000;
let clavis, client;

before(async () => {
  clavis = await startClavis();
  client = new V2Client(clavis.addr, grpc.credentials.createInsecure());
});
after(() => {
  client?.close();
  clavis?.stop();
});

function call(method, req, token) {
  const md = new grpc.Metadata();
  md.set("authorization", "Key " + token);
  return new Promise((resolve, reject) => client[method](req, md, (err, resp) => (err ? reject(err) : resolve(resp))));
}

function ids(userId, appId) {
  const u = new resources.UserAppIDSet();
  u.setUserId(userId);
  if (appId) u.setAppId(appId);
  return u;
}

test("PAT flow with the static V2 client", async () => {
  const pat = clavis.pat;

  const app = new resources.App();
  app.setId("node-app");
  app.setDescription("made by the official Node client");
  const postApps = new service.PostAppsRequest();
  postApps.setUserAppId(ids("me"));
  postApps.setAppsList([app]);
  let resp = await call("postApps", postApps, pat);
  assert.equal(resp.getStatus().getCode(), OK, resp.getStatus().getDetails());
  assert.equal(resp.getAppsList()[0].getId(), "node-app");
  assert.equal(resp.getAppsList()[0].getUserId(), "admin");

  const key = new resources.Key();
  key.setDescription("node key");
  key.setScopesList(["All"]);
  const keyApp = new resources.App();
  keyApp.setId("node-app");
  keyApp.setUserId("me");
  key.setAppsList([keyApp]);
  const postKeys = new service.PostKeysRequest();
  postKeys.setUserAppId(ids("me"));
  postKeys.setKeysList([key]);
  resp = await call("postKeys", postKeys, pat);
  assert.equal(resp.getStatus().getCode(), OK, resp.getStatus().getDetails());
  const secret = resp.getKeysList()[0].getId();
  assert.match(secret, /^clvk_[0-9A-Za-z]{49}$/);
  assert.equal(resp.getKeysList()[0].getType(), "app_specific_key");

  const listKeys = new service.ListKeysRequest();
  listKeys.setUserAppId(ids("me"));
  resp = await call("listKeys", listKeys, pat);
  assert.equal(resp.getStatus().getCode(), OK);
  const listed = resp.getKeysList().map((k) => k.getId());
  assert.equal(listed.length, 2, "the default PAT and the new key");
  assert.ok(!listed.includes(secret), "ListKeys must never show a secret");
  assert.ok(resp.getKeysList().some((k) => k.getDescription() === "node key"));

  // The app key works on its own app without user_app_id.
  resp = await call("getApp", new service.GetAppRequest(), secret);
  assert.equal(resp.getStatus().getCode(), OK);
  assert.equal(resp.getApp().getId(), "node-app");

  const input = new resources.Input();
  const data = new resources.Data();
  const img = new resources.Image();
  img.setBase64(image("fruits.jpg"));
  data.setImage(img);
  input.setData(data);
  const predict = new service.PostModelOutputsRequest();
  predict.setUserAppId(ids("clarifai", "main"));
  predict.setModelId("color-recognition");
  predict.setInputsList([input]);
  resp = await call("postModelOutputs", predict, pat);
  assert.equal(resp.getStatus().getCode(), OK, resp.getStatus().getDetails());
  const out = resp.getOutputsList()[0];
  assert.equal(out.getStatus().getCode(), OK);
  const colors = out.getData().getColorsList();
  assert.ok(colors.length > 0);
  let sum = 0;
  for (const c of colors) {
    assert.match(c.getRawHex(), /^#[0-9a-f]{6}$/);
    assert.ok(c.getW3c().getName().length > 0);
    assert.ok(c.getValue() > 0 && c.getValue() <= 1);
    sum += c.getValue();
  }
  assert.ok(sum > 0.9 && sum <= 1.001, `densities sum to ${sum}`);

  const del = new service.DeleteKeyRequest();
  del.setUserAppId(ids("me"));
  del.setKeyId(secret);
  resp = await call("deleteKey", del, pat);
  assert.equal(resp.getStatus().getCode(), OK);

  resp = await call("getApp", new service.GetAppRequest(), secret);
  assert.equal(resp.getStatus().getCode(), 11008);
  assert.equal(resp.getStatus().getDescription(), "Invalid API key or Invalid API key/application pair");
});
