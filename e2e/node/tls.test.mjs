// The official client's own TLS code path, unchanged: ClarifaiStub.grpc()
// reads CLARIFAI_GRPC_BASE, and grpc-js trusts the certificate named by
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH. Both are set before the client is loaded
// (grpc-js reads the roots path when it loads), as an application would have
// them in its environment. Then the whole scenario runs over TLS.
//
// Runs when `clavis serve -h` offers --tls-addr and --tls-self-signed;
// otherwise it is skipped, or fails under CLAVIS_E2E_REQUIRE_ALL=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { scenario } from "./scenario.mjs";
import { tlsStub } from "./clients.mjs";
import { tlsFeature, available, image } from "./harness.mjs";

const feature = tlsFeature();

test("TLS: the server offers a self-signed TLS listener", (t) => {
  available(t, feature);
});

let client;
scenario(() => (client = tlsStub()), {
  label: "TLS ClarifaiStub.grpc()",
  start: feature.ok ? ["--tls-addr", "127.0.0.1:0", "--tls-self-signed"] : [],
  ready(clavis) {
    if (!feature.ok) return feature;
    assert.ok(existsSync(clavis.tlsCert), `certificate ${clavis.tlsCert}`);
    process.env.CLARIFAI_GRPC_BASE = `localhost:${clavis.tlsAddr.split(":").pop()}`;
    process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = clavis.tlsCert;
    return true;
  },
});

test("TLS: the stub is ClarifaiStub.grpc() as the package builds it, dialling localhost", async (t) => {
  if (!feature.ok) return t.skip("TLS not available");
  assert.match(process.env.CLARIFAI_GRPC_BASE, /^localhost:\d+$/);
  assert.ok(client, "the scenario built the stub");
  assert.equal(client.stub.getChannel().getTarget(), `dns:${process.env.CLARIFAI_GRPC_BASE}`);
  const r = await client.call("PostModelOutputs", {
    user_app_id: { user_id: "clarifai", app_id: "main" },
    model_id: "color-recognition",
    inputs: [{ data: { image: { base64: image("fruits.jpg") } } }],
  }, undefined);
  assert.equal(r.status.code, 11102, "no key: refused in-band over TLS too");
});
