//! What a keyboard-wedge barcode scanner does to QR text, undone: a trailing Enter or Tab,
//! stray whitespace around the text, and the whole text typed with inverted case because
//! CapsLock was on. Applied to the scanner channel (and to API calls that ask for it), never
//! silently to the API: an HIS posting exact text gets the core's exact verdict.

use crate::chip_card;

/// A correction made to scanned text; reported with the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fix {
    /// Whitespace or control characters (Enter, Tab) removed around the text.
    Trimmed,
    /// The case of every letter inverted back (CapsLock was on while the scanner typed).
    CapsLock,
    /// Trailing spaces removed (tried only when the text with them did not decode).
    TrailingSpaces,
}

/// Scanned text after the scanner's quirks are undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub text: String,
    pub fixes: Vec<Fix>,
}

impl Scanned {
    /// The same text without trailing spaces, when it has any: a presentation's Base45 may end
    /// in a space, so this is a second try, not the first.
    pub fn without_trailing_spaces(&self) -> Option<Scanned> {
        let t = self.text.trim_end_matches(' ');
        (t.len() != self.text.len() && !t.is_empty()).then(|| {
            let mut fixes = self.fixes.clone();
            fixes.push(Fix::TrailingSpaces);
            Scanned {
                text: t.to_owned(),
                fixes,
            }
        })
    }
}

/// Leaves text as it came (the API without `normalize`).
pub fn exact(text: &str) -> Scanned {
    Scanned {
        text: text.to_owned(),
        fixes: Vec::new(),
    }
}

/// Undoes the scanner's quirks.
pub fn normalize(raw: &str) -> Scanned {
    let mut fixes = Vec::new();
    // Leading whitespace never belongs to a QR text (both kinds start with a letter or digit);
    // trailing control characters (Enter, Tab) never do either. Trailing spaces might.
    let text = raw
        .trim_start()
        .trim_end_matches(|c: char| c.is_whitespace() && c != ' ');
    if text.len() != raw.len() {
        fixes.push(Fix::Trimmed);
    }
    let mut text = text.to_owned();
    if caps_lock_presentation(&text) {
        text = text.to_ascii_uppercase();
        fixes.push(Fix::CapsLock);
    } else if caps_lock_card(&text) {
        text = swap_case(&text);
        fixes.push(Fix::CapsLock);
    }
    Scanned { text, fixes }
}

/// `cc1:` and no upper-case letter anywhere: the presentation typed with CapsLock on. Base45
/// has no lower-case letters, so upper-casing it loses nothing.
fn caps_lock_presentation(text: &str) -> bool {
    text.starts_with("cc1:") && !text.bytes().any(|b| b.is_ascii_uppercase())
}

/// The card QR's sex field reads `nAM` or `nỮ`: every letter was typed with inverted case.
fn caps_lock_card(text: &str) -> bool {
    chip_card::looks_like_card(text)
        && text
            .split('|')
            .nth(4)
            .is_some_and(|s| matches!(s.trim(), "nAM" | "nỮ" | "nU\u{31b}\u{303}"))
}

fn swap_case(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let swapped: Vec<char> = if c.is_uppercase() {
                c.to_lowercase().collect()
            } else if c.is_lowercase() {
                c.to_uppercase().collect()
            } else {
                vec![c]
            };
            swapped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_enter_tab_and_leading_space() {
        let s = normalize("  CC1:ABC\r\n");
        assert_eq!(s.text, "CC1:ABC");
        assert_eq!(s.fixes, vec![Fix::Trimmed]);
        assert_eq!(normalize("CC1:ABC\t").text, "CC1:ABC");
        assert_eq!(normalize("CC1:ABC").fixes, vec![]);
    }

    #[test]
    fn keeps_a_trailing_space_for_a_second_try() {
        let s = normalize("CC1:AB \n");
        assert_eq!(s.text, "CC1:AB ");
        let t = s.without_trailing_spaces().unwrap();
        assert_eq!(t.text, "CC1:AB");
        assert_eq!(t.fixes, vec![Fix::Trimmed, Fix::TrailingSpaces]);
        assert_eq!(normalize("CC1:AB").without_trailing_spaces(), None);
    }

    #[test]
    fn undoes_caps_lock() {
        let s = normalize("cc1:-wgma0erko 4b73l\n");
        assert_eq!(s.text, "CC1:-WGMA0ERKO 4B73L");
        assert_eq!(s.fixes, vec![Fix::Trimmed, Fix::CapsLock]);
        // Mixed case is not CapsLock: left for the verifier to refuse.
        assert_eq!(normalize("cc1:aBc").text, "cc1:aBc");
        let card = normalize("001090012345||nGUYỄN vĂN aN|14051990|nAM|hÀ nỘI|01042021");
        assert_eq!(
            card.text,
            "001090012345||Nguyễn Văn An|14051990|Nam|Hà Nội|01042021"
        );
        assert_eq!(card.fixes, vec![Fix::CapsLock]);
        let card = normalize("001190012345||tRẦN tHỊ bÌNH|14051990|nỮ|hÀ nỘI|01042021");
        assert!(card.text.contains("|Nữ|"));
        // A card typed correctly is left alone.
        let ok = "001090012345||Nguyễn Văn An|14051990|Nam|Hà Nội|01042021";
        assert_eq!(normalize(ok).text, ok);
    }
}
