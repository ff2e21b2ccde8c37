// Every implemented RPC and the refusals through the official client's
// dynamic stub (the object ClarifaiStub builds from the package's protos),
// pointed at Clavis in plaintext by calling the constructor of the object
// ClarifaiStub.insecureGrpc() returns; plus Clarifai's documented PAT
// prediction example with image URLs when the models are installed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { scenario } from "./scenario.mjs";
import { dynamicDriver, dynamicStub } from "./clients.mjs";
import { startClavis, serveImages, modelsFeature, available } from "./harness.mjs";

scenario((clavis) => dynamicDriver(clavis.addr), { label: "dynamic stub" });

// Clarifai's documented PAT prediction example, as its docs write it, with
// only the host changed and the image URLs served from this machine.
let clavis, web, client;
before(async () => {
  web = await serveImages();
  clavis = await startClavis(["--fetch-allow", web.hostport]);
  client = dynamicStub(clavis.addr);
});
after(async () => {
  client?.close();
  await clavis?.stop();
  await web?.close();
});

function documentedExample(PAT, USER_ID, APP_ID, MODEL_ID, IMAGE_URL) {
  const { stub, grpc } = client;
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

test("documented PAT prediction example by URL: color-recognition", async () => {
  const out = await documentedExample(clavis.pat, "clarifai", "main", "color-recognition", web.url("fruits.jpg"));
  assert.ok(out.data.colors.length > 0);
  assert.equal(out.input.data.image.url, web.url("fruits.jpg"));
});

test("documented PAT prediction example by URL: general-image-recognition, OCR, faces, NSFW", async (t) => {
  if (!available(t, modelsFeature())) return;
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
  assert.ok(sfw.data.concepts.find((c) => c.name === "sfw").value > 0.5);
});
