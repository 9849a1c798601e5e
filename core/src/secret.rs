//! Comparing secrets: equality of tokens, one-time codes, nonces and digests in time that does
//! not depend on where they differ (`subtle`), so a timing probe learns nothing byte by byte.

use subtle::ConstantTimeEq;

/// `a == b` without an early exit. Only the lengths may show: a length differs, the answer is
/// `false` at once.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_and_the_length_agree() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"xbc"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
    }
}
