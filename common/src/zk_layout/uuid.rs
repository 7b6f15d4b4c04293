//! Kafka's `Uuid`: 16 random bytes shown as 22 characters of unpadded URL-safe base64. Topic ids
//! (`"topic_id"` in `/brokers/topics/<t>`) and cluster ids (`/cluster/id`) use this form.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::error::{LayoutError, UuidProblem};

/// A 128-bit id, most significant byte first (Kafka's `mostSignificantBits` then
/// `leastSignificantBits`, both big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid([u8; 16]);

impl Uuid {
    /// Kafka reserves the all-zero id ("no id") and `0…01` (the metadata topic's id).
    pub const ZERO: Uuid = Uuid([0; 16]);
    pub const ONE: Uuid = Uuid([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    pub fn from_bytes(bytes: [u8; 16]) -> Uuid {
        Uuid(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A fresh random (version 4) id. Like Kafka it never returns a reserved id nor one whose
    /// text starts with `-`, which command-line tools would take for an option.
    pub fn random() -> Uuid {
        loop {
            let mut bytes: [u8; 16] = rand::random();
            bytes[6] = (bytes[6] & 0x0F) | 0x40;
            bytes[8] = (bytes[8] & 0x3F) | 0x80;
            let candidate = Uuid(bytes);
            if candidate != Uuid::ZERO
                && candidate != Uuid::ONE
                && !candidate.to_string().starts_with('-')
            {
                return candidate;
            }
        }
    }

    /// Parses the 22-character form, rejecting the all-zero id.
    pub fn parse(text: &str) -> Result<Uuid, LayoutError> {
        Self::parse_problem(text).map_err(|problem| LayoutError::Uuid {
            text: text.to_string(),
            problem,
        })
    }

    pub(crate) fn parse_problem(text: &str) -> Result<Uuid, UuidProblem> {
        if text.len() != 22 {
            return Err(UuidProblem::BadLength { length: text.len() });
        }
        let decoded = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| UuidProblem::NotBase64Url)?;
        let bytes: [u8; 16] = decoded.try_into().map_err(|_| UuidProblem::NotBase64Url)?;
        if bytes == [0; 16] {
            return Err(UuidProblem::AllZero);
        }
        Ok(Uuid(bytes))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl FromStr for Uuid {
    type Err = LayoutError;

    fn from_str(text: &str) -> Result<Uuid, LayoutError> {
        Uuid::parse(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_round_trip_through_22_characters() {
        for _ in 0..200 {
            let id = Uuid::random();
            let text = id.to_string();
            assert_eq!(text.len(), 22);
            assert!(!text.starts_with('-'));
            assert_eq!(Uuid::parse(&text).unwrap(), id);
        }
    }

    #[test]
    fn known_id_text() {
        // Kafka prints Uuid(msb = 1, lsb = 2) as this string.
        let mut bytes = [0u8; 16];
        bytes[7] = 1;
        bytes[15] = 2;
        assert_eq!(
            Uuid::from_bytes(bytes).to_string(),
            "AAAAAAAAAAEAAAAAAAAAAg"
        );
        assert_eq!(Uuid::ONE.to_string(), "AAAAAAAAAAAAAAAAAAAAAQ");
    }

    #[test]
    fn rejects_zero_bad_length_and_bad_alphabet() {
        assert!(matches!(
            Uuid::parse("AAAAAAAAAAAAAAAAAAAAAA"),
            Err(LayoutError::Uuid {
                problem: UuidProblem::AllZero,
                ..
            })
        ));
        assert!(matches!(
            Uuid::parse("abc"),
            Err(LayoutError::Uuid {
                problem: UuidProblem::BadLength { length: 3 },
                ..
            })
        ));
        assert!(matches!(
            Uuid::parse("AAAAAAAAAAAAAAAAAAAA+/"),
            Err(LayoutError::Uuid {
                problem: UuidProblem::NotBase64Url,
                ..
            })
        ));
        let message = Uuid::parse("abc").unwrap_err().to_string();
        assert!(
            message.contains("abc") && message.contains("expected 22"),
            "{message}"
        );
    }
}
