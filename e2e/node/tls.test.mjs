// The official client's own TLS code path, unchanged: ClarifaiStub.grpc()
// reads CLARIFAI_GRPC_BASE, and grpc-js trusts the certificate named by
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH. The client is loaded only after both are
// set, as an application would have them in its environment.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startClavis, image } from "./harness.mjs";

let clavis, stub, grpc;

before(async () => {
  clavis = await startClavis(["--tls-addr", "127.0.0.1:0", "--tls-self-signed"]);
  const port = clavis.tlsAddr.split(":").pop();
  process.env.CLARIFAI_GRPC_BASE = `localhost:${port}`;
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = join(clavis.dataDir, "tls", "cert.pem");
  const require = createRequire(import.meta.url);
  const client = require("clarifai-nodejs-grpc");
  grpc = client.grpc;
  stub = client.ClarifaiStub.grpc();
});
after(() => {
  stub?.close();
  clavis?.stop();
});

function call(method, req) {
  const md = new grpc.Metadata();
  md.set("authorization", "Key " + clavis.pat);
  return new Promise((resolve, reject) => stub[method](req, md, (err, resp) => (err ? reject(err) : resolve(resp))));
}

test("ClarifaiStub.grpc() over TLS with only the environment changed", async () => {
  let r = await call("GetUser", { user_app_id: { user_id: "me" } });
  assert.equal(r.status.code, 10000);
  assert.equal(r.user.id, "admin");
  r = await call("PostModelOutputs", {
    user_app_id: { user_id: "clarifai", app_id: "main" },
    model_id: "color-recognition",
    inputs: [{ data: { image: { base64: image("chelsea.png") } } }],
  });
  assert.equal(r.status.code, 10000, r.status.details);
  assert.ok(r.outputs[0].data.colors.length > 0);
});
