//! Base45 (RFC 9285): bytes as text in the 45-character QR alphanumeric alphabet, so a QR code
//! uses alphanumeric mode (5.5 bits a character) and a keyboard-wedge scanner types it into
//! any text field. Decoding is strict: any character outside the alphabet, a dangling single
//! character, or a group whose value exceeds what its bytes can hold is refused.

/// The alphabet, value 0 to 44.
pub const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why text is not Base45.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Base45Error {
    #[error("character {character:?} at position {position} is not in the Base45 alphabet")]
    BadCharacter { position: usize, character: char },
    #[error(
        "a single character cannot end Base45 text (length {0} leaves remainder 1 when divided by 3)"
    )]
    BadLength(usize),
    #[error("the group at position {0} encodes a value too large for its bytes")]
    Overflow(usize),
}

fn value(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

fn char_of(v: u32) -> char {
    usize::try_from(v)
        .ok()
        .and_then(|i| ALPHABET.get(i))
        .map_or('0', |&b| char::from(b))
}

/// Encodes bytes: each pair as three characters (least significant first), a last single byte
/// as two.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    for chunk in bytes.chunks(2) {
        match *chunk {
            [a, b] => {
                let n = u32::from(a) * 256 + u32::from(b);
                out.push(char_of(n % 45));
                out.push(char_of(n / 45 % 45));
                out.push(char_of(n / 2025));
            }
            [a] => {
                let n = u32::from(a);
                out.push(char_of(n % 45));
                out.push(char_of(n / 45));
            }
            _ => {}
        }
    }
    out
}

/// Decodes Base45 text strictly.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let raw = text.as_bytes();
    if raw.len() % 3 == 1 {
        return Err(Base45Error::BadLength(raw.len()));
    }
    let mut out = Vec::with_capacity(raw.len() / 3 * 2 + 1);
    for (g, group) in raw.chunks(3).enumerate() {
        let pos = g * 3;
        let mut n = 0u32;
        let mut weight = 1u32;
        for (i, &c) in group.iter().enumerate() {
            let v = value(c).ok_or_else(|| Base45Error::BadCharacter {
                position: pos + i,
                character: text
                    .get(pos + i..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{fffd}'),
            })?;
            n += v * weight;
            weight *= 45;
        }
        if group.len() == 3 {
            if n > 0xFFFF {
                return Err(Base45Error::Overflow(pos));
            }
            out.extend_from_slice(&[(n >> 8) as u8, (n & 0xFF) as u8]);
        } else {
            if n > 0xFF {
                return Err(Base45Error::Overflow(pos));
            }
            out.push(n as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9285_examples() {
        for (bytes, text) in [
            (&b"AB"[..], "BB8"),
            (b"Hello!!", "%69 VD92EX0"),
            (b"base-45", "UJCLQE7W581"),
            (b"ietf!", "QED8WEX0"),
            (b"", ""),
        ] {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).unwrap(), bytes);
        }
    }

    #[test]
    fn strict_decoding() {
        assert_eq!(decode("GGW"), Err(Base45Error::Overflow(0))); // 65536+: the RFC's invalid example
        assert_eq!(decode("B"), Err(Base45Error::BadLength(1)));
        assert_eq!(decode("BB8a"), Err(Base45Error::BadLength(4)));
        assert_eq!(
            decode("bb8"),
            Err(Base45Error::BadCharacter {
                position: 0,
                character: 'b'
            })
        );
        assert_eq!(
            decode("BBễ"),
            Err(Base45Error::BadCharacter {
                position: 2,
                character: 'ễ'
            })
        );
        assert_eq!(decode("::"), Err(Base45Error::Overflow(0))); // 44 + 44*45 > 255
    }

    #[test]
    fn every_byte_pair_round_trips() {
        for a in 0..=255u8 {
            for b in (0..=255u8).step_by(7) {
                assert_eq!(decode(&encode(&[a, b])).unwrap(), vec![a, b]);
            }
            assert_eq!(decode(&encode(&[a])).unwrap(), vec![a]);
        }
    }
}
