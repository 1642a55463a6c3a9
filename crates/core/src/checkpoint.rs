//! C2SP transparency-log checkpoints (<https://c2sp.org/tlog-checkpoint>), signed as C2SP
//! signed notes (<https://c2sp.org/signed-note>) by a log's Ed25519 key and cosigned by
//! witnesses with Ed25519 `cosignature/v1` (<https://c2sp.org/tlog-cosignature>), and the body
//! of the C2SP tlog-witness `add-checkpoint` request (<https://c2sp.org/tlog-witness>).
//!
//! Notes, signature lines and checkpoint text are parsed and written by cloudflare's
//! `signed_note` and `tlog_tiles` crates; this module adds the cosignature type they do not
//! have, the request body, the witness's checks, and fairdraw's types (SPEC.md §16).

use crate::hash::Hash32;
use crate::note::{SIG_TYPE_COSIGNATURE, SIG_TYPE_ED25519, VerifierKey, key_id};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature as EdSignature, Signer as _, SigningKey, VerifyingKey};
pub use signed_note::{Note, NoteError, Signature, Signer, Verifier, VerifierList, Verifiers};
use std::fmt;

/// The first line of the message an Ed25519 cosignature signs.
pub const COSIGNATURE_HEADER: &str = "cosignature/v1\n";
/// The most consistency-proof lines an `add-checkpoint` request may carry (C2SP tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;
/// The largest note fairdraw reads (a checkpoint with a few dozen signatures is under 8 KiB).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// A checkpoint: a log's origin, size and RFC 6962 root, and extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The origin line: which log.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root at that size.
    pub root: Hash32,
    /// Extension lines, each non-empty, without their newlines.
    pub extensions: Vec<String>,
}

/// Why a checkpoint, note or request could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub &'static str);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for FormatError {}

impl Checkpoint {
    /// The note text: origin, size, base64 root, extension lines, each ending in a newline.
    pub fn text(&self) -> Result<String, FormatError> {
        let mut ext = String::new();
        for line in &self.extensions {
            ext.push_str(line);
            ext.push('\n');
        }
        let c = tlog_tiles::checkpoint::Checkpoint::new(
            &self.origin,
            self.size,
            tlog_tiles::tlog::Hash(self.root.0),
            &ext,
        )
        .map_err(|_| FormatError("the origin is empty or an extension line is empty"))?;
        if self.origin.contains('\n') || self.extensions.iter().any(|l| l.contains('\n')) {
            return Err(FormatError("a checkpoint line holds a newline"));
        }
        String::from_utf8(c.to_bytes()).map_err(|_| FormatError("not UTF-8"))
    }

    /// Reads a note text (exactly: no signatures, no trailing blank line).
    pub fn parse(text: &[u8]) -> Result<Self, FormatError> {
        let c = tlog_tiles::checkpoint::Checkpoint::from_bytes(text)
            .map_err(|_| FormatError("not a checkpoint (origin, size, base64 root lines)"))?;
        Ok(Self {
            origin: c.origin().to_owned(),
            size: c.size(),
            root: Hash32(c.hash().0),
            extensions: c.extension().lines().map(str::to_owned).collect(),
        })
    }
}

/// The key ID as signed-note's `u32`.
fn id_u32(name: &str, sig_type: u8, key: &VerifyingKey) -> u32 {
    u32::from_be_bytes(key_id(name, sig_type, key.as_bytes()))
}

/// A log's Ed25519 signed-note key (signature type 0x01) under its name (the origin).
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// The signer for `key` under `name`.
    pub fn new(name: &str, key: SigningKey) -> Self {
        let id = id_u32(name, SIG_TYPE_ED25519, &key.verifying_key());
        Self {
            name: name.to_owned(),
            id,
            key,
        }
    }

    /// The verifier key (`name+id+base64(0x01 ‖ key)`).
    pub fn vkey(&self) -> String {
        crate::note::format_vkey(
            &self.name,
            SIG_TYPE_ED25519,
            self.key.verifying_key().as_bytes(),
        )
    }
}

impl Signer for NoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// The message an Ed25519 cosignature signs: `cosignature/v1`, `time T`, the note text.
pub fn cosignature_message(time: u64, text: &[u8]) -> Vec<u8> {
    let mut m = format!("{COSIGNATURE_HEADER}time {time}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

/// A witness's Ed25519 cosigner key (signature type 0x04), signing at one time (POSIX
/// seconds, never 0).
pub struct Cosigner {
    name: String,
    id: u32,
    key: SigningKey,
    time: u64,
}

impl Cosigner {
    /// The cosigner for `key` under `name`, stamping `time`.
    pub fn new(name: &str, key: SigningKey, time: u64) -> Self {
        let id = id_u32(name, SIG_TYPE_COSIGNATURE, &key.verifying_key());
        Self {
            name: name.to_owned(),
            id,
            key,
            time,
        }
    }

    /// The verifier key (`name+id+base64(0x04 ‖ key)`).
    pub fn vkey(&self) -> String {
        crate::note::format_vkey(
            &self.name,
            SIG_TYPE_COSIGNATURE,
            self.key.verifying_key().as_bytes(),
        )
    }

    /// The signature line (`— name base64(id ‖ time ‖ signature)` and a newline) over `text`.
    pub fn line(&self, text: &[u8]) -> String {
        let sig = self.timestamped(text);
        let mut raw = self.id.to_be_bytes().to_vec();
        raw.extend_from_slice(&sig);
        format!("— {} {}\n", self.name, STANDARD.encode(raw))
    }

    fn timestamped(&self, text: &[u8]) -> Vec<u8> {
        let sig = self.key.sign(&cosignature_message(self.time, text));
        let mut out = self.time.to_be_bytes().to_vec();
        out.extend_from_slice(&sig.to_bytes());
        out
    }
}

impl Signer for Cosigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.timestamped(msg))
    }
}

/// The timestamp of a cosignature's signature bytes (after the key ID): its first 8 bytes,
/// big-endian, when the rest is an Ed25519 signature and the time is at most 2^63 − 1.
pub fn cosignature_time(sig: &[u8]) -> Option<u64> {
    let (t, rest) = sig.split_first_chunk::<8>()?;
    let t = u64::from_be_bytes(*t);
    (rest.len() == 64 && t <= i64::MAX as u64).then_some(t)
}

/// Verifies a log's signed-note Ed25519 signatures, or a witness's cosignatures, for
/// signed-note's [`Note::verify`].
pub struct KeyVerifier {
    name: String,
    id: u32,
    sig_type: u8,
    key: VerifyingKey,
}

impl KeyVerifier {
    /// The verifier for a parsed vkey of type 0x01 or 0x04.
    pub fn new(k: &VerifierKey) -> Result<Self, FormatError> {
        if k.sig_type != SIG_TYPE_ED25519 && k.sig_type != SIG_TYPE_COSIGNATURE {
            return Err(FormatError(
                "a vkey of type 0x01 (Ed25519) or 0x04 (cosignature/v1)",
            ));
        }
        let key = VerifyingKey::from_bytes(&k.public_key)
            .map_err(|_| FormatError("the vkey's key is not an Ed25519 point"))?;
        Ok(Self {
            name: k.name.clone(),
            id: u32::from_be_bytes(k.key_id),
            sig_type: k.sig_type,
            key,
        })
    }

    /// The verifier for a vkey's text.
    pub fn parse(vkey: &str) -> Result<Self, FormatError> {
        Self::new(&crate::note::parse_vkey(vkey).map_err(FormatError)?)
    }

    /// Whether this is a witness's cosigner key.
    pub fn is_cosigner(&self) -> bool {
        self.sig_type == SIG_TYPE_COSIGNATURE
    }
}

impl Verifier for KeyVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if self.sig_type == SIG_TYPE_COSIGNATURE {
            let Some(time) = cosignature_time(sig) else {
                return false;
            };
            let Ok(s) = EdSignature::from_slice(&sig[8..]) else {
                return false;
            };
            self.key
                .verify_strict(&cosignature_message(time, msg), &s)
                .is_ok()
        } else {
            let Ok(s) = EdSignature::from_slice(sig) else {
                return false;
            };
            self.key.verify_strict(msg, &s).is_ok()
        }
    }
}

/// Verifiers from vkeys.
pub fn verifiers(keys: Vec<KeyVerifier>) -> VerifierList {
    VerifierList::new(
        keys.into_iter()
            .map(|k| Box::new(k) as Box<dyn Verifier>)
            .collect(),
    )
}

/// A signed note's text and signature lines, written out.
pub fn signed_note(text: &str, signers: &[&dyn Signer]) -> Result<Vec<u8>, FormatError> {
    let mut n = Note::new(text.as_bytes(), &[]).map_err(|_| FormatError("not a note text"))?;
    n.add_sigs(signers)
        .map_err(|_| FormatError("a signer's name is not a key name"))?;
    Ok(n.to_bytes())
}

/// The body of a C2SP tlog-witness `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the previous checkpoint the client knows the witness cosigned.
    pub old_size: u64,
    /// The RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash32>,
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
}

/// Reads an ASCII decimal without leading zeroes (`0` alone for zero).
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

impl AddCheckpoint {
    /// The request body: `old N`, one base64 hash a line, a blank line, the note.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = format!("old {}\n", self.old_size).into_bytes();
        for h in &self.proof {
            b.extend_from_slice(STANDARD.encode(h.0).as_bytes());
            b.push(b'\n');
        }
        b.push(b'\n');
        b.extend_from_slice(&self.checkpoint);
        b
    }

    /// Reads a request body. More than [`MAX_PROOF_LINES`] proof lines is an error.
    pub fn parse(body: &[u8]) -> Result<Self, FormatError> {
        let mut rest = body;
        let mut next_line = || -> Result<&[u8], FormatError> {
            let at = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or(FormatError("a line without its newline"))?;
            let (line, tail) = rest.split_at(at);
            rest = &tail[1..];
            Ok(line)
        };
        let first = std::str::from_utf8(next_line()?).map_err(|_| FormatError("not UTF-8"))?;
        let old_size = first
            .strip_prefix("old ")
            .and_then(parse_decimal)
            .ok_or(FormatError("the first line is `old` and a size"))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line()?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(FormatError("more than 63 consistency proof lines"));
            }
            let raw = STANDARD
                .decode(line)
                .map_err(|_| FormatError("a proof line is not base64"))?;
            let h: [u8; 32] = raw
                .try_into()
                .map_err(|_| FormatError("a proof line is not a 32-byte hash"))?;
            proof.push(Hash32(h));
        }
        let checkpoint = rest.to_vec();
        if checkpoint.len() > MAX_NOTE_BYTES {
            return Err(FormatError("the checkpoint note is too large"));
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint,
        })
    }
}

/// A note's text split from its signatures, read with signed-note's rules.
pub fn parse_note(bytes: &[u8]) -> Result<Note, FormatError> {
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(FormatError("the note is too large"));
    }
    Note::from_bytes(bytes).map_err(|_| FormatError("not a signed note"))
}

/// A witness's refusal: the HTTP status and body C2SP tlog-witness prescribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 403, 404, 409 or 422.
    pub status: u16,
    /// `text/x.tlog.size` for 409, else `text/plain; charset=utf-8`.
    pub content_type: &'static str,
    /// For 409 the latest cosigned size and a newline; else a reason.
    pub body: String,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: reason.into() + "\n",
        }
    }
}

/// An `add-checkpoint` request whose checkpoint a known log signed.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// The request.
    pub request: AddCheckpoint,
    /// Its checkpoint.
    pub checkpoint: Checkpoint,
    /// The checkpoint's note text (what a cosignature signs).
    pub text: Vec<u8>,
    /// The log's signature lines that verified (each `— name base64\n`).
    pub log_signatures: Vec<u8>,
}

/// A witness's first step (C2SP tlog-witness): read the request (400), find the log by the
/// checkpoint's origin among `logs` (origin → the log's vkeys; 404), and verify the log's
/// signature (403: none verifies, or one from a known key fails).
pub fn read_request(
    body: &[u8],
    logs: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<SignedRequest, Refusal> {
    let request = AddCheckpoint::parse(body)
        .map_err(|e| Refusal::new(400, format!("malformed request: {e}")))?;
    let note = parse_note(&request.checkpoint)
        .map_err(|e| Refusal::new(400, format!("malformed checkpoint note: {e}")))?;
    let checkpoint = Checkpoint::parse(note.text())
        .map_err(|e| Refusal::new(400, format!("malformed checkpoint: {e}")))?;
    let keys = logs(&checkpoint.origin)
        .ok_or_else(|| Refusal::new(404, format!("unknown log origin {:?}", checkpoint.origin)))?;
    let known = verifiers(
        keys.iter()
            .filter_map(|k| KeyVerifier::parse(k).ok())
            .filter(|k| !k.is_cosigner())
            .collect(),
    );
    let log_signatures = match note.verify(&known) {
        Ok((verified, _)) => verified.iter().flat_map(Signature::to_bytes).collect(),
        Err(NoteError::InvalidSignature { name, id }) => {
            return Err(Refusal::new(
                403,
                format!("the signature of {name}+{id:08x} does not verify"),
            ));
        }
        Err(_) => {
            return Err(Refusal::new(
                403,
                "no signature from the log's key verifies",
            ));
        }
    };
    let text = note.text().to_vec();
    Ok(SignedRequest {
        request,
        checkpoint,
        text,
        log_signatures,
    })
}

/// A witness's second step, against the latest checkpoint it cosigned for the origin (size
/// and root; `None` if never): old size above the new (400), old size not the latest (409 with
/// the latest size), a size-0 checkpoint without the empty root, a proof from 0 that is not
/// empty, a proof that does not verify, or the same size with another root (422).
pub fn check_request(r: &SignedRequest, latest: Option<(u64, Hash32)>) -> Result<(), Refusal> {
    let (old, size, root) = (r.request.old_size, r.checkpoint.size, &r.checkpoint.root);
    if old > size {
        return Err(Refusal::new(
            400,
            format!("old size {old} is larger than the checkpoint's {size}"),
        ));
    }
    let (latest_size, latest_root) = latest.unwrap_or((0, crate::merkle::empty_root()));
    if old != latest_size {
        return Err(Refusal {
            status: 409,
            content_type: "text/x.tlog.size",
            body: format!("{latest_size}\n"),
        });
    }
    if size == 0 && *root != crate::merkle::empty_root() {
        return Err(Refusal::new(
            422,
            "a checkpoint of size 0 must have the empty tree's root",
        ));
    }
    if old == 0 {
        if !r.request.proof.is_empty() {
            return Err(Refusal::new(422, "a proof from size 0 must be empty"));
        }
        return Ok(());
    }
    crate::merkle::verify_consistency(old, size, &latest_root, root, &r.request.proof).map_err(
        |e| {
            Refusal::new(
                422,
                if old == size {
                    format!("size {size} was cosigned with another root ({e})")
                } else {
                    format!("the consistency proof from {old} to {size} does not verify: {e}")
                },
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32])
    }

    #[test]
    fn checkpoint_text_round_trips() {
        let c = Checkpoint {
            origin: "fairdraw.example/dazhou-2026/1".into(),
            size: 3,
            root: Hash32([7; 32]),
            extensions: vec!["fairdraw freeze abc".into()],
        };
        let t = c.text().expect("text");
        assert_eq!(
            t,
            "fairdraw.example/dazhou-2026/1\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nfairdraw freeze abc\n"
        );
        assert_eq!(Checkpoint::parse(t.as_bytes()), Ok(c));
        assert!(
            Checkpoint::parse(b"o\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n").is_err()
        );
    }

    #[test]
    fn go_sumdb_note_known_answer() {
        // The example of Go's golang.org/x/mod/sumdb/note (and signed_note's docs): the private
        // key's bytes are 0x01 ‖ seed; Ed25519 is deterministic, so the line is fixed.
        let raw = STANDARD
            .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
            .expect("base64");
        let seed: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        let signer = NoteSigner::new("PeterNeumann", SigningKey::from_bytes(&seed));
        assert_eq!(
            signer.vkey(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let note = signed_note(text, &[&signer]).expect("note");
        assert_eq!(
            String::from_utf8(note).expect("utf8"),
            format!(
                "{text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
            )
        );
    }

    #[test]
    fn cosignature_verifies_and_binds_the_time() {
        let c = Cosigner::new("witness.example/w1", key(3), 1_679_315_147);
        let text = "example.com/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n";
        let line = c.line(text.as_bytes());
        let note = parse_note(format!("{text}\n{line}").as_bytes()).expect("note");
        let v = KeyVerifier::parse(&c.vkey()).expect("vkey");
        let (ok, _) = note.verify(&verifiers(vec![v])).expect("verifies");
        assert_eq!(cosignature_time(ok[0].signature()), Some(1_679_315_147));
        // The same signature under another time does not verify.
        let mut sig = ok[0].signature().to_vec();
        sig[7] ^= 1;
        let v = KeyVerifier::parse(&c.vkey()).expect("vkey");
        assert!(!v.verify(text.as_bytes(), &sig));
    }

    #[test]
    fn request_round_trips_and_refuses_64_proof_lines() {
        let r = AddCheckpoint {
            old_size: 5,
            proof: vec![Hash32([1; 32]), Hash32([2; 32])],
            checkpoint: b"o\n6\nAQ==\n\n\xe2\x80\x94 o AAAA\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::parse(&r.to_bytes()), Ok(r));
        let many = AddCheckpoint {
            old_size: 1,
            proof: vec![Hash32([1; 32]); 64],
            checkpoint: vec![],
        };
        assert!(AddCheckpoint::parse(&many.to_bytes()).is_err());
        assert!(AddCheckpoint::parse(b"old 01\n\n").is_err());
        assert!(AddCheckpoint::parse(b"old 1").is_err());
    }
}
