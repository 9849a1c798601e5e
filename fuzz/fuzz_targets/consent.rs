//! The consent channel's outside texts: a relying party's signed request (`CR2:`, as a wallet
//! reads it against a registry), an answer encrypted to a party (`CE1:`), a consent grant
//! (`CG1:`) and its revocation (`CV1:`). Invariants: a request that parses names a party
//! whose certificate it carries, asks for at least one element and retains only what it asks;
//! a grant that parses verifies under its own device key and its elements are non-empty.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use cancuoc_core::consent::{ConsentGrant, GrantRevocation};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::qr::encrypted;
use cancuoc_core::qr::signed_request::SignedRequest;
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::grant::{GrantCheck, verify_grant};

const REGISTRY: &str = include_str!("../../test-vectors/consent/registry.pem");
const PARTY_KEY: &str = include_str!("../../test-vectors/consent/party-key.pem");

static REGISTRY_LIST: std::sync::OnceLock<TrustList> = std::sync::OnceLock::new();
static KEY: std::sync::OnceLock<Option<PrivateKey>> = std::sync::OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = common::now();
    let registry = REGISTRY_LIST.get_or_init(|| TrustList::from_pem_texts([REGISTRY]).unwrap_or_default());
    for r in [
        SignedRequest::from_text(text, registry, now),
        SignedRequest::from_own_text(text, now),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!r.request.elements.is_empty());
        assert!(r.retain.iter().all(|e| r.request.elements.contains(e)));
        assert_eq!(r.certificate.common_name().as_deref(), Some(r.request.verifier.as_str()));
    }
    if let Some(key) = KEY.get_or_init(|| PrivateKey::from_pkcs8_pem(PARTY_KEY).ok()) {
        let _ = encrypted::open(text, key);
    }
    if let Ok(g) = ConsentGrant::from_text(text) {
        assert!(!g.elements.is_empty());
        assert!(g.expires > g.issued);
        let mut check = GrantCheck::new(now);
        check.holder_key = Some(&g.device_key);
        let _ = verify_grant(text, &check);
        let _ = GrantRevocation::from_text(text, &g.device_key);
    }
});
