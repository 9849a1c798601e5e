//! The wallet's documents: adding what the issuer returns (verified against the trust list,
//! bound to this wallet's device key, the level-2 rule and the dependent rules applied),
//! the card list, one document shown in full, removal, and revocation from a status list.

use serde::Serialize;
use time::OffsetDateTime;

use super::records::{AssuranceLevel, DocumentRecord, ID_ACCOUNT, KIND_ACCOUNT, KIND_DOCUMENT};
use super::{Wallet, WalletError, from_json, lock, to_json};
use crate::document::DocumentKind;
use crate::mdoc::element::ElementValue;
use crate::mdoc::issuer_signed::Credential;
use crate::qr::sd_cwt::CompactCredential;
use crate::trust::StatusList;
use crate::verifier::{DisclosedElement, VerifiedDocument};

/// Whether a document can be shown now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Valid,
    NotYetValid,
    Expired,
    Revoked,
}

/// What a card in the document list needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCard {
    pub id: String,
    pub kind: DocumentKind,
    pub title_vi: &'static str,
    pub title_en: &'static str,
    pub holder_name: String,
    /// The dependent child it belongs to, by personal identification number; `None` for the
    /// citizen's own.
    pub dependent: Option<String>,
    /// The document's number (ID number, licence number, card code, plate).
    pub number: String,
    pub issuer: String,
    pub valid_from: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    pub status: DocumentStatus,
    /// The QR form is present (static and challenge QR presentations possible).
    pub has_qr: bool,
}

/// One element as the detail screen and the element picker show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementView {
    pub namespace: String,
    pub identifier: String,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub value: ElementValue,
    /// Can be chosen for a QR presentation (some are always shown with the document type).
    pub selectable: bool,
}

/// One document in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentDetail {
    pub card: DocumentCard,
    pub elements: Vec<ElementView>,
}

fn text_of(disclosed: &[DisclosedElement], id: &str) -> Option<String> {
    disclosed
        .iter()
        .find(|d| d.identifier == id)
        .and_then(|d| d.value.as_text())
        .map(str::to_owned)
}

/// Holder name and document number as the card shows them.
fn card_fields(kind: DocumentKind, d: &[DisclosedElement]) -> (String, String) {
    let name = text_of(d, "full_name")
        .or_else(|| text_of(d, "holder_name"))
        .or_else(|| {
            let family = text_of(d, "family_name")?;
            let given = text_of(d, "given_name")?;
            Some(format!("{family} {given}"))
        })
        .or_else(|| {
            let holder = d.iter().find(|e| e.identifier == "vehicle_holder")?;
            let ElementValue::Map(m) = &holder.value else {
                return None;
            };
            let get = |k: &str| {
                m.iter()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| v.as_text())
            };
            Some(format!(
                "{} {}",
                get("family_name_unicode")?,
                get("given_name_unicode")?
            ))
        })
        .unwrap_or_default();
    let number_id = match kind {
        DocumentKind::CitizenIdentity => "personal_administrative_number",
        DocumentKind::DrivingLicence => "document_number",
        DocumentKind::HealthInsurance => "card_code",
        DocumentKind::VehicleRegistration => "registration_number",
    };
    (name, text_of(d, number_id).unwrap_or_default())
}

impl Wallet {
    /// Adds an issued document: its mdoc credential and, when the issuer gave one, its QR
    /// form. Both must verify against the issuer trust list, be bound to this wallet's device
    /// key and describe the same document. Driver licence, health insurance card and vehicle
    /// registration need a level-2 account. `dependent` adds it for a child under 14 (identity
    /// card or health insurance card only). A new issue of a document already held (same kind
    /// and number) replaces it.
    pub fn add_document(
        &self,
        mdoc: &[u8],
        qr: Option<&[u8]>,
        dependent: Option<&str>,
    ) -> Result<DocumentCard, WalletError> {
        let account = self.account_record()?;
        let now = self.now();
        let credential = Credential::from_bytes(mdoc).map_err(|e| {
            WalletError::DocumentRefused(crate::verifier::VerifyError::Structure(
                crate::mdoc::StructureError {
                    at: "credential".into(),
                    problem: e.to_string(),
                },
            ))
        })?;
        let verified = lock(&self.verifier)
            .verify_credential(&credential, now)
            .map_err(WalletError::DocumentRefused)?;
        let kind = verified.kind.ok_or(WalletError::DocumentRefused(
            crate::verifier::VerifyError::Structure(crate::mdoc::StructureError {
                at: "docType".into(),
                problem: "not a document this wallet knows".into(),
            }),
        ))?;
        let device_key = self.key_store.public_key(&account.device_key_alias)?;
        if verified.device_key != device_key {
            return Err(WalletError::WrongDeviceKey);
        }
        if account.level < AssuranceLevel::Level2 && kind != DocumentKind::CitizenIdentity {
            return Err(WalletError::LevelTooLow {
                have: account.level.number(),
                document: kind.title_en(),
            });
        }
        let compact = qr
            .map(|bytes| self.check_compact(bytes, kind, &verified, &device_key, now))
            .transpose()?;
        let (holder_name, number) = card_fields(kind, &verified.disclosed);
        if let Some(child) = dependent {
            let dep = self.dependent_record(child)?;
            if !matches!(
                kind,
                DocumentKind::CitizenIdentity | DocumentKind::HealthInsurance
            ) {
                return Err(WalletError::NotForDependents(kind.title_en()));
            }
            if super::age_on(dep.birth_date, now.date()) >= super::DEPENDENT_MAX_AGE {
                return Err(WalletError::DependentCameOfAge(dep.full_name));
            }
            let owner = text_of(&verified.disclosed, "personal_administrative_number");
            if owner.as_deref().is_some_and(|o| o != dep.personal_id) {
                return Err(WalletError::WrongHolder {
                    expected: dep.full_name,
                    found: holder_name,
                });
            }
        } else if kind == DocumentKind::CitizenIdentity && number != account.personal_id {
            return Err(WalletError::WrongHolder {
                expected: account.full_name,
                found: holder_name,
            });
        }
        let id = {
            let digest = ring::digest::digest(&ring::digest::SHA256, mdoc);
            hex::encode(digest.as_ref().get(..8).unwrap_or_default())
        };
        // One record per document: a re-issue (same kind, number, holder) replaces the old.
        let existing = self.document_records()?;
        if existing.iter().any(|d| d.id == id) {
            return Err(WalletError::Duplicate(id));
        }
        let replaced: Vec<String> = existing
            .iter()
            .filter(|d| d.kind == kind && d.number == number && d.dependent.as_deref() == dependent)
            .map(|d| d.id.clone())
            .collect();
        let record = DocumentRecord {
            id: id.clone(),
            kind,
            dependent: dependent.map(str::to_owned),
            mdoc: mdoc.to_vec(),
            compact: compact.map(|_| qr.unwrap_or_default().to_vec()),
            holder_name,
            number,
            issuer: verified
                .issuer
                .common_name
                .clone()
                .unwrap_or_else(|| verified.issuer.subject.clone()),
            valid_from: verified.validity.valid_from,
            valid_until: verified.validity.valid_until,
            status_index: None,
            status_uri: None,
            revoked: false,
            added: now,
        };
        let record = self.with_status_reference(record, &credential);
        let bytes = to_json(&record)?;
        let mut puts: Vec<(&str, &str, &[u8])> = vec![(KIND_DOCUMENT, id.as_str(), &bytes)];
        // The identity card's expiry is the account's.
        let account_bytes;
        if kind == DocumentKind::CitizenIdentity && dependent.is_none() {
            let mut a = account;
            a.id_card_expiry = verified
                .element("expiry_date")
                .and_then(|v| match v {
                    ElementValue::FullDate(d) => Some(*d),
                    _ => None,
                })
                .or(a.id_card_expiry);
            account_bytes = to_json(&a)?;
            puts.push((KIND_ACCOUNT, ID_ACCOUNT, &account_bytes));
        }
        let deletes: Vec<(&str, &str)> = replaced
            .iter()
            .map(|r| (KIND_DOCUMENT, r.as_str()))
            .collect();
        self.store.transact_records(&puts, &deletes)?;
        Ok(self.card(&record, now))
    }

    fn with_status_reference(
        &self,
        mut r: DocumentRecord,
        credential: &Credential,
    ) -> DocumentRecord {
        if let Ok(mso) = crate::presentation::credential_mso(credential)
            && let Some(s) = mso.status
        {
            r.status_index = Some(s.index);
            r.status_uri = Some(s.uri);
        }
        r
    }

    fn check_compact(
        &self,
        bytes: &[u8],
        kind: DocumentKind,
        mdoc: &VerifiedDocument,
        device_key: &crate::keys::PublicKey,
        now: OffsetDateTime,
    ) -> Result<CompactCredential, WalletError> {
        let compact = CompactCredential::from_bytes(bytes).map_err(|e| {
            WalletError::DocumentRefused(crate::verifier::VerifyError::Structure(
                crate::mdoc::StructureError {
                    at: "compact credential".into(),
                    problem: e.to_string(),
                },
            ))
        })?;
        let verified = lock(&self.verifier)
            .verify_compact_credential(&compact, now)
            .map_err(WalletError::DocumentRefused)?;
        if verified.device_key != *device_key {
            return Err(WalletError::WrongDeviceKey);
        }
        if verified.kind != Some(kind) {
            return Err(WalletError::MismatchedForms("document type"));
        }
        if verified.validity.valid_until != mdoc.validity.valid_until {
            return Err(WalletError::MismatchedForms("validity"));
        }
        // Every element of the QR form must have the same value in the mdoc.
        for e in &verified.disclosed {
            if mdoc.element(&e.identifier) != Some(&e.value) {
                return Err(WalletError::MismatchedForms("element values"));
            }
        }
        Ok(compact)
    }

    pub(super) fn document_records(&self) -> Result<Vec<DocumentRecord>, WalletError> {
        self.store
            .list(KIND_DOCUMENT)?
            .into_iter()
            .map(|(_, b)| from_json(&b))
            .collect()
    }

    pub(super) fn document_record(&self, id: &str) -> Result<DocumentRecord, WalletError> {
        let bytes = self
            .store
            .get(KIND_DOCUMENT, id)?
            .ok_or_else(|| WalletError::NoSuchDocument(id.to_owned()))?;
        from_json(&bytes)
    }

    pub(super) fn status(r: &DocumentRecord, now: OffsetDateTime) -> DocumentStatus {
        if r.revoked {
            DocumentStatus::Revoked
        } else if now < r.valid_from {
            DocumentStatus::NotYetValid
        } else if now > r.valid_until {
            DocumentStatus::Expired
        } else {
            DocumentStatus::Valid
        }
    }

    fn card(&self, r: &DocumentRecord, now: OffsetDateTime) -> DocumentCard {
        DocumentCard {
            id: r.id.clone(),
            kind: r.kind,
            title_vi: r.kind.title_vi(),
            title_en: r.kind.title_en(),
            holder_name: r.holder_name.clone(),
            dependent: r.dependent.clone(),
            number: r.number.clone(),
            issuer: r.issuer.clone(),
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            status: Self::status(r, now),
            has_qr: r.compact.is_some(),
        }
    }

    /// The documents, as cards: the citizen's own first, then dependents', each in the
    /// catalogue's order.
    pub fn documents(&self) -> Result<Vec<DocumentCard>, WalletError> {
        let now = self.now();
        let mut records = self.document_records()?;
        records.sort_by_key(|r| {
            (
                r.dependent.clone(),
                DocumentKind::ALL.iter().position(|k| *k == r.kind),
                r.added,
            )
        });
        Ok(records.iter().map(|r| self.card(r, now)).collect())
    }

    /// One document in full: every element with its label, for the detail screen and the
    /// element picker. Reading is not disclosure; nothing is logged.
    pub fn document(&self, id: &str) -> Result<DocumentDetail, WalletError> {
        let r = self.document_record(id)?;
        let credential = Credential::from_bytes(&r.mdoc)
            .map_err(|e| WalletError::Record(format!("document {id}: {e}")))?;
        let mut elements = Vec::new();
        for (ns, item) in credential.issuer_signed.items() {
            let it = &item.item;
            let Some(spec) = r.kind.element(ns, &it.element_identifier) else {
                continue;
            };
            let selectable = crate::qr::profile::element_by_id(r.kind, spec.identifier)
                .is_some_and(|e| !e.always);
            elements.push(ElementView {
                namespace: ns.to_owned(),
                identifier: it.element_identifier.clone(),
                label_vi: spec.label_vi,
                label_en: spec.label_en,
                value: it.element_value.clone(),
                selectable,
            });
        }
        Ok(DocumentDetail {
            card: self.card(&r, self.now()),
            elements,
        })
    }

    /// Removes a document from this device.
    pub fn remove_document(&self, id: &str) -> Result<(), WalletError> {
        self.document_record(id)?;
        self.store.transact_records(&[], &[(KIND_DOCUMENT, id)])?;
        Ok(())
    }

    /// Applies a revocation status list: documents whose bit is set are marked revoked (in
    /// one transaction). Returns the ids newly marked.
    pub fn apply_status_list(&self, list: &StatusList) -> Result<Vec<String>, WalletError> {
        let mut changed: Vec<(String, Vec<u8>)> = Vec::new();
        for mut r in self.document_records()? {
            if r.revoked || r.status_uri.as_deref() != Some(list.uri.as_str()) {
                continue;
            }
            if let Some(index) = r.status_index
                && list.is_revoked(index) == Some(true)
            {
                r.revoked = true;
                changed.push((r.id.clone(), to_json(&r)?));
            }
        }
        let puts: Vec<(&str, &str, &[u8])> = changed
            .iter()
            .map(|(id, b)| (KIND_DOCUMENT, id.as_str(), b.as_slice()))
            .collect();
        self.store.transact_records(&puts, &[])?;
        Ok(changed.into_iter().map(|(id, _)| id).collect())
    }
}
