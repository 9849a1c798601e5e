//! The chip ID card's printed QR (cancuoc-station) and the scanner-quirk fixes. Invariants: a
//! card that parses has a 12-digit number, was issued on or after the birth date and not after
//! today, and is answered as unverified; every refusal has a code and words in both languages;
//! undoing the scanner's quirks twice changes nothing the second time.
#![no_main]

use cancuoc_station::{chip_card, scan, verdict};
use libfuzzer_sys::fuzz_target;
use time::{Date, Month};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(today) = Date::from_calendar_date(2026, Month::November, 23) else {
        return;
    };
    match chip_card::parse(text, today) {
        Ok(c) => {
            assert!(
                c.personal_number.len() == 12
                    && c.personal_number.bytes().all(|b| b.is_ascii_digit())
            );
            assert!(c.birth_date <= c.issue_date && c.issue_date <= today);
            let v = verdict::card(&c);
            assert_eq!(
                v.get("verified"),
                Some(&serde_json::Value::Bool(false)),
                "a card is never verified"
            );
        }
        Err(e) => {
            assert!(e.code().starts_with("card_"));
            assert!(!e.reason(true).is_empty() && !e.reason(false).is_empty());
            let _ = verdict::card_invalid(&e);
        }
    }
    let once = scan::normalize(text);
    assert_eq!(
        scan::normalize(&once.text).text,
        once.text,
        "normalize is idempotent"
    );
});
