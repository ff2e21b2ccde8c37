// The same scenario as static.test.mjs and dynamic.test.mjs, over REST with a
// plain HTTP client that behaves like Clarifai's Python REST client
// (pyrest.mjs): routes from the official service.proto's HTTP bindings, JSON
// bodies on every non-GET call including DELETE, user_app_id in both path and
// body or query, True/False booleans and enum names, Content-Type JSON.
// Also checks that each answer carries a fitting HTTP status.
//
// Runs when the server answers JSON at /v2/...; otherwise it is skipped, or
// fails under CLAVIS_E2E_REQUIRE_ALL=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { scenario } from "./scenario.mjs";
import { pyRestDriver } from "./pyrest.mjs";
import { restFeature, available, image } from "./harness.mjs";

// The HTTP statuses issue 3 fixes for these in-band codes.
const httpFor = { 10000: 200, 11008: 401, 11007: 403, 11101: 404, 21200: 404, 11102: 400 };
const seen = [];

let feature, server;
scenario((clavis) => pyRestDriver(clavis.addr, {
  onResponse(method, body) {
    seen.push({ method, code: body.status?.code, desc: body.status?.description, http: body._http, request: body._request });
  },
}), {
  label: "REST (Python-style)",
  async ready(clavis) {
    server = clavis;
    feature = await restFeature(clavis);
    return feature;
  },
});

test("REST: the transport is there", (t) => {
  available(t, feature ?? { ok: false, name: "REST", reason: "the server did not start" });
});

test("REST: HTTP statuses fit the in-band codes", (t) => {
  if (!feature?.ok) return t.skip("REST not available");
  assert.ok(seen.length > 50, `only ${seen.length} REST calls were made`);
  // A request without usable credentials (11102 saying so) is HTTP 401.
  const expected = (s) => (s.code === 11102 && /authorization/.test(s.desc) ? 401 : httpFor[s.code]);
  const wrong = seen.filter((s) => s.code in httpFor && s.http !== expected(s));
  assert.deepEqual(wrong, [], "HTTP status differs from the one fixed for the code");
  if (process.env.CLAVIS_E2E_VERBOSE) for (const s of seen) t.diagnostic(`${s.request} → ${s.http} ${s.code}`);
  for (const s of seen) assert.ok(s.code === 10000 ? s.http === 200 : s.http >= 200, `${s.request}: HTTP ${s.http}`);
});

test("REST: base64 that is not base64, and base64 of bytes that are no image", async (t) => {
  if (!feature?.ok) return t.skip("REST not available");
  const url = `http://${server.addr}/v2/users/clarifai/apps/main/models/color-recognition/outputs`;
  const post = async (b64) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Key " + server.pat },
      body: JSON.stringify({ user_app_id: { user_id: "clarifai", app_id: "main" }, inputs: [{ data: { image: { base64: b64 } } }] }),
    });
    return { http: res.status, body: await res.json() };
  };
  // Valid base64 of bytes that are no image: 30300 on the output.
  let r = await post(Buffer.from("this is not an image").toString("base64"));
  assert.equal(r.http, 400);
  assert.equal(r.body.outputs[0].status.code, 30300);
  // Text that is not base64 cannot be decoded into the request: the whole
  // request is refused with ALL_INPUT_INVALID_BYTES and HTTP 400.
  r = await post("!!! not base64 !!!");
  assert.equal(r.http, 400);
  assert.equal(r.body.status.code, 30300, JSON.stringify(r.body.status));
  assert.ok(r.body.status.description, "a description");
  // The Python client sends standard base64 with padding; a good image still works.
  r = await post(image("fruits.jpg").toString("base64"));
  assert.equal(r.http, 200);
  assert.equal(r.body.status.code, 10000);
});
