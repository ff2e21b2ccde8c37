// Every implemented RPC and the refusals through the official client's
// generated static V2Client (google-protobuf message classes) with insecure
// credentials to 127.0.0.1.
import { scenario } from "./scenario.mjs";
import { staticDriver } from "./clients.mjs";

scenario((clavis) => staticDriver(clavis.addr), { label: "static V2Client" });
