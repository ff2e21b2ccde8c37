// Starts a real `clavis serve` for a test file and stops it afterwards.
// It loads no gRPC code itself, so test files can set gRPC's environment
// (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) before they import the client.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const images = process.env.CLAVIS_TEST_IMAGES || join(root, "..", "shared", "testdata", "images");
export const bin = process.env.CLAVIS_BIN || join(root, ".bin", "clavis");
export const requireAll = process.env.CLAVIS_E2E_REQUIRE_ALL === "1";

/** Starts clavis serve with extra flags; resolves to {addr, tlsAddr, pat, dataDir, stop}. */
export async function startClavis(extraArgs = []) {
  const dataDir = mkdtempSync(join(tmpdir(), "clavis-e2e-"));
  const args = ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, ...extraArgs];
  if (process.env.CLAVIS_MODELS_DIR) args.push("--models-dir", process.env.CLAVIS_MODELS_DIR);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout.on("data", (d) => (out += d));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("clavis did not start:\n" + err)), 60000);
    child.stderr.on("data", (d) => {
      err += d;
      const plain = /msg=listening addr=(\S+)/.exec(err);
      const tls = /msg="listening with TLS" addr=(\S+)/.exec(err);
      if (plain && (tls || !args.includes("--tls-addr"))) {
        clearTimeout(timer);
        resolve({ addr: plain[1], tlsAddr: tls && tls[1] });
      }
    });
    child.on("exit", (code) => reject(new Error(`clavis exited with ${code}:\n${err}`)));
  });
  const { addr, tlsAddr } = await ready;
  const pat = readFileSync(join(dataDir, "bootstrap.pat"), "utf8").trim();
  if (!out.includes(pat)) throw new Error("the bootstrap PAT was not printed on standard output");
  return {
    addr, tlsAddr, pat, dataDir, log: () => err,
    stop() {
      child.kill("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Serves the shared test images over HTTP on a loopback port. */
export async function serveImages() {
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(images, decodeURIComponent(req.url.slice(1))));
      res.writeHead(200, { "Content-Type": "image/jpeg" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return { hostport: `127.0.0.1:${port}`, url: (name) => `http://127.0.0.1:${port}/${name}`, close: () => server.close() };
}

export function image(name) {
  return readFileSync(join(images, name));
}

/** Whether the ONNX models are there (setup ran and the server loaded them). */
export function modelsAvailable() {
  return Boolean(process.env.CLAVIS_MODELS_DIR);
}
