//! List vectors (`lists/`): the signed trust list and a signed status list as the identity
//! service publishes them (`cancuoc_core::lists`), and lists a reader must refuse. The status
//! list covers the demo world's four documents (indexes 0–3) with the health insurance card
//! (index 2) revoked. `lists/manifest.json` gives each file, the anchor to check it against,
//! the time and the expected outcome.

use cancuoc_core::fixtures::{DemoWorld, STATUS_URI, iaca_params};
use cancuoc_core::issuance::IssuingAuthority;
use cancuoc_core::lists::{StatusListContent, TrustListContent, sign_status_list, sign_trust_list};
use cancuoc_core::trust::StatusList;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use time::Duration;

use super::{Error, File, SEED, T0, tdate};

fn sign_err(e: cancuoc_core::lists::ListError) -> Error {
    let _ = e;
    Error::Missing("list signature")
}

pub fn generate(world: &DemoWorld, files: &mut Vec<File>) -> Result<(), Error> {
    let mut vectors: Vec<Value> = Vec::new();
    let trust = TrustListContent {
        sequence: 1,
        issued_at: T0,
        next_update: T0 + Duration::days(1),
        certificates: vec![
            world.authority.certificate().clone(),
            world.issuer.certificate().clone(),
        ],
    };
    let trust_bytes = sign_trust_list(&trust, &world.issuer).map_err(sign_err)?;
    let mut list = StatusList::with_capacity(STATUS_URI, 1 << 17);
    list.revoke(2);
    let status = StatusListContent {
        list,
        issued_at: T0,
        expires: T0 + Duration::hours(24),
    };
    let status_bytes = sign_status_list(&status, &world.issuer).map_err(sign_err)?;
    files.push(("lists/trust-list.cose".into(), trust_bytes.clone()));
    files.push(("lists/status-list.cwt".into(), status_bytes.clone()));
    vectors.push(json!({
        "name": "trust-list",
        "file": "lists/trust-list.cose",
        "kind": "trust_list",
        "expect": { "valid": true, "sequence": 1, "certificates": 2,
                    "issued_at": tdate(T0), "next_update": tdate(trust.next_update) },
    }));
    vectors.push(json!({
        "name": "status-list-health-card-revoked",
        "file": "lists/status-list.cwt",
        "kind": "status_list",
        "expect": { "valid": true, "uri": STATUS_URI, "entries": 1 << 17, "revoked": [2],
                    "not_revoked": [0, 1, 3], "expires": tdate(status.expires) },
    }));

    // Refusals: a tampered signature, one list passed off as the other, another authority's.
    let mut tampered = status_bytes.clone();
    if let Some(b) = tampered.last_mut() {
        *b ^= 0x01;
    }
    files.push(("lists/negative/tampered-status-list.cwt".into(), tampered));
    vectors.push(json!({
        "name": "tampered-status-list", "file": "lists/negative/tampered-status-list.cwt",
        "kind": "status_list", "expect": { "valid": false, "code": "bad_signature" },
    }));
    vectors.push(json!({
        "name": "trust-list-as-status-list", "file": "lists/trust-list.cose",
        "kind": "status_list", "expect": { "valid": false, "code": "wrong_type" },
    }));
    let mut rng = ChaCha20Rng::seed_from_u64(SEED + 11);
    let mut params = iaca_params(T0 - Duration::days(1));
    params.common_name = "an unknown issuing authority".into();
    let rogue = IssuingAuthority::generate(&params, &mut rng)?;
    let rogue_signer = rogue.document_signer(
        &cancuoc_core::fixtures::ds_params(T0 - Duration::days(1)),
        &mut rng,
    )?;
    let rogue_list = sign_status_list(&status, &rogue_signer).map_err(sign_err)?;
    files.push((
        "lists/negative/unknown-signer-status-list.cwt".into(),
        rogue_list,
    ));
    vectors.push(json!({
        "name": "unknown-signer-status-list", "file": "lists/negative/unknown-signer-status-list.cwt",
        "kind": "status_list", "expect": { "valid": false, "code": "untrusted_signer" },
    }));

    let manifest = json!({
        "about": "Signed trust and status lists (cancuoc_core::lists; IETF Token Status List, CWT form, bits = 1, ZLIB). Check each file against the anchor trust/iaca.pem at 'now'.",
        "anchor": "trust/iaca.pem",
        "now": tdate(T0 + Duration::minutes(1)),
        "vectors": vectors,
    });
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|_| Error::Missing("json"))?;
    text.push('\n');
    files.push(("lists/manifest.json".into(), text.into_bytes()));
    Ok(())
}
