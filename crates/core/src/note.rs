//! C2SP signed-note verifier keys (<https://c2sp.org/signed-note>), as far as the rules need
//! them: a witness is named in the rules by its cosigner vkey, checked here for form.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Signature type of an Ed25519 signed-note key.
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// Signature type of a C2SP tlog-cosignature (cosignature/v1) key.
pub const SIG_TYPE_COSIGNATURE: u8 = 0x04;

/// A parsed verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name.
    pub name: String,
    /// The 4-byte key ID.
    pub key_id: [u8; 4],
    /// The signature type byte.
    pub sig_type: u8,
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
}

/// The key ID: the first 4 bytes of `SHA-256(name ‖ 0x0A ‖ type ‖ public key)`.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, sig_type]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Parses `<name>+<8 hex digits>+<base64(type ‖ 32-byte key)>` and checks the key ID.
pub fn parse_vkey(text: &str) -> Result<VerifierKey, &'static str> {
    // The name and key ID hold no `+`; the base64 key may.
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("a vkey is <name>+<key id>+<base64 key>");
    };
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the key name must be non-empty, without spaces");
    }
    let id: [u8; 4] = crate::hash::fixed_hex(id_hex).map_err(|_| "the key ID is 8 hex digits")?;
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| "the key is not standard base64")?;
    let (&sig_type, key) = raw.split_first().ok_or("the key is empty")?;
    let public_key: [u8; 32] = key
        .try_into()
        .map_err(|_| "an Ed25519 vkey holds a type byte and 32 key bytes")?;
    if key_id(name, sig_type, &public_key) != id {
        return Err("the key ID does not match the name and key");
    }
    Ok(VerifierKey {
        name: name.to_owned(),
        key_id: id,
        sig_type,
        public_key,
    })
}

/// Parses a witness's cosigner vkey (signature type 0x04).
pub fn parse_cosigner_vkey(text: &str) -> Result<VerifierKey, &'static str> {
    let k = parse_vkey(text)?;
    if k.sig_type != SIG_TYPE_COSIGNATURE {
        return Err("a witness vkey has signature type 0x04 (cosignature/v1)");
    }
    Ok(k)
}

/// Formats a verifier key.
pub fn format_vkey(name: &str, sig_type: u8, public_key: &[u8; 32]) -> String {
    let mut raw = vec![sig_type];
    raw.extend_from_slice(public_key);
    format!(
        "{name}+{}+{}",
        hex::encode(key_id(name, sig_type, public_key)),
        STANDARD.encode(raw)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_whose_base64_holds_a_plus() {
        // Found by signed_note's generate_key: base64 uses `+`, so split at the first two only.
        let v = "fairdraw.test/dazhou-2026/1+430d1931+AdFGd3NMW2PaYpVy8+q5uSe6v4M8J/89oTvw1yMoHr5C";
        let k = parse_vkey(v).expect("valid");
        assert_eq!(format_vkey(&k.name, k.sig_type, &k.public_key), v);
    }

    #[test]
    fn c2sp_example_vkey() {
        // The example key of C2SP signed-note (and Go's golang.org/x/mod/sumdb/note).
        let k = parse_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .expect("valid");
        assert_eq!(k.sig_type, SIG_TYPE_ED25519);
        assert_eq!(hex::encode(k.key_id), "c74f20a3");
        assert_eq!(
            format_vkey("PeterNeumann", 1, &k.public_key),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        assert!(parse_cosigner_vkey(&format_vkey("w", 4, &k.public_key)).is_ok());
        assert!(
            parse_cosigner_vkey(
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            )
            .is_err()
        );
        assert!(
            parse_vkey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .is_err()
        );
    }
}
