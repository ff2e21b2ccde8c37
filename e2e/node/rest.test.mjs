// The key flow over REST with plain fetch, sending requests the way
// Clarifai's Python REST client does (reference §6): JSON bodies on every
// non-GET call including DELETE, user_app_id in both the path and the body or
// query, booleans as True/False, enum names in requests, Content-Type
// application/json. Checks paths, snake_case field names, enums as numbers,
// HTTP statuses and status bodies.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startClavis, image } from "./harness.mjs";

let clavis, base;

before(async () => {
  clavis = await startClavis();
  base = `http://${clavis.addr}`;
});
after(() => clavis?.stop());

/** Sends one request like the Python REST client; resolves to {http, body}. */
async function rest(method, path, token, body) {
  const headers = { "Content-Type": "application/json", "X-Clarifai-gRPC-Client": "python:11.11.0" };
  if (token) headers.Authorization = "Key " + token;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  assert.match(res.headers.get("content-type") || "", /^application\/json/, `${method} ${path}: not JSON`);
  const text = await res.text();
  return { http: res.status, body: JSON.parse(text), text };
}

function want(r, http, code) {
  assert.equal(r.body.status?.code, code, r.text);
  assert.equal(r.http, http, r.text);
  assert.ok(r.body.status.req_id, "status.req_id");
  return r.body;
}

test("REST flow like the Python REST client", async () => {
  const pat = clavis.pat;
  const me = { user_id: "me" };

  let body = want(await rest("POST", "/v2/users/me/apps", pat, {
    user_app_id: me,
    apps: [{ id: "rest-app", visibility: { gettable: "PUBLIC" } }],
    field_clavis_does_not_know: true,
  }), 200, 10000);
  assert.equal(body.apps[0].id, "rest-app");
  assert.equal(body.apps[0].visibility.gettable, 50);
  assert.ok("created_at" in body.apps[0]);

  body = want(await rest("POST", "/v2/users/me/keys", pat, {
    user_app_id: me,
    keys: [{ description: "rest key", scopes: ["All"], apps: [{ id: "rest-app", user_id: "me" }] }],
  }), 200, 10000);
  const appKey = body.keys[0].id;
  assert.match(appKey, /^clvk_/);

  body = want(await rest("GET", "/v2/users/me/keys?user_app_id.user_id=me&not_expired=True", pat), 200, 10000);
  assert.ok(body.keys.length >= 2);

  // PostModelOutputs on the public clarifai/main app with bytes.
  const b64 = image("fruits.jpg").toString("base64");
  body = want(await rest("POST", "/v2/users/clarifai/apps/main/models/color-recognition/outputs", pat, {
    user_app_id: { user_id: "clarifai", app_id: "main" },
    inputs: [{ data: { image: { base64: b64 } } }],
  }), 200, 10000);
  assert.equal(body.outputs.length, 1);
  const out = body.outputs[0];
  assert.equal(out.status.code, 10000);
  assert.equal(out.model.id, "color-recognition");
  assert.equal(typeof out.model.model_version.visibility.gettable, "number");
  assert.ok(out.data.colors.length > 0);
  assert.match(out.data.colors[0].raw_hex, /^#[0-9a-f]{6}$/);
  assert.equal(typeof out.data.colors[0].value, "number");

  // Short app-key forms.
  body = want(await rest("GET", "/v2/app", appKey), 200, 10000);
  assert.equal(body.app.id, "rest-app");
  body = want(await rest("GET", "/v2/myscopes", appKey), 200, 10000);
  assert.ok(Array.isArray(body.scopes));
  want(await rest("GET", "/v2/my_scopes", appKey), 200, 10000);

  // DeleteKey with a JSON body, then the key is refused.
  want(await rest("DELETE", `/v2/users/me/keys/${appKey}`, pat, { user_app_id: me }), 200, 10000);
  body = want(await rest("GET", "/v2/app", appKey), 401, 11008);
  assert.equal(body.status.description, "Invalid API key or Invalid API key/application pair");

  // No key at all.
  want(await rest("GET", "/v2/users/me/apps", undefined), 401, 11102);
});

test("REST errors are JSON with a Clarifai status", async () => {
  const pat = clavis.pat;
  want(await rest("POST", "/v2/users/me/apps", pat, '{"apps":['), 400, 11100);
  want(await rest("PUT", "/v2/users/me/apps", pat, "{}"), 405, 11103);
  want(await rest("GET", "/v2/no/such/path", pat), 404, 11101);
  want(await rest("POST", "/v2/users/clarifai/apps/main/models/color-recognition/outputs", pat, {
    user_app_id: { user_id: "clarifai", app_id: "elsewhere" }, inputs: [],
  }), 400, 11102);
  want(await rest("GET", "/v2/users/clarifai/apps/main/models/no-such-model", pat), 404, 21200);
});

test("OpenAPI document at /v2/openapi.json", async () => {
  const res = await fetch(base + "/v2/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.swagger, "2.0");
  assert.ok(doc.paths["/v2/models/{model_id}/outputs"]);
});
