// The official client, loaded lazily: grpc-js reads
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH when it is first loaded, so a test file
// that needs it sets the environment and only then calls these functions.
//
// Require paths, from the 11.11.0 tarball: src/index.js is the package main
// (ClarifaiStub, grpc); the generated static code is under
// proto/clarifai/api/*.js, reachable through the package's "exports" map as
// clarifai-nodejs-grpc/proto/clarifai/api/<name>.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** {ClarifaiStub, grpc}: the package main, as applications load it. */
export function official() {
  return require("clarifai-nodejs-grpc");
}

/** The generated static code: {V2Client, service, resources, status}. */
export function staticApi() {
  const { V2Client } = require("clarifai-nodejs-grpc/proto/clarifai/api/service_grpc_pb");
  return {
    V2Client,
    service: require("clarifai-nodejs-grpc/proto/clarifai/api/service_pb"),
    resources: require("clarifai-nodejs-grpc/proto/clarifai/api/resources_pb"),
    status: require("clarifai-nodejs-grpc/proto/clarifai/api/status/status_pb"),
  };
}

function metadata(grpc, token) {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set("authorization", "Key " + token);
  return md;
}

/**
 * The dynamic stub in plaintext: ClarifaiStub.insecureGrpc() is hard-coded to
 * api-grpc.clarifai.com:18080 but does not connect, so its constructor (the
 * V2 service client class that grpc.loadPackageDefinition made from the
 * package's protos) is called again with our address, insecure credentials
 * and the same options src/index.js passes.
 */
export function dynamicStub(addr) {
  const { ClarifaiStub, grpc } = official();
  const template = ClarifaiStub.insecureGrpc();
  const options = {
    "grpc.max_receive_message_length": 1024 * 1024 * 1024,
    "grpc.max_send_message_length": 1024 * 1024 * 1024,
  };
  const stub = new template.constructor(addr, grpc.credentials.createInsecure(), options);
  template.close();
  return withCall(stub, grpc);
}

/** The dynamic stub over TLS, exactly as an application gets it: ClarifaiStub.grpc(). */
export function tlsStub() {
  const { ClarifaiStub, grpc } = official();
  return withCall(ClarifaiStub.grpc(), grpc);
}

function withCall(stub, grpc) {
  return {
    stub,
    grpc,
    /** Calls method (PascalCase, as in the proto) with a plain snake_case object. */
    call(method, req, token) {
      if (typeof stub[method] !== "function") throw new Error(`the dynamic stub has no method ${method}`);
      return new Promise((resolve, reject) =>
        stub[method](req, metadata(grpc, token), (err, resp) => (err ? reject(err) : resolve(resp))));
    },
    close: () => stub.close(),
  };
}

/** The generated static V2Client with insecure credentials, as the flow uses it. */
export function staticClient(addr) {
  const { grpc } = official();
  const api = staticApi();
  const client = new api.V2Client(addr, grpc.credentials.createInsecure());
  return {
    ...api,
    client,
    grpc,
    /** Calls method (camelCase, as the generated client names it) with a google-protobuf message. */
    call(method, req, token) {
      if (typeof client[method] !== "function") throw new Error(`V2Client has no method ${method}`);
      return new Promise((resolve, reject) =>
        client[method](req, metadata(grpc, token), (err, resp) => (err ? reject(err) : resolve(resp))));
    },
    close: () => client.close(),
  };
}

// ---- Drivers for scenario.mjs ----------------------------------------------
//
// A driver calls an RPC by its proto name with a plain snake_case request
// object and resolves to the response as a plain snake_case object, so one
// scenario runs through every client style.

/** The dynamic stub takes and returns plain snake_case objects as they are. */
export function dynamicDriver(addr) {
  const d = dynamicStub(addr);
  return { label: "dynamic stub (ClarifaiStub.insecureGrpc().constructor)", call: d.call, close: d.close };
}

/**
 * The static V2Client: the request is built with the generated setters of the
 * method's request class (nested message classes are read off the generated
 * getters), sent through V2Client's own method, and the response message read
 * back with its generated toObject(), renamed to the proto's snake_case names.
 */
export function staticDriver(addr) {
  const s = staticClient(addr);
  const { V2Service } = require("clarifai-nodejs-grpc/proto/clarifai/api/service_grpc_pb");
  return {
    label: "static V2Client (google-protobuf classes)",
    async call(method, req, token) {
      const camel = method[0].toLowerCase() + method.slice(1);
      const def = V2Service[camel];
      if (!def) throw new Error(`V2Service has no method ${method}`);
      assert(def.path === `/clarifai.api.V2/${method}`, def.path);
      const msg = fromPlain(def.requestType, req, `${method}Request`, s);
      const resp = await s.call(camel, msg, token);
      assert(resp instanceof def.responseType, `${method}: response is not the generated response class`);
      return toPlain(resp.toObject());
    },
    close: s.close,
  };
}

function assert(ok, what) {
  if (!ok) throw new Error(what);
}

const camelize = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** The class of a message-typed field, from the generated getter's type annotation. */
function fieldClass(Cls, getter, api) {
  const src = Cls.prototype[getter].toString();
  if (!/WrapperField\(/.test(src)) return null; // scalar, enum, bytes or repeated scalar
  const m = /@type\s*\{[?!]?(?:Array<!)?proto\.([\w.]+)>?\}/.exec(src);
  if (!m) throw new Error(`cannot read the message type of ${getter} from the generated code`);
  const full = m[1];
  let mod, path;
  if (full.startsWith("clarifai.api.status.")) [mod, path] = [api.status, full.slice("clarifai.api.status.".length)];
  else if (full.startsWith("clarifai.api.")) {
    path = full.slice("clarifai.api.".length);
    mod = path.split(".")[0] in api.resources ? api.resources : api.service;
  } else throw new Error(`field type ${full} is not supported by the test's converter`);
  const Nested = path.split(".").reduce((o, p) => o && o[p], mod);
  if (typeof Nested !== "function") throw new Error(`no generated class for ${full}`);
  return Nested;
}

/** Builds a generated message of class Cls from a plain snake_case object, with its setters. */
function fromPlain(Cls, obj, label, api) {
  const msg = new Cls();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue;
    const cap = camelize(k).replace(/^./, (c) => c.toUpperCase());
    const list = Array.isArray(v);
    const setter = `set${cap}${list ? "List" : ""}`;
    const getter = `get${cap}${list ? "List" : ""}`;
    if (typeof msg[setter] !== "function") throw new Error(`${label} has no ${list ? "repeated " : ""}field ${k}`);
    const Nested = fieldClass(Cls, getter, api);
    if (Nested) msg[setter](list ? v.map((x, i) => fromPlain(Nested, x, `${label}.${k}[${i}]`, api)) : fromPlain(Nested, v, `${label}.${k}`, api));
    else msg[setter](v);
  }
  return msg;
}

/** google-protobuf's toObject() names (fooBar, fooList, fooMap) back to proto names (foo_bar, foo). */
function toPlain(v) {
  if (Array.isArray(v)) return v.map(toPlain);
  if (!v || typeof v !== "object" || v instanceof Uint8Array) return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    let key = k, val = x;
    if (k.endsWith("List") && Array.isArray(x)) key = k.slice(0, -4);
    else if (k.endsWith("Map") && Array.isArray(x)) {
      key = k.slice(0, -3);
      val = Object.fromEntries(x.map(([a, b]) => [a, b]));
    }
    out[key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())] = toPlain(val);
  }
  return out;
}
