// One scenario over every implemented RPC and the refusals, run through each
// client style by a driver (clients.mjs, pyrest.mjs): a driver calls a method
// by its proto name with a plain snake_case request object and resolves to a
// plain snake_case response object.
//
// Written for every transport: an unset message may read as null (dynamic
// stub) or undefined (static classes), and REST/JSON leaves out fields at
// their default value, so defaults are read with `?? default`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startClavis, createUser, image, OK, INVALID_KEY_DESCRIPTION } from "./harness.mjs";

const me = { user_id: "me" };
const main = { user_id: "clarifai", app_id: "main" };
const mine = (app_id) => ({ user_id: "me", app_id });

/**
 * Declares the scenario's tests in the calling test file.
 * makeDriver(clavis) → driver; options.start → extra `clavis serve` flags;
 * options.ready(clavis) → true or a feature ({ok, name, reason}, harness.mjs)
 * once the server runs; when not ok the scenario's tests are skipped (the
 * calling file fails one test of its own under CLAVIS_E2E_REQUIRE_ALL=1).
 */
export function scenario(makeDriver, options = {}) {
  const name = (title) => (options.label ? `${options.label}: ${title}` : title);
  let clavis, api, bob;
  const st = {}; // state shared by the tests, in order
  let ready = true, notReady = "";

  before(async () => {
    clavis = await startClavis(options.start || []);
    if (options.ready) {
      const f = await options.ready(clavis);
      ready = f === true || Boolean(f?.ok);
      notReady = f?.reason ? `${f.name ?? "transport"} not available: ${f.reason}` : "transport not available";
    }
    if (ready) api = makeDriver(clavis);
  });
  after(async () => {
    api?.close();
    await clavis?.stop();
  });

  /** Calls method and checks the in-band status; returns the response. */
  async function call(method, req, token, code = OK) {
    const r = await api.call(method, req, token);
    assert.ok(r && r.status, `${method}: no status in ${JSON.stringify(r)}`);
    const s = r.status;
    assert.equal(s.code, code, `${method}${r._request ? ` (${r._request})` : ""}: want ${code}, got ${s.code} ${s.description} — ${s.details ?? ""}`);
    assert.ok((s.req_id ?? "").length > 0, `${method}: status.req_id is empty`);
    if (code !== OK) assert.ok((s.description ?? "").length > 0, `${method}: status.description is empty`);
    return r;
  }
  const guard = (t) => {
    if (ready) return true;
    t.skip(notReady);
    return false;
  };

  test(name("users: GetUser with `me` and by id, MyScopesUser, ListScopes"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    let r = await call("GetUser", { user_app_id: me }, pat);
    assert.equal(r.user.id, "admin");
    r = await call("GetUser", { user_app_id: { user_id: "admin" } }, pat);
    assert.equal(r.user.id, "admin");
    r = await call("MyScopesUser", { user_app_id: me }, pat);
    assert.deepEqual(r.scopes, ["All"]);

    r = await call("ListScopes", { user_app_id: me, key_type: "personal_access_token" }, pat);
    const deps = r.scope_deps ?? [];
    assert.ok(deps.length > 10, "scope_deps lists the scopes");
    const keysDelete = deps.find((d) => d.scope === "Keys:Delete");
    assert.ok(keysDelete, "scope_deps has Keys:Delete");
    assert.ok((keysDelete.depending_scopes ?? []).includes("Keys:Get"), "Keys:Delete depends on Keys:Get");
    const endpoints = (r.endpoint_deps ?? []).map((d) => d.endpoint);
    assert.ok(endpoints.includes("/clarifai.api.V2/PostModelOutputs"));
    assert.ok(endpoints.includes("/clarifai.api.V2/PostKeys"), "PAT endpoints include PostKeys");
    r = await call("ListScopes", { user_app_id: me, key_type: "app_specific_key" }, pat);
    const appEndpoints = (r.endpoint_deps ?? []).map((d) => d.endpoint);
    assert.ok(appEndpoints.includes("/clarifai.api.V2/PostModelOutputs"));
    assert.ok(!appEndpoints.includes("/clarifai.api.V2/PostKeys"), "app keys are not offered PAT-only endpoints");
  });

  test(name("apps: PostApps, GetApp, ListApps with page/per_page, PatchApps, PatchApp, DeleteApp"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    let r = await call("PostApps", { user_app_id: me, apps: [{ id: "alpha", description: "first" }, { id: "beta" }, { id: "gamma" }] }, pat);
    assert.deepEqual(r.apps.map((a) => a.id), ["alpha", "beta", "gamma"]);
    for (const a of r.apps) {
      assert.equal(a.user_id, "admin");
      assert.equal(a.visibility?.gettable, 10, "new apps are PRIVATE (10)");
      assert.ok(a.created_at, "created_at");
    }
    assert.equal(r.apps[0].description, "first");

    r = await call("GetApp", { user_app_id: mine("alpha") }, pat);
    assert.equal(r.app.id, "alpha");
    assert.equal(r.app.description, "first");
    r = await call("GetApp", { user_app_id: { user_id: "admin", app_id: "alpha" } }, pat);
    assert.equal(r.app.id, "alpha");

    r = await call("ListApps", { user_app_id: me }, pat);
    assert.deepEqual(r.apps.map((a) => a.id), ["alpha", "beta", "gamma"]);
    r = await call("ListApps", { user_app_id: me, page: 1, per_page: 2 }, pat);
    assert.deepEqual(r.apps.map((a) => a.id), ["alpha", "beta"]);
    r = await call("ListApps", { user_app_id: me, page: 2, per_page: 2 }, pat);
    assert.deepEqual(r.apps.map((a) => a.id), ["gamma"]);
    r = await call("ListApps", { user_app_id: me, page: 2, per_page: 1 }, pat);
    assert.deepEqual(r.apps.map((a) => a.id), ["beta"]);
    r = await call("ListApps", { user_app_id: me, page: 3, per_page: 2 }, pat);
    assert.deepEqual(r.apps ?? [], []);

    r = await call("PatchApps", { user_app_id: me, action: "overwrite", apps: [{ id: "alpha", description: "uno" }] }, pat);
    assert.equal(r.apps[0].id, "alpha");
    assert.equal(r.apps[0].description, "uno");
    r = await call("PatchApp", { user_app_id: mine("beta"), action: "overwrite", app: { id: "beta", visibility: { gettable: 50 } } }, pat);
    assert.equal(r.app.visibility?.gettable, 50);
    r = await call("GetApp", { user_app_id: mine("beta") }, pat);
    assert.equal(r.app.visibility?.gettable, 50, "PatchApp made beta PUBLIC (50)");
    r = await call("GetApp", { user_app_id: mine("alpha") }, pat);
    assert.equal(r.app.description, "uno");

    await call("PostApps", { user_app_id: me, apps: [{ id: "alpha" }] }, pat, 40010);
    await call("PostApps", { user_app_id: me, apps: [{ id: "bad id!" }] }, pat, 11102);
    r = await call("ListApps", { user_app_id: me }, pat);
    assert.equal(r.apps.length, 3, "refused PostApps wrote nothing");

    await call("DeleteApp", { user_app_id: mine("gamma") }, pat);
    await call("GetApp", { user_app_id: mine("gamma") }, pat, 11101);
  });

  test(name("keys: PostKeys, ListKeys, GetKey, ListAppKeys, PatchKeys, DeleteKey, MyScopes"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    let r = await call("PostKeys", { user_app_id: me, keys: [{ description: "alpha key", scopes: ["All"], apps: [{ id: "alpha", user_id: "me" }] }] }, pat);
    st.appKey = r.keys[0].id;
    assert.equal(r.keys[0].type, "app_specific_key");
    assert.equal(r.keys[0].apps[0].id, "alpha");
    r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", description: "narrow", scopes: ["Apps:Get", "Workflows:Get"] }] }, pat);
    st.narrow = r.keys[0].id;
    assert.equal(r.keys[0].type, "personal_access_token");
    assert.deepEqual([...r.keys[0].scopes].sort(), ["Apps:Get", "Workflows:Get"]);
    r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", description: "keyman", scopes: ["Apps:Get", "Keys:Add", "Keys:Get"] }] }, pat);
    st.keyman = r.keys[0].id;
    const secrets = [pat, st.appKey, st.narrow, st.keyman];
    assert.equal(new Set(secrets).size, 4);

    r = await call("ListKeys", { user_app_id: me, not_expired: true, type: "personal_access_token" }, pat);
    assert.equal(r.keys.length, 3, "ListKeys filters by type");
    r = await call("ListKeys", { user_app_id: me }, pat);
    assert.equal(r.keys.length, 4);
    for (const k of r.keys) {
      assert.ok(k.id && !secrets.includes(k.id), `ListKeys shows key id ${k.id}, which must not be a secret`);
      assert.ok(["personal_access_token", "app_specific_key"].includes(k.type), `type ${k.type}`);
    }
    const byDesc = Object.fromEntries(r.keys.map((k) => [k.description ?? "", k]));
    assert.equal(byDesc["alpha key"].type, "app_specific_key");
    assert.equal(byDesc["alpha key"].apps[0].id, "alpha");
    st.narrowID = byDesc.narrow.id;
    st.appKeyID = byDesc["alpha key"].id;

    r = await call("GetKey", { user_app_id: me, key_id: st.narrowID }, pat);
    assert.equal(r.key.id, st.narrowID);
    assert.deepEqual([...r.key.scopes].sort(), ["Apps:Get", "Workflows:Get"]);
    assert.equal(r.key.type, "personal_access_token");
    r = await call("GetKey", { user_app_id: me, key_id: st.narrow }, pat);
    assert.equal(r.key.id, st.narrowID, "GetKey by the secret answers with the public id");

    r = await call("ListAppKeys", { user_app_id: mine("alpha") }, pat);
    assert.deepEqual(r.keys.map((k) => k.id), [st.appKeyID]);
    assert.equal(r.keys[0].apps[0].id, "alpha");
    r = await call("ListAppKeys", { user_app_id: mine("beta") }, pat);
    assert.deepEqual(r.keys ?? [], []);

    r = await call("PatchKeys", { user_app_id: me, action: "overwrite", keys: [{ id: st.narrowID, description: "narrower", scopes: ["Apps:Get", "Workflows:Get"] }] }, pat);
    assert.equal(r.keys[0].description, "narrower");
    assert.ok(!secrets.includes(r.keys[0].id));
    r = await call("GetKey", { user_app_id: me, key_id: st.narrowID }, pat);
    assert.equal(r.key.description, "narrower");

    r = await call("MyScopes", {}, st.appKey);
    assert.equal(r.app.id, "alpha");
    assert.deepEqual(r.scopes, ["All"]);
    r = await call("MyScopes", { user_app_id: mine("alpha") }, st.appKey);
    assert.equal(r.app.id, "alpha");
    r = await call("MyScopes", { user_app_id: main }, pat);
    assert.equal(r.app.id, "main");
    assert.ok(r.scopes.includes("Predict") && r.scopes.includes("Models:Get"), `public app scopes: ${r.scopes}`);
    assert.ok(!r.scopes.includes("All") && !r.scopes.includes("Apps:Add"), `a public app is read and predict only: ${r.scopes}`);
    r = await call("MyScopesUser", { user_app_id: me }, st.narrow);
    assert.deepEqual([...r.scopes].sort(), ["Apps:Get", "Workflows:Get"]);

    // Creation rules: no caller-chosen id, no unknown scope, no escalation.
    await call("PostKeys", { user_app_id: me, keys: [{ id: "chosen", type: "personal_access_token", scopes: ["All"] }] }, pat, 11102);
    await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", scopes: ["Nope:Get"] }] }, pat, 11102);
    r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", scopes: ["All"] }] }, st.keyman, 11007);
    r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", description: "made by keyman", scopes: ["Apps:Get"] }] }, st.keyman);
    const made = r.keys[0].id;
    r = await call("ListKeys", { user_app_id: me }, pat);
    assert.equal(r.keys.length, 5);
    const madeID = r.keys.find((k) => k.description === "made by keyman").id;
    await call("DeleteKey", { user_app_id: me, key_id: madeID }, pat);
    await call("GetUser", { user_app_id: me }, made, 11008);
    await call("GetKey", { user_app_id: me, key_id: madeID }, pat, 11101);
  });

  test(name("models: ListModels, GetModel, GetModelOutputInfo, GetModelVersion, ListModelVersions, PostModelOutputs"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    let r = await call("ListModels", { user_app_id: main }, pat);
    assert.ok(r.models.some((m) => m.id === "color-recognition"), `models: ${r.models.map((m) => m.id)}`);
    r = await call("ListModels", { user_app_id: main, page: 1, per_page: 1 }, pat);
    assert.equal(r.models.length, 1);
    r = await call("ListModels", { user_app_id: main, page: 1000, per_page: 500 }, pat);
    assert.deepEqual(r.models ?? [], []);

    r = await call("GetModel", { user_app_id: main, model_id: "color-recognition" }, pat);
    assert.equal(r.model.id, "color-recognition");
    assert.equal(r.model.app_id, "main");
    assert.equal(r.model.user_id, "clarifai");
    const version = r.model.model_version?.id;
    assert.ok(version, "model.model_version.id");
    r = await call("GetModelOutputInfo", { user_app_id: main, model_id: "color-recognition" }, pat);
    assert.equal(r.model.id, "color-recognition");
    r = await call("GetModelVersion", { user_app_id: main, model_id: "color-recognition", version_id: version }, pat);
    assert.equal(r.model_version.id, version);
    assert.equal(r.model_version.status?.code, 21100, "MODEL_TRAINED");
    r = await call("ListModelVersions", { user_app_id: main, model_id: "color-recognition" }, pat);
    assert.ok(r.model_versions.some((v) => v.id === version));

    for (const withVersion of [false, true]) {
      r = await call("PostModelOutputs", {
        user_app_id: main, model_id: "color-recognition", version_id: withVersion ? version : undefined,
        inputs: [{ id: "fruits", data: { image: { base64: image("fruits.jpg") } } }],
      }, pat);
      assert.equal(r.outputs.length, 1);
      const out = r.outputs[0];
      assert.equal(out.status.code, OK);
      assert.equal(out.model.id, "color-recognition");
      assert.equal(out.input?.id, "fruits", "output.input.id echoes the input's id");
      const colors = out.data.colors;
      assert.ok(colors.length > 0, "colors returned");
      for (const c of colors) {
        assert.match(c.raw_hex, /^#[0-9a-fA-F]{6}$/);
        assert.match(c.w3c.hex, /^#[0-9a-fA-F]{6}$/);
        assert.ok(c.w3c.name.length > 0);
        assert.ok(c.value > 0 && c.value <= 1, `value ${c.value}`);
      }
    }
  });

  test(name("prediction errors: unknown model or version, empty input, corrupt bytes, mixed batch"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    const good = { data: { image: { base64: image("fruits.jpg") } } };
    await call("PostModelOutputs", { user_app_id: main, model_id: "no-such-model", inputs: [good] }, pat, 21200);
    await call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", version_id: "no-such-version", inputs: [good] }, pat, 21200);
    await call("GetModel", { user_app_id: main, model_id: "no-such-model" }, pat, 21200);

    let r = await api.call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", inputs: [{ data: { image: { base64: Buffer.from("this is not an image") } } }] }, pat);
    assert.notEqual(r.status.code, OK);
    assert.equal(r.outputs[0].status.code, 30300, "corrupt image bytes: ALL_INPUT_INVALID_BYTES on the output");

    r = await api.call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", inputs: [{ id: "empty" }] }, pat);
    assert.notEqual(r.status.code, OK);
    assert.equal(r.outputs[0].status.code, 30104, "empty input: INPUT_INVALID_ARGUMENT on the output");

    r = await call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", inputs: [good, { id: "empty" }] }, pat, 10010);
    assert.equal(r.outputs.length, 2);
    assert.equal(r.outputs[0].status.code, OK);
    assert.ok(r.outputs[0].data.colors.length > 0);
    assert.equal(r.outputs[1].status.code, 30104);
  });

  test(name("collaborators: PostCollaborators, ListCollaborators, PatchCollaborators, ListCollaborations, DeleteCollaborators"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    const cole = createUser(clavis, "cole");
    await call("GetApp", { user_app_id: { user_id: "admin", app_id: "alpha" } }, cole, 11101);
    let r = await call("PostCollaborators", { user_app_id: mine("alpha"), collaborators: [{ user: { id: "cole" }, scopes: ["Apps:Get", "Workflows:Get"] }] }, pat);
    assert.equal(r.collaborators[0].user.id, "cole");
    r = await call("ListCollaborators", { user_app_id: mine("alpha") }, pat);
    assert.deepEqual(r.collaborators.map((c) => c.user.id), ["cole"]);
    assert.equal(r.app_owner?.id, "admin");
    r = await call("GetApp", { user_app_id: { user_id: "admin", app_id: "alpha" } }, cole);
    assert.equal(r.app.id, "alpha");
    await call("ListModels", { user_app_id: { user_id: "admin", app_id: "alpha" } }, cole, 11007);
    r = await call("PatchCollaborators", { user_app_id: mine("alpha"), action: "overwrite", collaborators: [{ user: { id: "cole" }, scopes: ["Apps:Get", "Workflows:Get", "Models:Get", "Concepts:Get"] }] }, pat);
    assert.deepEqual([...r.collaborators[0].scopes].sort(), ["Apps:Get", "Concepts:Get", "Models:Get", "Workflows:Get"]);
    await call("ListModels", { user_app_id: { user_id: "admin", app_id: "alpha" } }, cole);
    r = await call("ListCollaborations", { user_app_id: me }, cole);
    assert.deepEqual(r.collaborations.map((c) => c.app.id), ["alpha"]);
    await call("DeleteCollaborators", { user_app_id: mine("alpha"), collaborator_ids: ["cole"] }, pat);
    r = await call("ListCollaborators", { user_app_id: mine("alpha") }, pat);
    assert.deepEqual(r.collaborators ?? [], []);
    await call("GetApp", { user_app_id: { user_id: "admin", app_id: "alpha" } }, cole, 11101);
  });

  test(name("inputs: add with labels, get, list, count, delete; other users see none"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    let r = await call("PostInputs", { user_app_id: mine("alpha"), inputs_add_job_id: "scenario",
      inputs: [{ id: "fruit", data: { image: { base64: image("fruits.jpg") }, concepts: [{ id: "apple", value: 1 }] } }] }, pat);
    assert.equal(r.inputs[0].id, "fruit");
    assert.equal(r.inputs[0].status.code, 30001, "pending until processed");
    for (let i = 0; ; i++) {
      r = await call("GetInputsAddJob", { user_app_id: mine("alpha"), id: "scenario" }, pat);
      const p = r.inputs_add_job.progress;
      if (Number(p.pending_count ?? 0) + Number(p.in_progress_count ?? 0) === 0) break;
      assert.ok(i < 600, "the add job finishes");
      await new Promise((res) => setTimeout(res, 50));
    }
    r = await call("GetInput", { user_app_id: mine("alpha"), input_id: "fruit" }, pat);
    assert.equal(r.input.status.code, 30000);
    assert.deepEqual(r.input.data.concepts.map((c) => c.id), ["apple"]);
    r = await call("ListInputs", { user_app_id: mine("alpha") }, pat);
    assert.deepEqual(r.inputs.map((i) => i.id), ["fruit"]);
    r = await call("GetInputCount", { user_app_id: mine("alpha") }, pat);
    assert.equal(Number(r.counts.processed ?? 0), 1);
    bob = createUser(clavis, "bob");
    await call("ListInputs", { user_app_id: { user_id: "admin", app_id: "alpha" } }, bob, 11101);
    await call("GetInput", { user_app_id: { user_id: "admin", app_id: "alpha" }, input_id: "fruit" }, bob, 11101);
    await call("DeleteInputs", { user_app_id: mine("alpha"), ids: ["fruit"] }, pat);
    await call("GetInput", { user_app_id: mine("alpha"), input_id: "fruit" }, pat, 11101);
  });

  test(name("refusals: credentials, scopes, app keys, other users' resources"), async (t) => {
    if (!guard(t)) return;
    const pat = clavis.pat;
    bob ??= createUser(clavis, "bob");

    // Missing scope.
    let r = await call("PostKeys", { user_app_id: me, keys: [{ type: "personal_access_token", scopes: ["Apps:Get"] }] }, st.narrow, 11007);
    assert.match(r.status.details ?? "", /Keys:Add/, "the details name the missing scope");
    await call("GetApp", { user_app_id: mine("alpha") }, st.narrow);

    // App key on PAT-only methods, and outside its app.
    await call("ListApps", { user_app_id: me }, st.appKey, 11007);
    await call("PostKeys", { user_app_id: me, keys: [{ scopes: ["All"] }] }, st.appKey, 11007);
    r = await call("GetApp", { user_app_id: mine("beta") }, st.appKey, 11008);
    assert.equal(r.status.description, INVALID_KEY_DESCRIPTION);
    r = await call("PostModelOutputs", { user_app_id: main, model_id: "color-recognition", inputs: [{ data: { image: { base64: image("fruits.jpg") } } }] }, st.appKey, 11008);
    assert.equal(r.status.description, INVALID_KEY_DESCRIPTION);
    r = await call("GetApp", {}, st.appKey);
    assert.equal(r.app.id, "alpha", "an app key fills in user_app_id");

    // A stranger's PAT on another user's private app: exactly a missing app.
    const hidden = await call("GetApp", { user_app_id: { user_id: "admin", app_id: "alpha" } }, bob, 11101);
    const missing = await call("GetApp", { user_app_id: { user_id: "admin", app_id: "nosuchapp" } }, bob, 11101);
    assert.equal(hidden.status.description, missing.status.description);
    assert.equal((hidden.status.details ?? "").replaceAll("alpha", "X"), (missing.status.details ?? "").replaceAll("nosuchapp", "X"));
    r = await call("GetApp", { user_app_id: { user_id: "admin", app_id: "beta" } }, bob);
    assert.equal(r.app.id, "beta", "a public app is visible to every PAT");
    r = await call("PatchApp", { user_app_id: { user_id: "admin", app_id: "beta" }, action: "overwrite", app: { id: "beta", description: "mine now" } }, bob, 11007);
    assert.match(r.status.details ?? "", /Apps:Add/, "a public app grants others reading and predicting only");
    await call("ListKeys", { user_app_id: { user_id: "admin" } }, bob, 11101);
    await call("DeleteKey", { user_app_id: me, key_id: st.appKeyID }, bob, 11101);
    await call("DeleteKey", { user_app_id: { user_id: "admin" }, key_id: st.appKeyID }, bob, 11101);
    await call("GetApp", {}, st.appKey);
    r = await call("ListApps", { user_app_id: me }, bob);
    assert.deepEqual(r.apps ?? [], [], "bob has no apps of his own");

    // A PAT on an app-scoped method needs the owner's user_id and app_id.
    await call("GetApp", { user_app_id: me }, pat, 11102);
    await call("ListModels", { user_app_id: me }, pat, 11102);

    // Tokens.
    await call("ListApps", { user_app_id: me }, undefined, 11102);
    await call("ListApps", { user_app_id: me }, "", 11102);
    r = await call("ListApps", { user_app_id: me }, "not-a-token", 11008);
    assert.equal(r.status.description, INVALID_KEY_DESCRIPTION);
    const typo = pat.slice(0, -1) + (pat.endsWith("A") ? "B" : "A");
    r = await call("ListApps", { user_app_id: me }, typo, 11008);
    assert.equal(r.status.description, INVALID_KEY_DESCRIPTION);

    // A deleted PAT is refused at once.
    await call("DeleteKey", { user_app_id: me, key_id: st.narrowID }, pat);
    r = await call("GetApp", { user_app_id: mine("alpha") }, st.narrow, 11008);
    assert.equal(r.status.description, INVALID_KEY_DESCRIPTION);

    // Deleting an app takes its keys with it.
    await call("DeleteApp", { user_app_id: mine("alpha") }, pat);
    r = await call("GetApp", {}, st.appKey, 11008);
    assert.equal(r.status.description, INVALID_KEY_DESCRIPTION);
  });
}
