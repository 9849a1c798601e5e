//! The seed file: the synthetic population register (each citizen's identity-card data), the
//! sector records (driving licences, health insurance cards, vehicle registrations) and the
//! officers' credentials (only a SHA-256 of each token). [`load`] checks every record with the
//! core's document rules and writes it into the store; [`generate`] makes the shipped
//! `seed/citizens.json` deterministically (and larger ones for the load generator).

use std::collections::HashSet;

use cancuoc_core::document::{
    CitizenIdentity, Document, DocumentKind, DrivingLicence, DrivingPrivilege, HealthInsuranceCard,
    Sex, VehicleRegistration, samples,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::store::{self, Store, StoreError, Val};

/// The demo officer's token (documented in docs/identity-service.md; the seed file holds only
/// its SHA-256).
pub const DEMO_OFFICER_TOKEN: &str = "cancuoc-demo-officer-2026";

/// Why a seed file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read the seed file: {0}")]
    Read(String),
    #[error("the seed file is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error("citizen {citizen}: {what}")]
    Invalid { citizen: String, what: String },
    #[error("officer {0}: token_sha256 must be 64 hex digits")]
    Officer(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An officer who may upgrade, lock and unlock accounts, revoke documents and register
/// relying parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub name: String,
    /// SHA-256 of the bearer token, hex.
    pub token_sha256: String,
}

/// One citizen: the population register's entry and the sector records held about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citizen {
    pub identity: CitizenIdentity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driving_licence: Option<DrivingLicence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_insurance: Option<HealthInsuranceCard>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicles: Vec<VehicleRegistration>,
}

impl Citizen {
    pub fn personal_id(&self) -> &str {
        &self.identity.personal_identification_number
    }

    /// The sector records as (record id, document), in a stable order.
    pub fn records(&self) -> Vec<(String, Document)> {
        let pid = self.personal_id();
        let mut out = Vec::new();
        if let Some(d) = &self.driving_licence {
            out.push((format!("{pid}-dl"), Document::DrivingLicence(d.clone())));
        }
        if let Some(h) = &self.health_insurance {
            out.push((format!("{pid}-bhyt"), Document::HealthInsurance(h.clone())));
        }
        for (i, v) in self.vehicles.iter().enumerate() {
            out.push((
                format!("{pid}-vr{}", i + 1),
                Document::VehicleRegistration(v.clone()),
            ));
        }
        out
    }
}

/// The whole seed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    #[serde(default)]
    pub description: String,
    pub officers: Vec<Officer>,
    pub citizens: Vec<Citizen>,
}

impl Seed {
    pub fn from_json(text: &str) -> Result<Self, SeedError> {
        let seed: Self = serde_json::from_str(text).map_err(|e| SeedError::Json(e.to_string()))?;
        seed.check()?;
        Ok(seed)
    }

    pub fn read(path: &std::path::Path) -> Result<Self, SeedError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SeedError::Read(format!("{}: {e}", path.display())))?;
        Self::from_json(&text)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Every record valid by the core's rules, held by the citizen it is filed under;
    /// personal ids unique; officer hashes well-formed.
    pub fn check(&self) -> Result<(), SeedError> {
        let mut seen = HashSet::new();
        for c in &self.citizens {
            let pid = c.personal_id();
            let invalid = |what: String| SeedError::Invalid {
                citizen: cancuoc_core::mask::pin(pid),
                what,
            };
            if !seen.insert(pid.to_owned()) {
                return Err(invalid("listed twice".into()));
            }
            Document::CitizenIdentity(c.identity.clone())
                .validate()
                .map_err(|e| invalid(format!("identity: {e}")))?;
            for (id, doc) in c.records() {
                doc.validate().map_err(|e| invalid(format!("{id}: {e}")))?;
                let birth = match &doc {
                    Document::DrivingLicence(d) => Some(d.birth_date),
                    Document::HealthInsurance(h) => Some(h.birth_date),
                    _ => None,
                };
                if birth.is_some_and(|b| b != c.identity.birth_date) {
                    return Err(invalid(format!(
                        "{id}: another birth date than the register"
                    )));
                }
            }
        }
        for o in &self.officers {
            if o.token_sha256.len() != 64 || hex::decode(&o.token_sha256).is_err() {
                return Err(SeedError::Officer(o.name.clone()));
            }
        }
        Ok(())
    }
}

/// Writes the seed into the store (replacing what an earlier start wrote for the same ids),
/// in one transaction.
pub fn load(store: &dyn Store, seed: &Seed) -> Result<(), SeedError> {
    seed.check()?;
    store::transact(store, |tx| {
        for o in &seed.officers {
            let hash =
                hex::decode(&o.token_sha256).map_err(|_| SeedError::Officer(o.name.clone()))?;
            tx.execute(
                "INSERT INTO officers (token_hash, name) VALUES (?1, ?2) \
                 ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name",
                &[Val::Blob(hash), Val::from(&o.name)],
            )?;
        }
        for c in &seed.citizens {
            let json =
                serde_json::to_string(&c.identity).map_err(|e| SeedError::Json(e.to_string()))?;
            tx.execute(
                "INSERT INTO citizens (personal_id, identity_json) VALUES (?1, ?2) \
                 ON CONFLICT (personal_id) DO UPDATE SET identity_json = excluded.identity_json",
                &[Val::from(c.personal_id()), Val::Text(json)],
            )?;
            for (id, doc) in c.records() {
                let json =
                    serde_json::to_string(&doc).map_err(|e| SeedError::Json(e.to_string()))?;
                tx.execute(
                    "INSERT INTO records (record_id, personal_id, kind, record_json) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (record_id) DO UPDATE \
                     SET kind = excluded.kind, record_json = excluded.record_json",
                    &[
                        Val::Text(id),
                        Val::from(c.personal_id()),
                        Val::from(kind_name(doc.kind())),
                        Val::Text(json),
                    ],
                )?;
            }
        }
        Ok(())
    })
}

/// The wire name of a document kind (`citizen_identity`, …).
pub fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CitizenIdentity => "citizen_identity",
        DocumentKind::DrivingLicence => "driving_licence",
        DocumentKind::HealthInsurance => "health_insurance",
        DocumentKind::VehicleRegistration => "vehicle_registration",
    }
}

/// The kind with this wire name.
pub fn kind_of(name: &str) -> Option<DocumentKind> {
    DocumentKind::ALL
        .into_iter()
        .find(|k| kind_name(*k) == name)
}

// ---- generation -------------------------------------------------------------------------

/// The seed the repository ships: 24 citizens, the demo citizen first.
pub const SHIPPED_CITIZENS: usize = 24;
/// The generator's fixed random seed.
pub const SHIPPED_RANDOM_SEED: u64 = 5922;

const FAMILY: &[&str] = &[
    "NGUYỄN", "TRẦN", "LÊ", "PHẠM", "HOÀNG", "HUỲNH", "PHAN", "VŨ", "VÕ", "ĐẶNG", "BÙI", "ĐỖ",
    "HỒ", "NGÔ", "DƯƠNG", "LÝ",
];
const MIDDLE_M: &[&str] = &["VĂN", "ĐỨC", "MINH", "QUANG", "HỮU", "CÔNG", "THÀNH"];
const MIDDLE_F: &[&str] = &["THỊ", "NGỌC", "THU", "MINH", "THANH", "KIM", "BẢO"];
const GIVEN_M: &[&str] = &[
    "AN", "BÌNH", "CƯỜNG", "DŨNG", "HÙNG", "KHOA", "LONG", "NAM", "PHONG", "QUÂN", "SƠN", "TUẤN",
];
const GIVEN_F: &[&str] = &[
    "ANH", "CHI", "HÀ", "HẠNH", "HOA", "HƯƠNG", "LAN", "LINH", "MAI", "NGA", "THẢO", "VY",
];
/// (3-digit province code, name for addresses, plate locality code, hospital).
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("001", "TP. Hà Nội", "30", "Bệnh viện Bạch Mai"),
    ("079", "TP. Hồ Chí Minh", "51", "Bệnh viện Chợ Rẫy"),
    ("031", "TP. Hải Phòng", "15", "Bệnh viện Việt Tiệp"),
    ("048", "TP. Đà Nẵng", "43", "Bệnh viện Đà Nẵng"),
    (
        "092",
        "TP. Cần Thơ",
        "65",
        "Bệnh viện Đa khoa Trung ương Cần Thơ",
    ),
    (
        "036",
        "Tỉnh Nam Định",
        "18",
        "Bệnh viện Đa khoa tỉnh Nam Định",
    ),
    (
        "040",
        "Tỉnh Nghệ An",
        "37",
        "Bệnh viện Hữu nghị Đa khoa Nghệ An",
    ),
    (
        "038",
        "Tỉnh Thanh Hóa",
        "36",
        "Bệnh viện Đa khoa tỉnh Thanh Hóa",
    ),
    (
        "046",
        "Tỉnh Thừa Thiên Huế",
        "75",
        "Bệnh viện Trung ương Huế",
    ),
    (
        "056",
        "Tỉnh Khánh Hòa",
        "79",
        "Bệnh viện Đa khoa tỉnh Khánh Hòa",
    ),
    ("075", "Tỉnh Đồng Nai", "60", "Bệnh viện Đa khoa Đồng Nai"),
    ("022", "Tỉnh Quảng Ninh", "14", "Bệnh viện Bãi Cháy"),
];
const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Phan Chu Trinh",
    "Điện Biên Phủ",
];
const ETHNICITIES: &[&str] = &[
    "Kinh", "Kinh", "Kinh", "Kinh", "Tày", "Thái", "Mường", "Hoa",
];
const BHYT_GROUPS: &[(&str, u8)] = &[
    ("DN", 4),
    ("HC", 4),
    ("GD", 3),
    ("HT", 1),
    ("XK", 2),
    ("NO", 4),
];
const VEHICLES: &[(&str, &str, &str, &str, u8)] = &[
    ("HONDA", "CITY", "Ô tô con", "RLHGM", 5),
    ("TOYOTA", "VIOS", "Ô tô con", "RL4BT", 5),
    ("HYUNDAI", "ACCENT", "Ô tô con", "RLUBC", 5),
    ("KIA", "MORNING", "Ô tô con", "RNYTA", 5),
    ("VINFAST", "VF 8", "Ô tô con", "RLLVF", 5),
    ("FORD", "RANGER", "Ô tô tải (pickup)", "RL0UM", 5),
];
const COLOURS: &[&str] = &["Trắng", "Đen", "Bạc", "Đỏ", "Xanh"];
/// VIN characters (0–9, A–Z without I, O, Q).
const VIN_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

fn pick<T: Copy + Default>(rng: &mut ChaCha20Rng, items: &[T]) -> T {
    let n = u32::try_from(items.len()).unwrap_or(1).max(1);
    let i = usize::try_from(rng.next_u32() % n).unwrap_or(0);
    items.get(i).copied().unwrap_or_default()
}

fn below(rng: &mut ChaCha20Rng, n: u32) -> u32 {
    rng.next_u32() % n.max(1)
}

fn day(year: i32, month: u8, d: u8) -> Date {
    let month = Month::try_from(month).unwrap_or(Month::January);
    Date::from_calendar_date(year, month, d.min(28)).unwrap_or(Date::MIN)
}

fn digits(rng: &mut ChaCha20Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + u8::try_from(below(rng, 10)).unwrap_or(0)))
        .collect()
}

fn percent(rng: &mut ChaCha20Rng) -> u32 {
    below(rng, 100)
}

/// A synthetic citizen number `i` (1-based; 0 is the demo citizen).
fn citizen(rng: &mut ChaCha20Rng, used: &mut HashSet<String>) -> Citizen {
    let sex = if rng.next_u32().is_multiple_of(2) {
        Sex::Male
    } else {
        Sex::Female
    };
    let (province, place, plate_code, hospital) = pick(rng, PLACES);
    let year = 1950 + i32::try_from(below(rng, 58)).unwrap_or(0);
    let birth = day(
        year,
        u8::try_from(1 + below(rng, 12)).unwrap_or(1),
        u8::try_from(1 + below(rng, 28)).unwrap_or(1),
    );
    let century_digit =
        u8::try_from((year / 100 - 19) * 2).unwrap_or(0) + if sex == Sex::Female { 1 } else { 0 };
    let pid = loop {
        let candidate = format!(
            "{province}{}{:02}{}",
            century_digit,
            year.rem_euclid(100),
            digits(rng, 6)
        );
        if used.insert(candidate.clone()) {
            break candidate;
        }
    };
    let (middle, given) = if sex == Sex::Male {
        (pick(rng, MIDDLE_M), pick(rng, GIVEN_M))
    } else {
        (pick(rng, MIDDLE_F), pick(rng, GIVEN_F))
    };
    let full_name = format!("{} {} {}", pick(rng, FAMILY), middle, given);
    let address = format!(
        "Số {} Đường {}, {}",
        1 + below(rng, 300),
        pick(rng, STREETS),
        place
    );
    let issue = day(
        2021 + i32::try_from(below(rng, 4)).unwrap_or(0),
        u8::try_from(1 + below(rng, 12)).unwrap_or(1),
        u8::try_from(1 + below(rng, 28)).unwrap_or(1),
    );
    let identity = CitizenIdentity {
        personal_identification_number: pid.clone(),
        full_name: full_name.clone(),
        birth_date: birth,
        sex,
        nationality: "VN".into(),
        ethnicity: pick(rng, ETHNICITIES).to_owned(),
        place_of_origin: pick(rng, PLACES).1.to_owned(),
        place_of_residence: address.clone(),
        issue_date: issue,
        expiry_date: day(issue.year() + 15, u8::from(issue.month()), issue.day()),
        issuing_authority: "Cục Cảnh sát quản lý hành chính về trật tự xã hội".into(),
        portrait: samples::PORTRAIT_JPEG.to_vec(),
        eid_assurance_level: 1,
    };
    let adult = year <= 2007;
    // Issued 2018–2025 and valid 10 years: every licence is in force in 2026–2027.
    let driving_licence = (adult && percent(rng) < 70).then(|| {
        let issued = day(
            2018 + i32::try_from(below(rng, 8)).unwrap_or(0),
            u8::try_from(1 + below(rng, 12)).unwrap_or(1),
            u8::try_from(1 + below(rng, 28)).unwrap_or(1),
        );
        let mut privileges = vec![DrivingPrivilege {
            vehicle_category_code: "A1".into(),
            issue_date: Some(issued),
            expiry_date: None,
        }];
        if percent(rng) < 60 {
            privileges.push(DrivingPrivilege {
                vehicle_category_code: pick(rng, &["B", "B2", "C"]).to_owned(),
                issue_date: Some(issued),
                expiry_date: Some(day(
                    issued.year() + 10,
                    u8::from(issued.month()),
                    issued.day(),
                )),
            });
        }
        DrivingLicence {
            document_number: format!("{}{}", province.get(1..).unwrap_or("01"), digits(rng, 10)),
            full_name: full_name.clone(),
            birth_date: birth,
            sex,
            nationality: "VN".into(),
            resident_address: address.clone(),
            issue_date: issued,
            expiry_date: day(issued.year() + 10, u8::from(issued.month()), issued.day()),
            issuing_authority: "Cục Cảnh sát giao thông".into(),
            portrait: samples::PORTRAIT_JPEG.to_vec(),
            driving_privileges: privileges,
        }
    });
    let health_insurance = (percent(rng) < 80).then(|| {
        let (group, level) = pick(rng, BHYT_GROUPS);
        let p2 = province.get(1..).unwrap_or("01");
        HealthInsuranceCard {
            card_code: format!("{group}{level}{p2}{}", digits(rng, 10)),
            holder_name: full_name.clone(),
            birth_date: birth,
            sex,
            benefit_level: level,
            registered_facility_code: format!("{p2}{}", digits(rng, 3)),
            registered_facility_name: hospital.to_owned(),
            valid_from: day(2026, 1, 1),
            valid_until: day(2027, 12, 28),
            five_years_continuous_from: None,
        }
    });
    let vehicle_count = match (adult, percent(rng)) {
        (false, _) => 0,
        (true, 0..=9) => 2,
        (true, 10..=54) => 1,
        _ => 0,
    };
    let vehicles = (0..vehicle_count)
        .map(|_| {
            let (make, model, vtype, wmi, seats) = pick(rng, VEHICLES);
            let mut vin = wmi.to_owned();
            for _ in 0..3 {
                vin.push(char::from(pick(rng, VIN_CHARS)));
            }
            vin.push('0'); // the 9th (check digit) — not required outside North America
            vin.push(char::from(pick(rng, b"LMNPRS"))); // model year 2020–2025
            vin.push(char::from(pick(rng, b"0123ABC")));
            vin.push_str(&digits(rng, 6));
            let registered = day(
                2020 + i32::try_from(below(rng, 6)).unwrap_or(0),
                u8::try_from(1 + below(rng, 12)).unwrap_or(1),
                u8::try_from(1 + below(rng, 28)).unwrap_or(1),
            );
            VehicleRegistration {
                plate_number: format!(
                    "{plate_code}{}-{}.{}",
                    char::from(pick(rng, b"ABCDEFGHK")),
                    digits(rng, 3),
                    digits(rng, 2)
                ),
                owner_name: full_name.clone(),
                owner_address: address.clone(),
                make: make.into(),
                model: model.into(),
                colour: pick(rng, COLOURS).to_owned(),
                vin,
                engine_number: format!(
                    "{}{}",
                    pick(rng, &["L15Z", "2NR", "G4LC", "M15A"]),
                    digits(rng, 7)
                ),
                vehicle_type: vtype.into(),
                seats,
                first_registration_date: registered,
                issue_date: registered,
                expiry_date: None,
                issuing_authority: format!("Phòng Cảnh sát giao thông Công an {place}"),
            }
        })
        .collect();
    Citizen {
        identity,
        driving_licence,
        health_insurance,
        vehicles,
    }
}

/// The demo citizen of `cancuoc_core::document::samples` with all four records.
pub fn demo_citizen() -> Citizen {
    let mut identity = samples::identity();
    identity.eid_assurance_level = 1;
    Citizen {
        identity,
        driving_licence: Some(samples::licence()),
        health_insurance: Some(samples::health_card()),
        vehicles: vec![samples::vehicle()],
    }
}

/// SHA-256 of a token, hex.
pub fn token_sha256(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// A deterministic seed of `count` citizens (the demo citizen first) and the demo officer.
pub fn generate(count: usize, random_seed: u64) -> Seed {
    let mut rng = ChaCha20Rng::seed_from_u64(random_seed);
    let demo = demo_citizen();
    let mut used = HashSet::from([demo.personal_id().to_owned()]);
    let mut citizens = vec![demo];
    while citizens.len() < count {
        citizens.push(citizen(&mut rng, &mut used));
    }
    Seed {
        description:
            "Synthetic citizens for the cancuoc identity service: the population register \
                      (identity-card data) and sector records (driving licences, health insurance \
                      cards, vehicle registrations). No real person's data. Generated by \
                      `cargo run -p cancuoc-identity --example make_seed`."
                .into(),
        officers: vec![Officer {
            name: "Cán bộ tiếp dân (demo)".into(),
            token_sha256: token_sha256(DEMO_OFFICER_TOKEN),
        }],
        citizens,
    }
}

/// The seed the repository ships.
pub fn shipped() -> Seed {
    generate(SHIPPED_CITIZENS, SHIPPED_RANDOM_SEED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_generated_seed_is_valid_and_unique() {
        let seed = generate(2000, 1);
        seed.check().unwrap();
        assert_eq!(seed.citizens.len(), 2000);
        assert!(seed.citizens.iter().any(|c| c.vehicles.len() == 2));
        assert!(seed.citizens.iter().any(|c| c.driving_licence.is_none()));
        assert!(seed.citizens.iter().any(|c| c.identity.sex == Sex::Female));
        assert!(
            seed.citizens
                .iter()
                .any(|c| c.identity.birth_date.year() >= 2000)
        );
    }

    #[test]
    fn the_shipped_seed_file_is_the_generator_output() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/citizens.json");
        let expected = shipped().to_json();
        if std::env::var_os("CANCUOC_WRITE_SEED").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let found = std::fs::read_to_string(&path).unwrap();
        assert!(
            found == expected,
            "seed/citizens.json is stale: CANCUOC_WRITE_SEED=1 cargo test -p cancuoc-identity --lib seed"
        );
        let seed = Seed::from_json(&found).unwrap();
        let demo = &seed.citizens[0];
        assert_eq!(demo.personal_id(), "001090012345");
        assert_eq!(demo.identity.full_name, "NGUYỄN VĂN AN");
        assert_eq!(demo.records().len(), 3);
        assert!(seed.citizens.len() >= 20);
    }
}
