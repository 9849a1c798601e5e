//! Secrets do not outlive their use: the process scans its own writable memory (heap, stacks,
//! anonymous mappings, via /proc/self/mem) for the passcode, the software device key and the
//! storage data key — after a presentation is signed with the software key store (device key
//! and passcode gone), and after the wallet is closed (data key gone too).
//!
//! The needles are held masked (XOR 0xA5) so the test itself never keeps a plain copy, and the
//! passcode is made at run time so it is not a literal in the binary.
#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use cancuoc_core::account::Passcode;
use cancuoc_core::document::{DocumentKind, samples};
use cancuoc_core::fixtures::{CLINIC_ELEMENTS, DemoWorld, iaca_params};
use cancuoc_core::issuance::{CredentialValidity, IssuingAuthority};
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::time_fmt::FixedClock;
use cancuoc_core::trust::TrustList;
use cancuoc_core::wallet::{Activation, AssuranceLevel, Wallet, WalletConfig};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::Duration;
use time::macros::datetime;
use zeroize::Zeroizing;

const MASK: u8 = 0xA5;

/// A secret kept only masked.
#[derive(Clone)]
struct Needle {
    name: &'static str,
    masked: Vec<u8>,
}

impl Needle {
    fn new(name: &'static str, plain: &[u8]) -> Self {
        Self {
            name,
            masked: plain.iter().map(|b| b ^ MASK).collect(),
        }
    }
}

/// Every writable private mapping of this process: heap, stacks, anonymous memory.
fn regions() -> Vec<(u64, u64, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let range = parts.next()?;
            let perms = parts.next()?;
            let path = parts.nth(3).unwrap_or("").to_owned();
            if !perms.starts_with("rw") || path.starts_with("[v") || path.starts_with('/') {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
                path,
            ))
        })
        .collect()
}

/// Where each needle is found (region names), scanning in 1 MiB chunks with overlap.
fn scan(needles: &[Needle]) -> Vec<String> {
    let mut mem = std::fs::File::open("/proc/self/mem").unwrap();
    let mut found = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    for (start, end, name) in regions() {
        let mut at = start;
        while at < end {
            let len = ((end - at) as usize).min(buf.len());
            if mem.seek(SeekFrom::Start(at)).is_err() {
                break;
            }
            let Ok(n) = mem.read(&mut buf[..len]) else {
                break;
            };
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            for needle in needles {
                let m = &needle.masked;
                if chunk
                    .windows(m.len())
                    .any(|w| w.iter().zip(m).all(|(a, b)| a ^ MASK == *b))
                {
                    let pos = chunk
                        .windows(m.len())
                        .position(|w| w.iter().zip(m).all(|(a, b)| a ^ MASK == *b))
                        .unwrap_or(0);
                    found.push(format!(
                        "{} in {} region {start:#x}-{end:#x} at {:#x}",
                        needle.name,
                        if name.is_empty() {
                            "an anonymous"
                        } else {
                            &name
                        },
                        at + pos as u64
                    ));
                }
            }
            // Overlap by 64 bytes so a needle across a chunk edge is not missed.
            at += (n as u64).saturating_sub(64).max(1);
        }
    }
    // The scan buffer may now hold copies of what it read; wipe it.
    zeroize::Zeroize::zeroize(&mut buf[..]);
    found
}

/// Runs in both builds: `cargo test` (debug, whose unoptimised frames are larger) and
/// `./scripts/test`'s `--release` run (the build phones ship).
#[test]
fn no_passcode_device_key_or_data_key_is_left_in_memory() {
    let now = datetime!(2026-11-23 08:00:00 UTC);
    let dir = std::env::temp_dir().join(format!("cancuoc-memscan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut world = DemoWorld::build(5, now).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(u64::from(std::process::id()));
    // A passcode made at run time.
    let digits = Zeroizing::new(
        (0..6)
            .map(|_| char::from(b'0' + (rng.next_u32() % 10) as u8))
            .collect::<String>(),
    );
    let pin_needle = Needle::new("passcode", digits.as_bytes());
    let ca = IssuingAuthority::generate(&iaca_params(now - Duration::days(1)), &mut rng).unwrap();
    {
        let keys = Arc::new(
            SoftwareKeyStore::open(&dir.join("keys"), Box::new(ChaCha20Rng::seed_from_u64(9)))
                .unwrap(),
        );
        let config = WalletConfig::new(
            TrustList::new(vec![
                world.authority.certificate().clone(),
                world.issuer.certificate().clone(),
            ])
            .unwrap(),
            TrustList::new(vec![ca.certificate().clone()]).unwrap(),
        );
        let wallet = Wallet::open(
            &dir.join("wallet.db"),
            keys,
            Arc::new(FixedClock(now)),
            Box::new(ChaCha20Rng::seed_from_u64(10)),
            config,
        )
        .unwrap();
        let account = {
            let pin = Passcode::new(&digits).unwrap();
            wallet
                .activate(
                    Activation {
                        personal_id: "001090012345".into(),
                        full_name: "NGUYỄN VĂN AN".into(),
                        birth_date: time::macros::date!(1990 - 05 - 01),
                        level: AssuranceLevel::Level2,
                        id_card_expiry: None,
                    },
                    &pin,
                )
                .unwrap()
        };
        let doc = samples::all()
            .into_iter()
            .find(|d| d.kind() == DocumentKind::HealthInsurance)
            .unwrap();
        let validity = CredentialValidity {
            valid_from: now,
            valid_until: now + Duration::days(30),
            expected_update: None,
        };
        let mdoc = world
            .issuer
            .issue(
                &doc,
                &account.device_key,
                validity,
                None,
                now,
                &mut world.rng,
            )
            .unwrap();
        let qr = world
            .issuer
            .issue_compact(
                &doc,
                &account.device_key,
                validity,
                None,
                now,
                &mut world.rng,
            )
            .unwrap();
        let card = wallet
            .add_document(
                &mdoc.to_bytes().unwrap(),
                Some(&qr.to_bytes().unwrap()),
                None,
            )
            .unwrap();
        wallet.lock();
        {
            let pin = Passcode::new(&digits).unwrap();
            wallet.unlock(&pin).unwrap();
        }
        wallet.present_qr(&card.id, CLINIC_ELEMENTS).unwrap();
        wallet.lock();

        // The device key and the data key, read back from the software store's files.
        let key_file = std::fs::read_dir(dir.join("keys"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "key"))
            .unwrap();
        let device_needle = {
            use base64::Engine as _;
            let pem = Zeroizing::new(std::fs::read_to_string(&key_file).unwrap());
            let b64 = Zeroizing::new(
                pem.lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            );
            let der = Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .unwrap(),
            );
            // ECPrivateKey: ... OCTET STRING (32) holding the scalar.
            let at = der.windows(2).position(|w| w == [0x04, 0x20]).unwrap() + 2;
            Needle::new("device key", &der[at..at + 32])
        };
        let data_needle = {
            // Read straight into a zeroized heap buffer (no copy on this test's stack).
            let mut bytes = Zeroizing::new(vec![0u8; 32]);
            std::fs::File::open(dir.join("keys/cancuoc.storage.datakey"))
                .unwrap()
                .read_exact(&mut bytes)
                .unwrap();
            Needle::new("data key", &bytes)
        };
        drop(digits);

        let found = scan(&[pin_needle.clone(), device_needle.clone()]);
        assert!(found.is_empty(), "after presenting and locking: {found:?}");
        drop(wallet);
        let found = scan(&[pin_needle, device_needle, data_needle]);
        assert!(found.is_empty(), "after closing the wallet: {found:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
