package web

import (
	"encoding/json"
	"net"
	"net/url"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

// exampleImageURL stands for the image in snippets until one is tried.
const exampleImageURL = "https://example.com/photo.jpg"

// secretPlaceholder is what the snippets read the token from: never the
// secret itself, which the portal does not have.
const secretPlaceholder = "CLAVIS_PAT"

// snippet is one way to make the playground's call from code.
type snippet struct {
	ID    string // the panel's element id
	Label string
	Note  string
	Code  string
}

// snippetImage is the image a snippet sends: a URL, or a file read from
// disk.
type snippetImage struct {
	URL  string
	File string
}

// snippets returns the playground's call as curl (REST), Python
// (clarifai-grpc over gRPC) and Node (REST with fetch), with this server's
// address, the model's ids, and the token read from $CLAVIS_PAT.
func snippets(rq *request, m clavis.Model, img snippetImage) []snippet {
	tls := rq.r.TLS != nil
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host := rq.r.Host
	endpoint := scheme + "://" + host + "/v2/users/" + url.PathEscape(m.OwnerID) + "/apps/" + url.PathEscape(m.AppID) +
		"/models/" + url.PathEscape(m.ID) + "/outputs"
	return []snippet{
		{ID: "snippet-curl", Label: "curl", Note: "REST, with the token in $" + secretPlaceholder + ".", Code: curlSnippet(endpoint, img)},
		{ID: "snippet-python", Label: "Python", Note: "gRPC with Clarifai's client: pip install clarifai-grpc.", Code: pythonSnippet(grpcTarget(host, tls), tls, m, img)},
		{ID: "snippet-node", Label: "Node.js", Note: "REST with the built-in fetch (Node.js 18 or newer); save as predict.mjs.", Code: nodeSnippet(endpoint, m, img)},
	}
}

// grpcTarget is the host:port gRPC clients dial: the port the browser
// reached, or the scheme's default.
func grpcTarget(host string, tls bool) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if tls {
		return net.JoinHostPort(host, "443")
	}
	return net.JoinHostPort(host, "80")
}

// lit is s as a string literal of JSON, which Python and JavaScript read
// alike.
func lit(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func curlSnippet(endpoint string, img snippetImage) string {
	var b strings.Builder
	b.WriteString("curl -X POST " + shellQuote(endpoint) + " \\\n")
	b.WriteString("  -H \"Authorization: Key $" + secretPlaceholder + "\" \\\n")
	b.WriteString("  -H \"Content-Type: application/json\" \\\n")
	if img.File != "" {
		// The file goes in base64, spliced in by the shell.
		b.WriteString("  -d @- <<EOF\n")
		b.WriteString(`{"inputs": [{"data": {"image": {"base64": "$(base64 -w0 ` + shellQuote(img.File) + `)"}}}]}` + "\nEOF")
		return b.String()
	}
	body := `{"inputs": [{"data": {"image": {"url": ` + lit(img.URL) + `}}}]}`
	b.WriteString("  -d " + shellQuote(body))
	return b.String()
}

func pythonSnippet(target string, tls bool, m clavis.Model, img snippetImage) string {
	channel := "grpc.insecure_channel(" + lit(target) + ")"
	if tls {
		channel = "grpc.secure_channel(" + lit(target) + ", grpc.ssl_channel_credentials())"
	}
	image := "resources_pb2.Image(url=" + lit(img.URL) + ")"
	if img.File != "" {
		image = "resources_pb2.Image(base64=open(" + lit(img.File) + ", \"rb\").read())"
	}
	var out string
	switch m.TypeID {
	case clavis.ModelTypeDetector:
		out = `for region in response.outputs[0].data.regions:
    box = region.region_info.bounding_box
    for concept in region.data.concepts:
        print(f"{concept.name} {concept.value:.3f} at top {box.top_row:.3f} left {box.left_col:.3f} bottom {box.bottom_row:.3f} right {box.right_col:.3f}")`
	case clavis.ModelTypeOCR:
		out = `for region in response.outputs[0].data.regions:
    print(region.data.text.raw)`
	case clavis.ModelTypeColor:
		out = `for color in response.outputs[0].data.colors:
    print(f"{color.raw_hex} {color.w3c.name} {color.value:.3f}")`
	default:
		out = `for concept in response.outputs[0].data.concepts:
    print(f"{concept.name} {concept.value:.3f}")`
	}
	return `import os

import grpc
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc

stub = service_pb2_grpc.V2Stub(` + channel + `)
metadata = (("authorization", "Key " + os.environ["` + secretPlaceholder + `"]),)

response = stub.PostModelOutputs(
    service_pb2.PostModelOutputsRequest(
        user_app_id=resources_pb2.UserAppIDSet(user_id=` + lit(m.OwnerID) + `, app_id=` + lit(m.AppID) + `),
        model_id=` + lit(m.ID) + `,
        inputs=[resources_pb2.Input(data=resources_pb2.Data(image=` + image + `))],
    ),
    metadata=metadata,
)
if response.status.code != 10000:
    raise SystemExit(f"{response.status.description}: {response.status.details}")
` + out + "\n"
}

func nodeSnippet(endpoint string, m clavis.Model, img snippetImage) string {
	var head, image string
	if img.File != "" {
		head = "import { readFileSync } from \"node:fs\";\n\n"
		image = "{ base64: readFileSync(" + lit(img.File) + ").toString(\"base64\") }"
	} else {
		image = "{ url: " + lit(img.URL) + " }"
	}
	var out string
	switch m.TypeID {
	case clavis.ModelTypeDetector:
		out = `for (const region of result.outputs[0].data.regions) {
  const box = region.region_info.bounding_box;
  for (const c of region.data.concepts) console.log(c.name, c.value, box);
}`
	case clavis.ModelTypeOCR:
		out = `for (const region of result.outputs[0].data.regions) console.log(region.data.text.raw);`
	case clavis.ModelTypeColor:
		out = `for (const c of result.outputs[0].data.colors) console.log(c.raw_hex, c.w3c.name, c.value);`
	default:
		out = `for (const c of result.outputs[0].data.concepts) console.log(c.name, c.value);`
	}
	return head + `const response = await fetch(` + lit(endpoint) + `, {
  method: "POST",
  headers: { Authorization: "Key " + process.env.` + secretPlaceholder + `, "Content-Type": "application/json" },
  body: JSON.stringify({ inputs: [{ data: { image: ` + image + ` } }] }),
});
const result = await response.json();
if (result.status.code !== 10000) throw new Error(result.status.description + ": " + result.status.details);
` + out + "\n"
}
