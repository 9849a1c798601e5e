//! Words a screen shows: the labels of the verification checks and plain-language reasons for
//! a rejection, in Vietnamese first and English. Code, logs and errors stay in English; this
//! module is what a receptionist or a citizen reads.

use crate::verifier::{Check, VerifyError};

/// The display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn pick(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// The name of a check.
pub fn check_label(check: Check, lang: Lang) -> &'static str {
    match check {
        Check::Decoding => lang.pick("giải mã", "decoding"),
        Check::Structure => lang.pick("cấu trúc", "structure"),
        Check::CertificateChain => lang.pick("chuỗi chứng thư", "certificate chain"),
        Check::CertificateValidity => lang.pick("thời hạn chứng thư", "certificate validity"),
        Check::IssuerSignature => lang.pick("chữ ký cơ quan cấp", "issuer signature"),
        Check::ValueDigests => lang.pick("toàn vẹn dữ liệu", "data integrity"),
        Check::MsoValidity => lang.pick("thời hạn giấy tờ", "document validity"),
        Check::DeviceAuthentication => lang.pick("xác thực thiết bị", "device authentication"),
        Check::Freshness => lang.pick("thời điểm tạo mã", "freshness"),
        Check::Challenge => lang.pick("mã yêu cầu và bên kiểm tra", "request nonce and verifier"),
        Check::Revocation => lang.pick("tình trạng thu hồi", "revocation status"),
    }
}

/// The "valid" / "not valid" verdict.
pub fn verdict(valid: bool, lang: Lang) -> &'static str {
    match valid {
        true => lang.pick("Hợp lệ", "Valid"),
        false => lang.pick("Không hợp lệ", "Not valid"),
    }
}

/// Why a presentation was rejected, in plain words.
pub fn rejection_reason(error: &VerifyError, lang: Lang) -> &'static str {
    match error.code() {
        "unknown_issuer" => lang.pick(
            "Cơ quan cấp không có trong danh sách tin cậy",
            "The issuer is not in the trust list",
        ),
        "certificate_chain_invalid" | "certificate_profile" => lang.pick(
            "Chứng thư của cơ quan cấp không hợp lệ",
            "The issuer's certificate is not valid",
        ),
        "certificate_expired" => lang.pick(
            "Chứng thư của cơ quan cấp đã hết hạn",
            "The issuer's certificate has expired",
        ),
        "certificate_not_yet_valid" => lang.pick(
            "Chứng thư của cơ quan cấp chưa có hiệu lực",
            "The issuer's certificate is not yet valid",
        ),
        "issuer_signature_invalid" | "mso_malformed" | "doc_type_mismatch" => lang.pick(
            "Chữ ký của cơ quan cấp không đúng — dữ liệu có thể đã bị sửa",
            "The issuer's signature is wrong — the data may have been altered",
        ),
        "digest_mismatch"
        | "digest_missing"
        | "duplicate_digest_id"
        | "duplicate_element"
        | "salt_too_short" => lang.pick("Dữ liệu đã bị sửa đổi", "The data has been tampered with"),
        "mso_expired" => lang.pick("Giấy tờ đã hết hạn", "The document has expired"),
        "mso_not_yet_valid" => {
            lang.pick("Giấy tờ chưa có hiệu lực", "The document is not yet valid")
        }
        "mso_signed_outside_certificate" => lang.pick(
            "Giấy tờ được ký ngoài thời hạn chứng thư của cơ quan cấp",
            "The document was signed outside the issuer certificate's validity",
        ),
        "device_signature_invalid" | "device_mac_invalid" => lang.pick(
            "Không xác thực được điện thoại của công dân (sai phiên hoặc sai chữ ký)",
            "The citizen's phone could not be authenticated (wrong session or signature)",
        ),
        "device_mac_unverifiable" => lang.pick(
            "Không kiểm tra được điện thoại của công dân: cần khóa phiên của đầu đọc",
            "The citizen's phone cannot be checked: the reader's session key is needed",
        ),
        "disclosure_not_in_credential" | "duplicate_disclosure" => {
            lang.pick("Dữ liệu đã bị sửa đổi", "The data has been tampered with")
        }
        "credential_expired" => lang.pick("Giấy tờ đã hết hạn", "The document has expired"),
        "credential_not_yet_valid" => {
            lang.pick("Giấy tờ chưa có hiệu lực", "The document is not yet valid")
        }
        "key_binding_invalid" => lang.pick(
            "Mã QR không do điện thoại của chủ giấy tờ tạo ra",
            "The QR code was not made by the holder's phone",
        ),
        "too_old" => lang.pick(
            "Mã QR đã quá cũ — đề nghị công dân mở mã mới trên điện thoại",
            "The QR code is too old — ask for a fresh code from the phone",
        ),
        "from_the_future" => lang.pick(
            "Thời gian của mã QR không hợp lệ (đồng hồ điện thoại sai?)",
            "The QR code is dated in the future (is the phone's clock wrong?)",
        ),
        "wrong_nonce" => lang.pick(
            "Mã QR không trả lời yêu cầu này (sai mã yêu cầu)",
            "The QR code does not answer this request (wrong nonce)",
        ),
        "wrong_document" => lang.pick(
            "Mã QR trình một giấy tờ khác với giấy tờ được yêu cầu",
            "The QR code shows another document than the one requested",
        ),
        "wrong_audience" => lang.pick(
            "Mã QR dành cho nơi kiểm tra khác",
            "The QR code is meant for another verifier",
        ),
        "wrong_prefix" | "unsupported_version" | "not_base45" | "non_canonical" => lang.pick(
            "Đây không phải mã QR giấy tờ cancuoc hợp lệ",
            "This is not a valid cancuoc document QR code",
        ),
        "revoked" => lang.pick("Giấy tờ đã bị thu hồi", "The document has been revoked"),
        "status_unknown" => lang.pick(
            "Không xác định được tình trạng thu hồi của giấy tờ",
            "The document's revocation status is unknown",
        ),
        _ => lang.pick(
            "Dữ liệu không đọc được hoặc bị hỏng",
            "The data cannot be read or is damaged",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_words_in_both_languages() {
        let errors = [
            VerifyError::Revoked { index: 1 },
            VerifyError::MsoExpired {
                valid_until: String::new(),
            },
            VerifyError::NoDocuments,
        ];
        for e in errors {
            assert_ne!(
                rejection_reason(&e, Lang::Vi),
                rejection_reason(&e, Lang::En)
            );
        }
        assert_eq!(verdict(true, Lang::Vi), "Hợp lệ");
        assert_eq!(verdict(false, Lang::Vi), "Không hợp lệ");
    }
}
