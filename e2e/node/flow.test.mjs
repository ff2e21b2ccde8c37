// Issue 2's end-to-end flow with the official client's generated static V2
// class (google-protobuf messages) and insecure credentials to 127.0.0.1:
// bootstrap PAT → PostApps → PostKeys (an app key and a PAT) → ListKeys →
// PostModelOutputs on clarifai/main color-recognition → DeleteKey → the
// deleted key is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startClavis, image, OK, INVALID_KEY_DESCRIPTION } from "./harness.mjs";
import { staticClient } from "./clients.mjs";

let clavis, v2;

before(async () => {
  clavis = await startClavis();
  v2 = staticClient(clavis.addr);
});
after(async () => {
  v2?.close();
  await clavis?.stop();
});

function ids(userId, appId) {
  const u = new v2.resources.UserAppIDSet();
  u.setUserId(userId);
  if (appId) u.setAppId(appId);
  return u;
}

function ok(resp, what) {
  const s = resp.getStatus();
  assert.equal(s.getCode(), OK, `${what}: ${s.getCode()} ${s.getDescription()} ${s.getDetails()}`);
  assert.ok(s.getReqId().length > 0, `${what}: status.req_id`);
}

test("issue flow: PAT → app → keys → predict → delete key → refused", async () => {
  const { service, resources } = v2;
  const pat = clavis.pat;

  // PostApps with the bootstrap PAT.
  const app = new resources.App();
  app.setId("node-app");
  app.setDescription("made by the official Node client");
  const postApps = new service.PostAppsRequest();
  postApps.setUserAppId(ids("me"));
  postApps.setAppsList([app]);
  let resp = await v2.call("postApps", postApps, pat);
  ok(resp, "PostApps");
  assert.equal(resp.getAppsList().length, 1);
  assert.equal(resp.getAppsList()[0].getId(), "node-app");
  assert.equal(resp.getAppsList()[0].getUserId(), "admin");
  assert.equal(resp.getAppsList()[0].getDescription(), "made by the official Node client");

  // PostKeys: an app key for the new app…
  const key = new resources.Key();
  key.setDescription("node app key");
  key.setScopesList(["All"]);
  const keyApp = new resources.App();
  keyApp.setId("node-app");
  keyApp.setUserId("me");
  key.setAppsList([keyApp]);
  let postKeys = new service.PostKeysRequest();
  postKeys.setUserAppId(ids("me"));
  postKeys.setKeysList([key]);
  resp = await v2.call("postKeys", postKeys, pat);
  ok(resp, "PostKeys (app key)");
  const appKey = resp.getKeysList()[0];
  const appKeySecret = appKey.getId();
  assert.ok(appKeySecret.length >= 27 && !/\s/.test(appKeySecret), `app key secret ${appKeySecret}`);
  assert.equal(appKey.getType(), "app_specific_key");
  assert.equal(appKey.getAppsList()[0].getId(), "node-app");

  // …and a PAT.
  const patKey = new resources.Key();
  patKey.setType("personal_access_token");
  patKey.setDescription("node pat");
  patKey.setScopesList(["All"]);
  postKeys = new service.PostKeysRequest();
  postKeys.setUserAppId(ids("me"));
  postKeys.setKeysList([patKey]);
  resp = await v2.call("postKeys", postKeys, pat);
  ok(resp, "PostKeys (PAT)");
  const patSecret = resp.getKeysList()[0].getId();
  assert.equal(resp.getKeysList()[0].getType(), "personal_access_token");
  assert.notEqual(patSecret, appKeySecret);

  // ListKeys: both new keys are listed, by public ids that are not the secrets.
  const listKeys = new service.ListKeysRequest();
  listKeys.setUserAppId(ids("me"));
  resp = await v2.call("listKeys", listKeys, pat);
  ok(resp, "ListKeys");
  const listed = resp.getKeysList();
  assert.equal(listed.length, 3, "the bootstrap PAT, the app key and the new PAT");
  const listedAppKey = listed.find((k) => k.getDescription() === "node app key");
  const listedPat = listed.find((k) => k.getDescription() === "node pat");
  assert.ok(listedAppKey && listedPat, "both new keys are listed");
  assert.equal(listedAppKey.getType(), "app_specific_key");
  assert.equal(listedPat.getType(), "personal_access_token");
  assert.deepEqual(listedAppKey.getScopesList(), ["All"]);
  assert.equal(listedAppKey.getAppsList()[0].getId(), "node-app");
  for (const k of listed) {
    assert.ok(k.getId().length > 0, "every listed key has an id");
    for (const secret of [appKeySecret, patSecret, pat]) {
      assert.notEqual(k.getId(), secret, "ListKeys shows a secret as Key.id");
      assert.ok(!k.getId().includes(secret) && !secret.includes(k.getId()), "a listed key id overlaps a secret");
    }
  }

  // Both new credentials work: the app key on its app without user_app_id, the PAT as the user.
  resp = await v2.call("getApp", new service.GetAppRequest(), appKeySecret);
  ok(resp, "GetApp with the app key");
  assert.equal(resp.getApp().getId(), "node-app");
  const getUser = new service.GetUserRequest();
  getUser.setUserAppId(ids("me"));
  resp = await v2.call("getUser", getUser, patSecret);
  ok(resp, "GetUser with the new PAT");
  assert.equal(resp.getUser().getId(), "admin");

  // PostModelOutputs on clarifai/main color-recognition with base64 bytes.
  const img = new resources.Image();
  img.setBase64(image("fruits.jpg"));
  const data = new resources.Data();
  data.setImage(img);
  const input = new resources.Input();
  input.setData(data);
  const predict = new service.PostModelOutputsRequest();
  predict.setUserAppId(ids("clarifai", "main"));
  predict.setModelId("color-recognition");
  predict.setInputsList([input]);
  resp = await v2.call("postModelOutputs", predict, pat);
  ok(resp, "PostModelOutputs");
  assert.equal(resp.getOutputsList().length, 1);
  const out = resp.getOutputsList()[0];
  assert.equal(out.getStatus().getCode(), OK);
  assert.equal(out.getModel().getId(), "color-recognition");
  const colors = out.getData().getColorsList();
  assert.ok(colors.length > 0, "colors returned");
  let sum = 0;
  for (const c of colors) {
    assert.match(c.getRawHex(), /^#[0-9a-fA-F]{6}$/, "raw_hex");
    assert.match(c.getW3c().getHex(), /^#[0-9a-fA-F]{6}$/, "w3c.hex");
    assert.ok(c.getW3c().getName().length > 0, "w3c.name");
    assert.ok(c.getValue() > 0 && c.getValue() <= 1, `value ${c.getValue()} in (0,1]`);
    sum += c.getValue();
  }
  assert.ok(sum <= 1.001, `densities sum to ${sum}`);

  // DeleteKey by the secret returned by PostKeys; the key is refused at once.
  const del = new service.DeleteKeyRequest();
  del.setUserAppId(ids("me"));
  del.setKeyId(appKeySecret);
  resp = await v2.call("deleteKey", del, pat);
  ok(resp, "DeleteKey");

  resp = await v2.call("getApp", new service.GetAppRequest(), appKeySecret);
  assert.equal(resp.getStatus().getCode(), 11008);
  assert.equal(resp.getStatus().getDescription(), INVALID_KEY_DESCRIPTION);

  // The other keys are untouched.
  resp = await v2.call("listKeys", listKeys, patSecret);
  ok(resp, "ListKeys after DeleteKey");
  const left = resp.getKeysList().map((k) => k.getDescription());
  assert.equal(left.length, 2, `keys left: ${left}`);
  assert.ok(left.includes("node pat") && !left.includes("node app key"), `keys left: ${left}`);
});
