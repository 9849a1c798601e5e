//! The service's signing keys, created on first start and kept in the store: the IACA (root),
//! the Document Signer every document and list is signed by (457 days; a new one is made at
//! start when the current one has less than 90 days left; the old certificate stays in the
//! trust list while it is valid), and the secret the device-change codes are derived from. Keys are PKCS#8 PEM in the
//! `authority` table; they are read into `PrivateKey`s (zeroized on drop) once at start.

use cancuoc_core::fixtures::{ds_params, iaca_params};
use cancuoc_core::issuance::{IssueError, Issuer, IssuingAuthority};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::x509::Certificate;
use rand_core::CryptoRng;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::store::{self, Store, StoreError, Tx, Val};

/// A Document Signer with less than this left is replaced at start.
const DS_RENEW_BEFORE: Duration = Duration::days(90);
/// A Document Signer's certificate validity (ISO 18013-5 Annex B: at most 457 days).
const DS_LIFETIME: Duration = Duration::days(457);

/// Why the keys could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("issuance keys: {0}")]
    Issue(#[from] IssueError),
    #[error("a stored key or certificate does not read: {0}")]
    Stored(String),
}

/// The keys the service signs with.
pub struct Authority {
    pub iaca: Certificate,
    pub issuer: Issuer,
    /// Document Signer certificates still valid, the current one first.
    pub signers: Vec<Certificate>,
    /// HMAC key of the device-change codes.
    pub code_secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("iaca", &self.iaca.subject())
            .field("signers", &self.signers.len())
            .finish_non_exhaustive()
    }
}

fn stored(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError::Stored(e.to_string())
}

fn read_pair(
    tx: &mut dyn Tx,
    name: &str,
) -> Result<Option<(PrivateKey, Certificate)>, AuthorityError> {
    let Some(row) = tx.query_opt(
        "SELECT key_pem, cert_pem FROM authority WHERE name = ?1",
        &[Val::from(name)],
    )?
    else {
        return Ok(None);
    };
    let key_pem = Zeroizing::new(row.text(0)?);
    let key = PrivateKey::from_pkcs8_pem(&key_pem).map_err(stored)?;
    let cert = Certificate::from_pem(&row.text(1)?)
        .map_err(stored)?
        .into_iter()
        .next()
        .ok_or_else(|| stored("no certificate"))?;
    Ok(Some((key, cert)))
}

fn write_pair(
    tx: &mut dyn Tx,
    name: &str,
    key: &PrivateKey,
    cert: &Certificate,
    now: OffsetDateTime,
) -> Result<(), AuthorityError> {
    let pem = key.to_pkcs8_pem().map_err(stored)?;
    tx.execute(
        "INSERT INTO authority (name, key_pem, cert_pem, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[
            Val::from(name),
            Val::from(pem.as_str()),
            Val::Text(cert.to_pem().map_err(stored)?),
            Val::Int(now.unix_timestamp()),
        ],
    )?;
    Ok(())
}

impl Authority {
    /// Loads the keys, making whatever is missing, in one transaction.
    pub fn load_or_create(
        store: &dyn Store,
        now: OffsetDateTime,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, AuthorityError> {
        store::transact(store, |tx| {
            let start = now - Duration::days(1);
            let iaca = match read_pair(tx, "iaca")? {
                Some((key, cert)) => IssuingAuthority::from_parts(key, cert)?,
                None => {
                    let mut params = iaca_params(start);
                    params.common_name = "cancuoc identity service IACA".into();
                    let a = IssuingAuthority::generate(&params, rng)?;
                    write_pair(tx, "iaca", a.key(), a.certificate(), now)?;
                    a
                }
            };
            let issuer = match read_pair(tx, "ds")? {
                Some((key, cert)) if cert.not_after() > now + DS_RENEW_BEFORE => {
                    Issuer::new(key, cert)?
                }
                old => {
                    if let Some((key, cert)) = old {
                        // Retired: kept for the trust list while documents it signed are valid.
                        let retired = format!("ds-{}", cert.serial_hex());
                        tx.execute("DELETE FROM authority WHERE name = 'ds'", &[])?;
                        write_pair(tx, &retired, &key, &cert, now)?;
                    }
                    let mut params = ds_params(start);
                    params.common_name = "cancuoc identity service Document Signer".into();
                    // The longest Annex B allows, so a year's credential fits for months.
                    params.not_after = start + DS_LIFETIME;
                    let ds = iaca.document_signer(&params, rng)?;
                    write_pair(tx, "ds", ds.key(), ds.certificate(), now)?;
                    ds
                }
            };
            let mut signers = vec![issuer.certificate().clone()];
            for row in tx.query(
                "SELECT cert_pem FROM authority WHERE name LIKE 'ds-%' ORDER BY created_at DESC",
                &[],
            )? {
                for c in Certificate::from_pem(&row.text(0)?).map_err(stored)? {
                    if c.not_after() > now {
                        signers.push(c);
                    }
                }
            }
            let code_secret = match tx.query_opt(
                "SELECT key_pem FROM authority WHERE name = 'code_secret'",
                &[],
            )? {
                Some(row) => Zeroizing::new(hex::decode(row.text(0)?).map_err(stored)?),
                None => {
                    let mut s = Zeroizing::new(vec![0u8; 32]);
                    rng.fill_bytes(s.as_mut_slice());
                    tx.execute(
                        "INSERT INTO authority (name, key_pem, cert_pem, created_at) \
                         VALUES ('code_secret', ?1, '', ?2)",
                        &[
                            Val::Text(hex::encode(s.as_slice())),
                            Val::Int(now.unix_timestamp()),
                        ],
                    )?;
                    s
                }
            };
            Ok(Self {
                iaca: iaca.certificate().clone(),
                issuer,
                signers,
                code_secret,
            })
        })
    }

    /// The certificates of the trust list: the IACA and every valid Document Signer.
    pub fn trust_certificates(&self) -> Vec<Certificate> {
        let mut out = vec![self.iaca.clone()];
        out.extend(self.signers.iter().cloned());
        out
    }
}
