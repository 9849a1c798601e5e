// Verifies a cancuoc DeviceResponse with @auth0/mdl, an independent ISO/IEC 18013-5
// implementation: certificate chain to the given IACA, issuer signature, MSO validity,
// value digests, and the device signature over DeviceAuthentication for the given
// SessionTranscriptBytes. Prints every check; exits 0 only when all of them passed.
//
// usage: node verify.mjs device-response.cbor session-transcript.cbor iaca.pem
import { readFileSync } from "node:fs";
import { Verifier } from "@auth0/mdl";

const [responsePath, transcriptPath, iacaPath] = process.argv.slice(2);
if (!iacaPath) {
  console.error("usage: node verify.mjs device-response.cbor session-transcript.cbor iaca.pem");
  process.exit(2);
}
const checks = [];
const verifier = new Verifier([readFileSync(iacaPath, "utf8")]);
let documents = [];
try {
  const response = await verifier.verify(readFileSync(responsePath), {
    encodedSessionTranscript: readFileSync(transcriptPath),
    onCheck: (check) => checks.push(check),
  });
  documents = response.documents.map((d) => ({
    docType: d.docType,
    elements: Object.fromEntries(
      Object.entries(d.issuerSigned.nameSpaces).map(([ns, items]) => [ns, items.map((i) => i.elementIdentifier)]),
    ),
  }));
} catch (e) {
  checks.push({ status: "FAILED", check: "verify() completed", reason: String(e) });
}
const failed = checks.filter((c) => c.status !== "PASSED");
for (const c of checks) {
  console.log(`${c.status === "PASSED" ? "PASS" : "FAIL"}  ${c.category ?? ""} ${c.check}${c.reason && c.status !== "PASSED" ? " — " + c.reason : ""}`);
}
console.log(JSON.stringify({ documents }));
const required = ["ISSUER_CERTIFICATE_VALIDITY", "ISSUER_SIGNATURE_VALIDITY", "DEVICE_SIGNATURE_VALIDITY"];
const missing = required.filter((id) => !checks.some((c) => c.id === id && c.status === "PASSED"));
if (failed.length > 0 || missing.length > 0 || documents.length === 0) {
  console.log(`@auth0/mdl: ${failed.length} failed, missing ${missing.join(", ") || "none"}`);
  process.exit(1);
}
console.log(`@auth0/mdl: all ${checks.length} checks passed`);
