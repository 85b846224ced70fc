//! JWT authentication as the Engine API specifies it: HS256 over a 32-byte shared secret, a fresh
//! `iat` on every request, at most [`IAT_LEEWAY_SECS`] away from the server's clock.
//!
//! The secret file has the geth/reth format: 64 hex characters, optionally prefixed with `0x`,
//! surrounding whitespace ignored. The secret never appears in logs, errors or `Debug` output.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::Value;

use crate::wire::kind_of;
use sha2::Sha256;

/// Length of the shared secret in bytes.
pub const SECRET_LEN: usize = 32;

/// How far (in seconds, either direction) a token's `iat` may be from the server's clock.
pub const IAT_LEEWAY_SECS: u64 = 60;

/// Longest token the server looks at; real tokens are about 100 characters.
const MAX_TOKEN_LEN: usize = 4096;

/// `{"alg":"HS256","typ":"JWT"}`, base64url: the header of every token we mint.
const HS256_HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

type HmacSha256 = Hmac<Sha256>;

/// The 32-byte secret shared by the engine API server and its clients.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret([u8; SECRET_LEN]);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

/// A JWT secret could not be parsed, read, generated or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Wrong number of hex characters.
    #[error(
        "JWT secret must be {expected} hex characters (32 bytes, optional 0x prefix), found {found}"
    )]
    Length {
        /// Required number of hex characters.
        expected: usize,
        /// Number of characters found (after trimming whitespace and the prefix).
        found: usize,
    },
    /// A character is not a hex digit.
    #[error("JWT secret is not hex: non-hex character at position {position}")]
    NotHex {
        /// Zero-based position of the first bad character (after the prefix).
        position: usize,
    },
    /// The secret file's contents are unusable.
    #[error("JWT secret file {path}: {source}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with its contents.
        source: Box<SecretError>,
    },
    /// The secret file could not be read.
    #[error("cannot read JWT secret file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: io::Error,
    },
    /// The secret file could not be created.
    #[error("cannot create JWT secret file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: io::Error,
    },
    /// The operating system's random source failed.
    #[error("cannot get random bytes for a JWT secret: {0}")]
    Random(String),
}

/// Why a request's token was refused (answered with HTTP 401 and this message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("missing Authorization header (expected `Authorization: Bearer <jwt>`)")]
    MissingHeader,
    /// The header is not `Bearer <token>`.
    #[error("Authorization header must be `Bearer <jwt>`")]
    NotBearer,
    /// The token is not three base64url parts with JSON header and claims.
    #[error("malformed JWT: {0}")]
    Malformed(String),
    /// The header's `alg` is not HS256 (this includes `none`).
    #[error("JWT alg must be \"HS256\", found {0}")]
    Algorithm(String),
    /// The HMAC does not verify with our secret.
    #[error("JWT signature does not verify with the shared secret")]
    BadSignature,
    /// The claims have no `iat`.
    #[error("JWT claims lack \"iat\" (issued-at, seconds since the Unix epoch)")]
    MissingIat,
    /// `iat` is not a non-negative number of seconds.
    #[error("JWT \"iat\" must be a non-negative number of seconds, found {0}")]
    BadIat(String),
    /// `iat` is too far in the past.
    #[error(
        "JWT iat {iat} is {age} s before the server's clock {now}; at most {IAT_LEEWAY_SECS} s allowed"
    )]
    IatTooOld {
        /// The token's `iat`.
        iat: u64,
        /// The server's clock.
        now: u64,
        /// `now - iat`.
        age: u64,
    },
    /// `iat` is too far in the future.
    #[error(
        "JWT iat {iat} is {ahead} s after the server's clock {now}; at most {IAT_LEEWAY_SECS} s allowed"
    )]
    IatInFuture {
        /// The token's `iat`.
        iat: u64,
        /// The server's clock.
        now: u64,
        /// `iat - now`.
        ahead: u64,
    },
    /// The optional `exp` claim has passed.
    #[error("JWT expired: exp {exp} is before the server's clock {now}")]
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The server's clock.
        now: u64,
    },
}

/// Seconds since the Unix epoch by the wall clock (0 if the clock is before 1970).
#[allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "JWT iat is wall-clock time by definition; this is auth, not consensus code"
)]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>, AuthError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| AuthError::Malformed(format!("{what} is not unpadded base64url: {e}")))
}

fn json_object(bytes: &[u8], what: &str) -> Result<serde_json::Map<String, Value>, AuthError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(AuthError::Malformed(format!(
            "{what} must be a JSON object, found {}",
            kind_of(&other)
        ))),
        Err(e) => Err(AuthError::Malformed(format!("{what} is not JSON: {e}"))),
    }
}

/// A JSON NumericDate as whole seconds (fractions are dropped, as the JWT libraries of other
/// clients do).
fn numeric_date(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let f = v.as_f64()?;
    // `as` saturates; the range check keeps it exact up to the dropped fraction.
    (f.is_finite() && (0.0..18_446_744_073_709_551_615.0).contains(&f)).then_some(f as u64)
}

impl JwtSecret {
    /// The secret from its 32 bytes.
    pub const fn from_bytes(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh secret from the operating system's random source.
    pub fn random() -> Result<Self, SecretError> {
        let mut bytes = [0u8; SECRET_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| SecretError::Random(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Parses 64 hex characters, optionally prefixed with `0x`; surrounding whitespace is ignored.
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix("0x")
            .or_else(|| trimmed.strip_prefix("0X"))
            .unwrap_or(trimmed);
        let expected = SECRET_LEN.saturating_mul(2);
        if digits.len() != expected {
            return Err(SecretError::Length {
                expected,
                found: digits.chars().count(),
            });
        }
        if let Some(position) = digits.bytes().position(|b| !b.is_ascii_hexdigit()) {
            return Err(SecretError::NotHex { position });
        }
        let mut bytes = [0u8; SECRET_LEN];
        hex::decode_to_slice(digits, &mut bytes)
            .map_err(|_| SecretError::NotHex { position: 0 })?;
        Ok(Self(bytes))
    }

    /// Reads a secret file (geth/reth format). Warns (without the secret) when the file is
    /// readable by group or others.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        warn_if_exposed(path);
        Self::from_hex(&text).map_err(|e| SecretError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// Reads the secret file at `path`, or creates it with a random secret when it does not
    /// exist. Creation is atomic: the secret is written to a temporary file with mode 0600 in the
    /// same directory, fsync'd, then linked into place only if `path` still does not exist (a
    /// concurrent creator wins and its secret is read back).
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        match std::fs::metadata(path) {
            Ok(_) => return Self::from_file(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SecretError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
        let secret = Self::random()?;
        let write_err = |source: io::Error| SecretError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".jwtsecret-")
            .tempfile_in(dir)
            .map_err(write_err)?;
        set_owner_only(tmp.as_file()).map_err(write_err)?;
        tmp.write_all(hex::encode(secret.0).as_bytes())
            .and_then(|()| tmp.write_all(b"\n"))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(write_err)?;
        match tmp.persist_noclobber(path) {
            Ok(_) => {
                sync_dir(dir).map_err(write_err)?;
                tracing::info!(path = %path.display(), "created a new JWT secret file");
                Ok(secret)
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Self::from_file(path),
            Err(e) => Err(write_err(e.error)),
        }
    }

    /// The secret as 64 lowercase hex characters, for writing a file another process reads.
    /// Never log it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC pads a key shorter than the hash's block (64 bytes) with zeros, so the padded
        // array is the same key; this constructor is infallible, unlike `new_from_slice`.
        let mut key = [0u8; 64];
        for (dst, src) in key.iter_mut().zip(self.0.iter()) {
            *dst = *src;
        }
        <HmacSha256 as hmac::digest::KeyInit>::new(&key.into())
    }

    /// A token with the given `iat` (seconds since the Unix epoch).
    pub fn token_at(&self, iat: u64) -> String {
        let claims = URL_SAFE_NO_PAD.encode(format!("{{\"iat\":{iat}}}"));
        let signing_input = format!("{HS256_HEADER_B64}.{claims}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// A token issued now (what a client sends with each request).
    pub fn token_now(&self) -> String {
        self.token_at(unix_now())
    }

    /// Checks a token at server time `now`: three base64url parts, `alg` HS256, the signature,
    /// then `iat` within [`IAT_LEEWAY_SECS`] of `now` and `exp` (if present) not passed.
    /// Returns the token's `iat`.
    pub fn validate(&self, token: &str, now: u64) -> Result<u64, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed(format!(
                "token is {} bytes, longer than the {MAX_TOKEN_LEN}-byte limit",
                token.len()
            )));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed(format!(
                "expected 3 dot-separated parts, found {}",
                token.split('.').count()
            )));
        };
        let header_json = json_object(&b64(header, "header")?, "header")?;
        match header_json.get("alg") {
            Some(Value::String(alg)) if alg == "HS256" => {}
            Some(other) => return Err(AuthError::Algorithm(other.to_string())),
            None => return Err(AuthError::Algorithm("no alg".into())),
        }
        let sig = b64(sig, "signature")?;
        let mut mac = self.mac();
        let signing_len = header.len().saturating_add(1).saturating_add(claims.len());
        mac.update(token.as_bytes().get(..signing_len).unwrap_or(&[]));
        mac.verify_slice(&sig)
            .map_err(|_| AuthError::BadSignature)?;
        let claims = json_object(&b64(claims, "claims")?, "claims")?;
        let iat_value = claims.get("iat").ok_or(AuthError::MissingIat)?;
        let iat =
            numeric_date(iat_value).ok_or_else(|| AuthError::BadIat(iat_value.to_string()))?;
        if let Some(ahead) = iat.checked_sub(now) {
            if ahead > IAT_LEEWAY_SECS {
                return Err(AuthError::IatInFuture { iat, now, ahead });
            }
        }
        if let Some(age) = now.checked_sub(iat) {
            if age > IAT_LEEWAY_SECS {
                return Err(AuthError::IatTooOld { iat, now, age });
            }
        }
        if let Some(exp_value) = claims.get("exp") {
            let exp = numeric_date(exp_value).ok_or_else(|| {
                AuthError::Malformed(format!("\"exp\" must be a number, found {exp_value}"))
            })?;
            if exp < now {
                return Err(AuthError::Expired { exp, now });
            }
        }
        Ok(iat)
    }

    /// Checks an `Authorization` header value (`Bearer <jwt>`; the scheme is case-insensitive).
    pub fn validate_header(&self, header: Option<&[u8]>, now: u64) -> Result<u64, AuthError> {
        let header = header.ok_or(AuthError::MissingHeader)?;
        let header = std::str::from_utf8(header).map_err(|_| AuthError::NotBearer)?;
        let (scheme, token) = header.trim().split_once(' ').ok_or(AuthError::NotBearer)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::NotBearer);
        }
        self.validate(token.trim(), now)
    }
}

#[cfg(unix)]
fn set_owner_only(file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_owner_only(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn warn_if_exposed(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "JWT secret file is readable by group or others; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_exposed(_path: &Path) {}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn secret() -> JwtSecret {
        JwtSecret::from_bytes([0x11; 32])
    }

    fn token_with(header: &str, claims: &str, key: &JwtSecret) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let mut mac = key.mac();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn minted_tokens_verify_and_match_an_independent_hs256() {
        let s = secret();
        assert_eq!(s.validate(&s.token_at(NOW), NOW), Ok(NOW));
        // The padded-key HMAC is the same as HMAC over the 32-byte key.
        let mut a = s.mac();
        a.update(b"abc");
        let mut b = <HmacSha256 as Mac>::new_from_slice(&[0x11; 32]).unwrap();
        b.update(b"abc");
        assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());
        // Same bytes as a token built field by field.
        assert_eq!(
            s.token_at(NOW),
            token_with(
                r#"{"alg":"HS256","typ":"JWT"}"#,
                &format!(r#"{{"iat":{NOW}}}"#),
                &s
            )
        );
    }

    #[test]
    fn token_matches_openssl_and_python_golden() {
        // Made with `openssl dgst -sha256 -mac HMAC -macopt hexkey:1111…` and with Python's
        // hmac module (docs/engine-api.md shows the shell version).
        assert_eq!(
            secret().token_at(NOW),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDB9.\
             Hb09lNHg9IiC1UttHzXRW1voUqjM97m4oEuKWkSux5g"
        );
    }

    #[test]
    fn iat_window_is_sixty_seconds_each_way() {
        let s = secret();
        assert!(s.validate(&s.token_at(NOW - 60), NOW).is_ok());
        assert!(s.validate(&s.token_at(NOW + 60), NOW).is_ok());
        assert!(matches!(
            s.validate(&s.token_at(NOW - 61), NOW),
            Err(AuthError::IatTooOld { age: 61, .. })
        ));
        assert!(matches!(
            s.validate(&s.token_at(NOW + 61), NOW),
            Err(AuthError::IatInFuture { ahead: 61, .. })
        ));
        assert!(matches!(
            s.validate(&s.token_at(0), NOW),
            Err(AuthError::IatTooOld { .. })
        ));
        assert!(matches!(
            s.validate(&s.token_at(u64::MAX), NOW),
            Err(AuthError::IatInFuture { .. })
        ));
    }

    #[test]
    fn bad_tokens_are_refused_with_the_reason() {
        let s = secret();
        let other = JwtSecret::from_bytes([0x22; 32]);
        assert_eq!(
            s.validate(&other.token_at(NOW), NOW),
            Err(AuthError::BadSignature)
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(format!(r#"{{"iat":{NOW}}}"#))
        );
        assert!(matches!(
            s.validate(&none, NOW),
            Err(AuthError::Algorithm(a)) if a.contains("none")
        ));
        let hs512 = token_with(r#"{"alg":"HS512"}"#, &format!(r#"{{"iat":{NOW}}}"#), &s);
        assert!(matches!(
            s.validate(&hs512, NOW),
            Err(AuthError::Algorithm(_))
        ));
        let no_alg = token_with(r#"{"typ":"JWT"}"#, &format!(r#"{{"iat":{NOW}}}"#), &s);
        assert!(matches!(
            s.validate(&no_alg, NOW),
            Err(AuthError::Algorithm(_))
        ));
        let no_iat = token_with(r#"{"alg":"HS256"}"#, r#"{"id":"x"}"#, &s);
        assert_eq!(s.validate(&no_iat, NOW), Err(AuthError::MissingIat));
        let str_iat = token_with(r#"{"alg":"HS256"}"#, r#"{"iat":"now"}"#, &s);
        assert!(matches!(
            s.validate(&str_iat, NOW),
            Err(AuthError::BadIat(_))
        ));
        let float_iat = token_with(r#"{"alg":"HS256"}"#, &format!(r#"{{"iat":{NOW}.5}}"#), &s);
        assert_eq!(s.validate(&float_iat, NOW), Ok(NOW));
        let expired = token_with(
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW - 1),
            &s,
        );
        assert!(matches!(
            s.validate(&expired, NOW),
            Err(AuthError::Expired { .. })
        ));
        for junk in ["", "abc", "a.b", "a.b.c.d", "!!.!!.!!", &"a".repeat(5000)] {
            assert!(
                matches!(s.validate(junk, NOW), Err(AuthError::Malformed(_))),
                "{junk:.20}"
            );
        }
        let not_json = format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode("nope"));
        assert!(matches!(
            s.validate(&not_json, NOW),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn authorization_header_must_be_bearer() {
        let s = secret();
        let token = s.token_at(NOW);
        assert_eq!(s.validate_header(None, NOW), Err(AuthError::MissingHeader));
        assert_eq!(
            s.validate_header(Some(token.as_bytes()), NOW),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            s.validate_header(Some(format!("Basic {token}").as_bytes()), NOW),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            s.validate_header(Some(format!("bearer {token}").as_bytes()), NOW),
            Ok(NOW)
        );
    }

    #[test]
    fn secret_hex_parsing_accepts_the_geth_format_only() {
        let hex64 = "ab".repeat(32);
        let s = JwtSecret::from_hex(&hex64).unwrap();
        assert_eq!(s.to_hex(), hex64);
        assert_eq!(JwtSecret::from_hex(&format!("0x{hex64}\n")).unwrap(), s);
        assert_eq!(JwtSecret::from_hex(&format!("{hex64}  \r\n")).unwrap(), s);
        assert!(matches!(
            JwtSecret::from_hex(&hex64[..62]),
            Err(SecretError::Length { found: 62, .. })
        ));
        assert!(matches!(
            JwtSecret::from_hex(&format!("{hex64}00")),
            Err(SecretError::Length { found: 66, .. })
        ));
        let mut bad = hex64.clone();
        bad.replace_range(10..11, "g");
        assert!(matches!(
            JwtSecret::from_hex(&bad),
            Err(SecretError::NotHex { position: 10 })
        ));
        // Multi-byte characters are counted, not sliced.
        assert!(JwtSecret::from_hex(&"é".repeat(32)).is_err());
        // Debug never shows the bytes.
        assert!(!format!("{s:?}").contains("ab"));
    }

    #[test]
    fn load_or_create_makes_a_private_file_once_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt.hex");
        let a = JwtSecret::load_or_create(&path).unwrap();
        let b = JwtSecret::load_or_create(&path).unwrap();
        assert_eq!(a, b);
        assert_eq!(JwtSecret::from_file(&path).unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Two randoms differ.
        assert_ne!(JwtSecret::random().unwrap(), JwtSecret::random().unwrap());

        std::fs::write(&path, "0x1234").unwrap();
        let err = JwtSecret::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("jwt.hex") && err.contains("found 4"), "{err}");
        let err = JwtSecret::from_file(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(err, SecretError::Read { .. }));
    }
}
