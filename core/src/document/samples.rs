//! Synthetic sample documents of one made-up citizen, Nguyễn Văn An, used by the demo, the
//! test vectors and the tests. No real person's data.

use time::macros::date;

use super::{
    CitizenIdentity, Document, DrivingLicence, DrivingPrivilege, HealthInsuranceCard, Sex,
    VehicleRegistration,
};

/// A 48×64 grayscale JPEG standing in for an ID photo (455 bytes).
pub const PORTRAIT_JPEG: &[u8] = include_bytes!("portrait.jpg");

pub fn identity() -> CitizenIdentity {
    CitizenIdentity {
        personal_identification_number: "001090012345".into(),
        full_name: "NGUYỄN VĂN AN".into(),
        birth_date: date!(1990 - 05 - 14),
        sex: Sex::Male,
        nationality: "VN".into(),
        ethnicity: "Kinh".into(),
        place_of_origin: "Xã Hải Hậu, Tỉnh Nam Định".into(),
        place_of_residence: "Số 12 Phố Tràng Tiền, Phường Hoàn Kiếm, TP. Hà Nội".into(),
        issue_date: date!(2021 - 04 - 01),
        expiry_date: date!(2030 - 05 - 14),
        issuing_authority: "Cục Cảnh sát quản lý hành chính về trật tự xã hội".into(),
        portrait: PORTRAIT_JPEG.to_vec(),
        eid_assurance_level: 2,
    }
}

pub fn licence() -> DrivingLicence {
    DrivingLicence {
        document_number: "010123456789".into(),
        full_name: "NGUYỄN VĂN AN".into(),
        birth_date: date!(1990 - 05 - 14),
        sex: Sex::Male,
        nationality: "VN".into(),
        resident_address: "Số 12 Phố Tràng Tiền, Phường Hoàn Kiếm, TP. Hà Nội".into(),
        issue_date: date!(2025 - 03 - 01),
        expiry_date: date!(2035 - 03 - 01),
        issuing_authority: "Cục Cảnh sát giao thông".into(),
        portrait: PORTRAIT_JPEG.to_vec(),
        driving_privileges: vec![
            DrivingPrivilege {
                vehicle_category_code: "A".into(),
                issue_date: Some(date!(2010 - 07 - 20)),
                expiry_date: None,
            },
            DrivingPrivilege {
                vehicle_category_code: "B".into(),
                issue_date: Some(date!(2025 - 03 - 01)),
                expiry_date: Some(date!(2035 - 03 - 01)),
            },
        ],
    }
}

pub fn health_card() -> HealthInsuranceCard {
    HealthInsuranceCard {
        card_code: "DN4010123456789".into(),
        holder_name: "NGUYỄN VĂN AN".into(),
        birth_date: date!(1990 - 05 - 14),
        sex: Sex::Male,
        benefit_level: 4,
        registered_facility_code: "01024".into(),
        registered_facility_name: "Bệnh viện Đa khoa Xanh Pôn".into(),
        valid_from: date!(2026 - 01 - 01),
        valid_until: date!(2026 - 12 - 31),
        five_years_continuous_from: Some(date!(2028 - 01 - 01)),
    }
}

pub fn vehicle() -> VehicleRegistration {
    VehicleRegistration {
        plate_number: "30A-123.45".into(),
        owner_name: "NGUYỄN VĂN AN".into(),
        owner_address: "Số 12 Phố Tràng Tiền, Phường Hoàn Kiếm, TP. Hà Nội".into(),
        make: "HONDA".into(),
        model: "CITY".into(),
        colour: "Trắng".into(),
        vin: "RLHGM6650R0012345".into(),
        engine_number: "L15ZF1234567".into(),
        vehicle_type: "Ô tô con".into(),
        seats: 5,
        first_registration_date: date!(2024 - 06 - 10),
        issue_date: date!(2024 - 06 - 10),
        expiry_date: None,
        issuing_authority: "Phòng Cảnh sát giao thông Công an TP. Hà Nội".into(),
    }
}

/// The four documents, in the order the demo issues them.
pub fn all() -> Vec<Document> {
    vec![
        Document::CitizenIdentity(identity()),
        Document::DrivingLicence(licence()),
        Document::HealthInsurance(health_card()),
        Document::VehicleRegistration(vehicle()),
    ]
}
