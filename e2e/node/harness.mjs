// Starts a real `clavis serve` for a test file and stops it afterwards.
//
// It builds nothing: the server binary comes from CLAVIS_BIN (default
// <repo>/.bin/clavis; `make build` or `go build -o .bin/clavis ./cmd/clavis`
// makes it). It loads no gRPC code either, so a test file can set gRPC's
// environment (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, CLARIFAI_GRPC_BASE) before it
// loads the client (see clients.mjs).
//
// Environment:
//   CLAVIS_BIN              server binary
//   CLAVIS_MODELS_DIR       models fetched by `clavis setup` (optional)
//   CLAVIS_TEST_IMAGES      test images (default <repo>/../shared/testdata/images)
//   CLAVIS_E2E_REQUIRE_ALL  1: a feature the server lacks (TLS, REST, models)
//                           fails its test instead of skipping it
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const images = process.env.CLAVIS_TEST_IMAGES || join(root, "..", "shared", "testdata", "images");
export const bin = process.env.CLAVIS_BIN || join(root, ".bin", "clavis");
export const requireAll = process.env.CLAVIS_E2E_REQUIRE_ALL === "1";

export const OK = 10000;
export const INVALID_KEY_DESCRIPTION = "Invalid API key or Invalid API key/application pair";

const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function checkBinary() {
  if (!existsSync(bin) || !statSync(bin).isFile()) {
    throw new Error(`no clavis binary at ${bin}: build it first (make build) or set CLAVIS_BIN`);
  }
}

/**
 * Starts `clavis serve` on a free loopback port (the kernel picks it: the
 * server listens on 127.0.0.1:0 and logs the address it got) with a fresh
 * temporary data dir. Resolves to {addr, port, tlsAddr, tlsCert, pat,
 * dataDir, log, stop}; stop() resolves once the server has exited and its
 * data dir is gone.
 */
export async function startClavis(extraArgs = []) {
  checkBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "clavis-e2e-"));
  const args = ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, ...extraArgs];
  if (process.env.CLAVIS_MODELS_DIR) args.push("--models-dir", process.env.CLAVIS_MODELS_DIR);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  let out = "", err = "";
  child.stdout.on("data", (d) => (out += d));
  const wantTLS = args.includes("--tls-addr");
  // The models load behind the listener: with models, wait for them too.
  const wantModels = Boolean(process.env.CLAVIS_MODELS_DIR);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("clavis did not start within 60 s:\n" + err)), 60000);
    child.stderr.on("data", (d) => {
      err += d;
      const plain = /msg=listening addr=(\S+)/.exec(err);
      const tls = /msg="listening with TLS" addr=(\S+)(?:.* cert=(\S+))?/.exec(err);
      if (plain && (tls || !wantTLS) && (!wantModels || /msg="models ready"/.test(err))) {
        clearTimeout(timer);
        resolve({ addr: plain[1], tlsAddr: tls && tls[1], tlsCert: tls && tls[2] });
      }
    });
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`clavis exited (${code ?? signal}) before listening:\n${err}`)); });
  });
  let addr, tlsAddr, tlsCert;
  try {
    ({ addr, tlsAddr, tlsCert } = await ready);
  } catch (e) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const pat = readFileSync(join(dataDir, "bootstrap.pat"), "utf8").trim();
  // The bootstrap PAT is printed once on standard output, on a line of its
  // own. Standard output and the log are separate pipes: give it a moment.
  for (let i = 0; i < 50 && !out.includes(pat); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(out.split("\n").map((l) => l.trim()).includes(pat), `the bootstrap PAT is not a line of standard output:\n${out}`);
  assert.equal(statSync(join(dataDir, "bootstrap.pat")).mode & 0o777, 0o600, "bootstrap.pat is mode 0600");
  return {
    addr,
    port: Number(addr.split(":").pop()),
    tlsAddr,
    /** The certificate the TLS listener logged (a self-signed one lives in <data-dir>/tls/cert.pem). */
    tlsCert: tlsCert || (tlsAddr ? join(dataDir, "tls", "cert.pem") : undefined),
    pat,
    dataDir,
    log: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a user with the CLI (admin PAT from clavis) and returns that user's default PAT. */
export function createUser(clavis, id) {
  const out = execFileSync(bin, ["users", "create", "--id", id, "--email", `${id}@example.com`], {
    env: { ...process.env, CLAVIS_ADDR: clavis.addr, CLAVIS_PAT: clavis.pat, HOME: clavis.dataDir, XDG_CONFIG_HOME: clavis.dataDir },
  }).toString();
  const token = out.trim().split("\n").pop().trim();
  assert.ok(token.length > 20 && !/\s/.test(token), `users create printed no PAT: ${out}`);
  return token;
}

/** Serves the shared test images over HTTP on a loopback port. */
export async function serveImages() {
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(images, decodeURIComponent(req.url.slice(1))));
      res.writeHead(200, { "Content-Type": req.url.endsWith(".png") ? "image/png" : "image/jpeg" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    hostport: `127.0.0.1:${port}`,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

export function image(name) {
  return readFileSync(join(images, name));
}

// ---- Features that may not be in the server yet ----------------------------
//
// A test of an optional feature calls `available(t, feature)` first. When the
// server lacks the feature the test is skipped with the reason, or fails when
// CLAVIS_E2E_REQUIRE_ALL=1 (what CI sets once every feature has landed).

/** Whether `clavis serve -h` offers a self-signed TLS listener. */
export function tlsFeature() {
  checkBinary();
  let help = "";
  try {
    help = execFileSync(bin, ["serve", "-h"], { stdio: ["ignore", "pipe", "pipe"] }).toString();
  } catch (e) {
    // Go's flag package exits 0 or 2 on -h depending on the version; both print usage.
    help = String(e.stdout || "") + String(e.stderr || "");
  }
  const ok = help.includes("-tls-self-signed") && help.includes("-tls-addr");
  return { ok, name: "TLS", reason: ok ? "" : "`clavis serve -h` lists no --tls-addr/--tls-self-signed" };
}

/** Whether the server answers REST at /v2/...: ListApps with the bootstrap PAT must answer JSON with status 10000. */
export async function restFeature(clavis) {
  const what = "GET /v2/users/me/apps";
  try {
    const res = await fetch(`http://${clavis.addr}/v2/users/me/apps`, {
      headers: { "Content-Type": "application/json", Authorization: "Key " + clavis.pat },
    });
    const type = res.headers.get("content-type") || "";
    const text = await res.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {}
    const ok = Boolean(body && body.status && body.status.code === 10000 && Array.isArray(body.apps));
    return { ok, name: "REST", reason: ok ? "" : `${what} answered HTTP ${res.status} ${type || "(no content type)"}: ${text.slice(0, 160)}` };
  } catch (e) {
    return { ok: false, name: "REST", reason: `${what} failed: ${e.cause?.code || e.message}` };
  }
}

/** Whether the ONNX models are there (clavis setup ran; CLAVIS_MODELS_DIR names them). */
export function modelsFeature() {
  const dir = process.env.CLAVIS_MODELS_DIR;
  const ok = Boolean(dir && existsSync(dir));
  return { ok, name: "models", reason: ok ? "" : "CLAVIS_MODELS_DIR is not set or missing (run clavis setup --models-dir DIR)" };
}

/** Skips t (or fails it under CLAVIS_E2E_REQUIRE_ALL=1) when the feature is absent; returns whether to go on. */
export function available(t, feature) {
  if (feature.ok) return true;
  if (requireAll) assert.fail(`${feature.name} is required (CLAVIS_E2E_REQUIRE_ALL=1) but not available: ${feature.reason}`);
  t.skip(`${feature.name} not available: ${feature.reason}`);
  return false;
}

/** Kept for older test files: whether CLAVIS_MODELS_DIR is set. */
export function modelsAvailable() {
  return modelsFeature().ok;
}
