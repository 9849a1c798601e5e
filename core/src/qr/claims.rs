//! A strict CBOR reader and writer for the SD-CWT claims set. It exists because the claims
//! carry `simple(59)` as a map key (the redacted-claims marker), which the general CBOR value
//! type does not represent. Strict means: definite lengths only, shortest-form integers and
//! lengths, no duplicate map keys, bounded depth and size, nothing trailing — so every claims
//! set has exactly one encoding, and a changed byte cannot decode to the same claims.

/// A CBOR data item of the claims set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Integers from -2^64 to 2^64-1.
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Item>),
    Map(Vec<(Item, Item)>),
    Tag(u64, Box<Item>),
    Bool(bool),
    Null,
    /// A simple value other than false/true/null/undefined (e.g. 59, the redacted-keys marker).
    Simple(u8),
}

/// Why bytes are not a strict claims set.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StrictCborError {
    #[error("input ends early at byte {0}")]
    Truncated(usize),
    #[error("indefinite length at byte {0}")]
    Indefinite(usize),
    #[error("non-shortest encoding at byte {0}")]
    NotShortest(usize),
    #[error("unsupported item (float, undefined or reserved) at byte {0}")]
    Unsupported(usize),
    #[error("text is not UTF-8 at byte {0}")]
    BadText(usize),
    #[error("duplicate map key at byte {0}")]
    DuplicateKey(usize),
    #[error("nesting deeper than {0}")]
    TooDeep(usize),
    #[error("{0} bytes follow the item")]
    Trailing(usize),
}

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 12;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, StrictCborError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(StrictCborError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], StrictCborError> {
        let n = usize::try_from(n).map_err(|_| StrictCborError::Truncated(self.pos))?;
        let end = self
            .pos
            .checked_add(n)
            .ok_or(StrictCborError::Truncated(self.pos))?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(StrictCborError::Truncated(self.pos))?;
        self.pos = end;
        Ok(s)
    }

    /// The argument of a head, refusing non-shortest forms.
    fn argument(&mut self, info: u8, at: usize) -> Result<u64, StrictCborError> {
        let (n, min) = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => (u64::from(self.byte()?), 24),
            25 => (
                u64::from(u16::from_be_bytes([self.byte()?, self.byte()?])),
                0x100,
            ),
            26 => {
                let mut a = [0u8; 4];
                a.copy_from_slice(self.take(4)?);
                (u64::from(u32::from_be_bytes(a)), 0x1_0000)
            }
            27 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                (u64::from_be_bytes(a), 0x1_0000_0000)
            }
            31 => return Err(StrictCborError::Indefinite(at)),
            _ => return Err(StrictCborError::Unsupported(at)),
        };
        if n < min {
            return Err(StrictCborError::NotShortest(at));
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Item, StrictCborError> {
        if depth > MAX_DEPTH {
            return Err(StrictCborError::TooDeep(MAX_DEPTH));
        }
        let at = self.pos;
        let head = self.byte()?;
        let (major, info) = (head >> 5, head & 0x1f);
        if major == 7 {
            return match info {
                20 => Ok(Item::Bool(false)),
                21 => Ok(Item::Bool(true)),
                22 => Ok(Item::Null),
                24 => {
                    let v = self.byte()?;
                    if v < 32 {
                        return Err(StrictCborError::NotShortest(at));
                    }
                    Ok(Item::Simple(v))
                }
                0..=19 => Ok(Item::Simple(info)),
                _ => Err(StrictCborError::Unsupported(at)),
            };
        }
        let arg = self.argument(info, at)?;
        Ok(match major {
            0 => Item::Int(i128::from(arg)),
            1 => Item::Int(-1 - i128::from(arg)),
            2 => Item::Bytes(self.take(arg)?.to_vec()),
            3 => Item::Text(
                String::from_utf8(self.take(arg)?.to_vec())
                    .map_err(|_| StrictCborError::BadText(at))?,
            ),
            4 => {
                let mut items = Vec::new();
                for _ in 0..arg {
                    items.push(self.item(depth + 1)?);
                }
                Item::Array(items)
            }
            5 => {
                let mut entries: Vec<(Item, Item)> = Vec::new();
                for _ in 0..arg {
                    let key_at = self.pos;
                    let k = self.item(depth + 1)?;
                    if entries.iter().any(|(e, _)| *e == k) {
                        return Err(StrictCborError::DuplicateKey(key_at));
                    }
                    let v = self.item(depth + 1)?;
                    entries.push((k, v));
                }
                Item::Map(entries)
            }
            6 => Item::Tag(arg, Box::new(self.item(depth + 1)?)),
            _ => return Err(StrictCborError::Unsupported(at)),
        })
    }
}

/// Decodes exactly one item.
pub fn decode(bytes: &[u8]) -> Result<Item, StrictCborError> {
    let mut r = Reader { bytes, pos: 0 };
    let item = r.item(0)?;
    if r.pos != bytes.len() {
        return Err(StrictCborError::Trailing(bytes.len() - r.pos));
    }
    Ok(item)
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

/// Encodes an item in the one encoding [`decode`] accepts.
pub fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, item);
    out
}

fn write(out: &mut Vec<u8>, item: &Item) {
    match item {
        Item::Int(i) if *i >= 0 => head(out, 0, u64::try_from(*i).unwrap_or(u64::MAX)),
        Item::Int(i) => head(out, 1, u64::try_from(-1 - *i).unwrap_or(u64::MAX)),
        Item::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Item::Text(t) => {
            head(out, 3, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        Item::Array(a) => {
            head(out, 4, a.len() as u64);
            for i in a {
                write(out, i);
            }
        }
        Item::Map(m) => {
            head(out, 5, m.len() as u64);
            for (k, v) in m {
                write(out, k);
                write(out, v);
            }
        }
        Item::Tag(t, i) => {
            head(out, 6, *t);
            write(out, i);
        }
        Item::Bool(false) => out.push(0xf4),
        Item::Bool(true) => out.push(0xf5),
        Item::Null => out.push(0xf6),
        Item::Simple(v) if *v < 24 => out.push(0xe0 | v),
        Item::Simple(v) => out.extend([0xf8, *v]),
    }
}

impl Item {
    pub fn get(&self, key: &Item) -> Option<&Item> {
        match self {
            Item::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn int(&self) -> Option<i128> {
        match self {
            Item::Int(i) => Some(*i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_encodings() {
        let item = Item::Map(vec![
            (
                Item::Int(-65537),
                Item::Map(vec![(
                    Item::Simple(59),
                    Item::Array(vec![Item::Bytes(vec![1; 32])]),
                )]),
            ),
            (Item::Int(6), Item::Int(1_763_884_800)),
            (Item::Int(1), Item::Tag(100, Box::new(Item::Int(20_000)))),
            (Item::Text("x".into()), Item::Bool(true)),
        ]);
        let bytes = encode(&item);
        assert_eq!(decode(&bytes).unwrap(), item);
        // simple(59) is f8 3b
        assert!(bytes.windows(2).any(|w| w == [0xf8, 0x3b]));
        assert_eq!(decode(&[0x18, 0x05]), Err(StrictCborError::NotShortest(0)));
        assert_eq!(decode(&[0x9f, 0xff]), Err(StrictCborError::Indefinite(0)));
        assert_eq!(
            decode(&[0xa2, 0x01, 0x01, 0x01, 0x02]),
            Err(StrictCborError::DuplicateKey(3))
        );
        assert_eq!(
            decode(&[0xf9, 0x00, 0x00]),
            Err(StrictCborError::Unsupported(0))
        );
        assert_eq!(decode(&[0x01, 0x01]), Err(StrictCborError::Trailing(1)));
        assert_eq!(
            decode(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(StrictCborError::Truncated(9))
        );
        assert_eq!(
            decode(&[0x62, 0xff, 0xfe]),
            Err(StrictCborError::BadText(0))
        );
        assert_eq!(
            decode(&[0x81; 40]),
            Err(StrictCborError::TooDeep(MAX_DEPTH))
        );
        assert_eq!(decode(&[0xf8, 0x10]), Err(StrictCborError::NotShortest(0)));
    }
}
