#!/usr/bin/env bash
# Copies the certificates the sample app trusts into App/Resources/trust/ (bundled as a
# folder): issuers.pem (IACA and Document Signer) and relying-parties.pem (the registry CA).
# Source: CANCUOC_TRUST_DIR, else <repo>/demo-out (from `cargo run -p cancuoc-cli -- demo
# --out demo-out`), else the committed test vectors. Certificates only: a file holding a
# private key stops the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${CANCUOC_TRUST_DIR:-}
if [ -z "$dir" ]; then
  if [ -d "$root/demo-out/trust" ]; then dir="$root/demo-out"; else dir="$root/test-vectors"; fi
fi
registry="$dir/clinic/registry.pem"
[ -f "$registry" ] || registry="$dir/consent/registry.pem"
out="$here/Resources/trust"
mkdir -p "$out"
certs() {
  for f in "$@"; do
    [ -f "$f" ] || { echo "copy-trust: $f is missing" >&2; exit 1; }
    if grep -q "PRIVATE KEY" "$f"; then echo "copy-trust: $f holds a private key" >&2; exit 1; fi
    grep -q "BEGIN CERTIFICATE" "$f" || { echo "copy-trust: $f holds no certificate" >&2; exit 1; }
    cat "$f"
  done
}
certs "$dir/trust/iaca.pem" "$dir/trust/ds.pem" > "$out/issuers.pem"
certs "$registry" > "$out/relying-parties.pem"
echo "copy-trust: trusting the certificates of ${dir#"$root"/}"
