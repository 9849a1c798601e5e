//! Masking of personal numbers for logs and `Debug` output: only the last four characters
//! of an identification number are ever shown ("********2345").

/// Masks all but the last four characters.
pub fn pin(value: &str) -> String {
    let n = value.chars().count();
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_only_the_last_four() {
        assert_eq!(super::pin("001090012345"), "********2345");
        assert_eq!(super::pin("123"), "123");
    }
}
