// A plain HTTP client that sends requests the way Clarifai's Python REST
// transport (clarifai_grpc.channel.get_json_channel) does, per
// clarifai-api-reference.md §1.4 and §6:
//  - the HTTP bindings of each method come from the official package's
//    service.proto (primary binding, then additional_bindings);
//  - the route is the binding with the most path variables filled; user_id
//    and app_id come from user_app_id, else from a single-element `apps`
//    list anywhere in the request; user_id defaults to `me`; a binding with
//    any variable left empty is not used;
//  - top-level path fields (model_id, key_id, …) leave the payload, the
//    nested user_app_id stays in it (so it is in both path and body/query);
//  - default values are left out, enums are sent as names, bytes as base64;
//  - GET: the rest goes to the query string, nested fields dotted, repeated
//    scalars as repeated keys, booleans as True/False;
//  - every other method, DELETE included, sends the rest as a JSON body;
//  - headers Content-Type: application/json, Authorization: Key <token>, and
//    the client's own identification headers;
//  - the body is parsed as JSON whatever the HTTP status.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
// The package main is src/index.js; the protos sit beside src/.
const protoFile = join(dirname(require.resolve("clarifai-nodejs-grpc")), "..", "proto", "clarifai", "api", "service.proto");

let bindingsCache;
/** method name → [{verb, path}] in proto order, parsed from the package's service.proto. */
export function bindings() {
  if (bindingsCache) return bindingsCache;
  const src = readFileSync(protoFile, "utf8");
  bindingsCache = new Map();
  const rpc = /\brpc\s+(\w+)\s*\([^)]*\)\s*returns\s*\([^)]*\)\s*\{/g;
  let m;
  while ((m = rpc.exec(src))) {
    // The method's options run to the matching closing brace.
    let depth = 1, i = rpc.lastIndex;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === "{") depth++;
      else if (src[i] === "}") depth--;
    }
    const body = src.slice(rpc.lastIndex, i).replace(/\/\/[^\n]*/g, "");
    const list = [];
    for (const b of body.matchAll(/\b(get|post|put|patch|delete)\s*:\s*"([^"]+)"/g)) list.push({ verb: b[1].toUpperCase(), path: b[2] });
    bindingsCache.set(m[1], list);
  }
  return bindingsCache;
}

// Enum fields the scenarios send, number → name (the Python client sends names).
const enumNames = {
  gettable: { 0: "UNKNOWN_VISIBILITY", 10: "PRIVATE", 30: "ORG", 50: "PUBLIC" },
};

/** Like MessageToDict(preserving_proto_field_name=True, use_integers_for_enums=False): defaults dropped. */
function toPythonDict(v, key) {
  if (v instanceof Uint8Array) return v.length ? Buffer.from(v).toString("base64") : undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => (x && typeof x === "object" && !(x instanceof Uint8Array) ? toPythonDict(x, key) ?? {} : x instanceof Uint8Array ? Buffer.from(x).toString("base64") : x));
    return items.length ? items : undefined;
  }
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const y = toPythonDict(x, k);
      if (y !== undefined) out[k] = y;
    }
    return out;
  }
  if (v === null || v === undefined || v === "" || v === 0 || v === false) return undefined;
  if (typeof v === "number" && enumNames[key]) return enumNames[key][v] ?? v;
  return v;
}

function readAppInfo(data) {
  if (Array.isArray(data)) {
    for (const e of data) {
      const r = readAppInfo(e);
      if (r) return r;
    }
  } else if (data && typeof data === "object") {
    for (const [k, v] of Object.entries(data)) {
      if (k === "user_app_id") return { appId: v.app_id ?? "", userId: v.user_id ?? "me" };
      if (k === "apps") {
        if (v.length === 1) return { appId: v[0].id, userId: v[0].user_id ?? "me" };
        if (v.length === 0) return null;
        throw new Error("Only one app has to be specified");
      }
      if (k === "metadata") continue;
      const r = readAppInfo(v);
      if (r) return r;
    }
  }
  return null;
}

/** Picks the route as the Python transport does; returns {verb, url, fields}. */
export function pickRoute(method, params) {
  const list = bindings().get(method);
  if (!list || list.length === 0) throw new Error(`service.proto has no HTTP binding for ${method}`);
  const info = readAppInfo(params) || { appId: null, userId: null };
  let best = null, bestCount = -1;
  for (const { verb, path } of list) {
    const fields = [...path.matchAll(/\{(.*?)\}/g)].map((x) => x[1]);
    let url = path, count = 0, ok = true;
    for (const field of fields) {
      const name = field.split(".").pop();
      const value = name === "app_id" ? info.appId : name === "user_id" ? (info.userId || "me") : params[name];
      if (!value) {
        ok = false;
        break;
      }
      count++;
      url = url.replace(`{${field}}`, encodeURIComponent(value));
    }
    if (ok && count > bestCount) [best, bestCount] = [{ verb, url, fields }, count];
  }
  if (!best) throw new Error(`${method}: no binding can be filled from the request`);
  return best;
}

function encodeQuery(params, prefix = "", out = new URLSearchParams()) {
  for (const [k, v] of Object.entries(params)) {
    const key = prefix + k;
    if (typeof v === "string") out.append(key, v);
    else if (typeof v === "boolean") out.append(key, v ? "True" : "False");
    else if (typeof v === "number") out.append(key, String(v));
    else if (Array.isArray(v)) for (const x of v) out.append(key, typeof x === "boolean" ? (x ? "True" : "False") : String(x));
    else if (v && typeof v === "object") encodeQuery(v, key + ".", out);
  }
  return out;
}

/**
 * A REST driver for scenario.mjs. Each response is the parsed JSON body, with
 * the HTTP status and the request line on non-enumerable properties
 * (_http, _request).
 */
export function pyRestDriver(addr, { onResponse } = {}) {
  const base = `http://${addr}`;
  return {
    label: "REST like the Python JSON channel",
    async call(method, req, token) {
      const params = toPythonDict(req) || {};
      const { verb, url, fields } = pickRoute(method, params);
      for (const f of fields) delete params[f]; // only top-level names match, as in the Python client
      const headers = {
        "Content-Type": "application/json",
        "X-Clarifai-gRPC-Client": "python:11.11.0",
        "Python-Client": "linux:3.12.3",
      };
      if (token !== undefined) headers.Authorization = "Key " + token;
      let target = base + url, body;
      if (verb === "GET") {
        const q = encodeQuery(params).toString();
        if (q) target += "?" + q;
      } else body = JSON.stringify(params);
      const res = await fetch(target, { method: verb, headers, body });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`${verb} ${url}: HTTP ${res.status}, body is not JSON: ${text.slice(0, 300)}`);
      }
      Object.defineProperty(json, "_http", { value: res.status });
      Object.defineProperty(json, "_request", { value: `${verb} ${target.slice(base.length)}` });
      onResponse?.(method, json);
      return json;
    },
    close() {},
  };
}
