// The page script of the gRPC-Web browser test: Clarifai's own browser
// client, clarifai-web-grpc, calling a Clavis server named by the page's
// query (?api=http://host:port&format=text|binary). build.sh bundles it
// for the browser; the test (cmd/clavis/grpcweb_browser_test.go) reads
// the outcome from window.clavisWeb.
import { V2PromiseClient } from "clarifai-web-grpc";
import { ListAppsRequest, PostModelOutputsRequest } from "clarifai-web-grpc/dist/esm/proto/clarifai/api/service_pb.js";
import { Data, Image, Input, UserAppIDSet } from "clarifai-web-grpc/dist/esm/proto/clarifai/api/resources_pb.js";

// run calls ListApps, then PostModelOutputs with color-recognition on the
// image given in base64, with the PAT in the Authorization metadata (the
// only credential: no cookie goes with gRPC-Web calls).
async function run(api, format, pat, imageBase64) {
  const client = new V2PromiseClient(api, null, { format });
  const auth = { Authorization: "Key " + pat };
  const me = new UserAppIDSet();
  me.setUserId("me");
  const apps = await client.listApps(new ListAppsRequest().setUserAppId(me), auth);
  const main = new UserAppIDSet();
  main.setUserId("clarifai");
  main.setAppId("main");
  const input = new Input().setData(new Data().setImage(new Image().setBase64(imageBase64)));
  const req = new PostModelOutputsRequest().setUserAppId(main).setModelId("color-recognition").setInputsList([input]);
  const out = await client.postModelOutputs(req, auth);
  return {
    appsCode: apps.getStatus().getCode(),
    apps: apps.getAppsList().map((a) => a.getId()),
    outputsCode: out.getStatus().getCode(),
    colors: out.getOutputsList()[0].getData().getColorsList().map((c) => c.getW3c().getName()),
  };
}

const q = new URLSearchParams(location.search);
window.clavisWeb = {
  // call runs the calls and settles with their outcome, or the error the
  // client reported: {error: {code, message}}.
  call: (pat, imageBase64) =>
    run(q.get("api"), q.get("format") || "text", pat, imageBase64).catch((e) => ({ error: { code: e.code, message: String(e.message) } })),
};
document.getElementById("status").textContent = "ready";
