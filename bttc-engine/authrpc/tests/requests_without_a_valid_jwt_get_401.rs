//! The server answers HTTP 401 with a JSON reason to requests without a valid HS256 token whose
//! `iat` is within 60 s of its clock, and serves those with one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bttc_engine_api::{Engine, EngineError};
use bttc_engine_authrpc::jwt::unix_now;
use bttc_engine_authrpc::{AuthRpcClient, JwtSecret, ServerConfig};
use common::*;

const HEAD: &str = r#"{"jsonrpc":"2.0","id":1,"method":"bttc_head","params":[]}"#;

fn refused(url: &str, auth: Option<&str>) -> String {
    let (status, body) = post(url, auth, HEAD);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "unauthorized", "{body}");
    body["reason"].as_str().unwrap().to_owned()
}

/// Waits until the wall clock is early in a second, so a request sent now reaches the server's
/// clock check within the same second (for the "61 s in the future" case, where each elapsed
/// second would shrink the distance).
fn early_in_a_second() {
    #[allow(
        clippy::disallowed_types,
        clippy::disallowed_methods,
        reason = "test timing"
    )]
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        if now.subsec_millis() < 300 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bad_tokens_get_401_with_the_reason_and_good_ones_are_served() {
    let rt = runtime();
    let served = serve_engine(&rt, ServerConfig::default());
    let url = served.url();
    let secret = &served.secret;

    // Baseline: a fresh token works.
    let (status, body) = post(&url, Some(&bearer(&secret.token_now())), HEAD);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["number"], "0x0");

    // No header; not a bearer header.
    assert!(refused(&url, None).contains("missing Authorization"));
    assert!(refused(&url, Some(&secret.token_now())).contains("Bearer"));
    assert!(refused(&url, Some("Bearer")).contains("Bearer"));

    // Malformed token.
    assert!(refused(&url, Some("Bearer not.a.jwt")).contains("malformed"));

    // Signed with a different secret.
    let other = JwtSecret::random().unwrap();
    assert!(refused(&url, Some(&bearer(&other.token_now()))).contains("signature"));

    // alg none, unsigned (and, for good measure, with a valid HS256 signature appended).
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"iat":{}}}"#, unix_now()));
    let reason = refused(&url, Some(&bearer(&format!("{header}.{claims}."))));
    assert!(
        reason.contains("HS256") && reason.contains("none"),
        "{reason}"
    );
    let good_sig = secret.token_now().rsplit('.').next().unwrap().to_owned();
    let reason = refused(
        &url,
        Some(&bearer(&format!("{header}.{claims}.{good_sig}"))),
    );
    assert!(reason.contains("none"), "{reason}");

    // iat 61 s in the past: refused (time passing only makes it older).
    let reason = refused(&url, Some(&bearer(&secret.token_at(unix_now() - 61))));
    assert!(reason.contains("before the server's clock"), "{reason}");

    // iat 61 s in the future: refused.
    early_in_a_second();
    let reason = refused(&url, Some(&bearer(&secret.token_at(unix_now() + 61))));
    assert!(reason.contains("after the server's clock"), "{reason}");

    // iat 30 s old and 30 s ahead: accepted.
    for iat in [unix_now() - 30, unix_now() + 30] {
        let (status, body) = post(&url, Some(&bearer(&secret.token_at(iat))), HEAD);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], 1);
    }

    // Missing iat, with a valid HS256 signature (made with the hmac crate directly).
    let no_iat = {
        use hmac::Mac;
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(r#"{"id":"deliveryd"}"#);
        let input = format!("{header}.{claims}");
        let key = hex::decode(secret.to_hex()).unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    };
    assert!(refused(&url, Some(&bearer(&no_iat))).contains("lack \"iat\""));

    // The refusals never reached the engine: the head is still genesis, and a request with a good
    // token still works.
    assert_eq!(served.engine.head().unwrap().number, 0);
    let (status, _) = post(&url, Some(&bearer(&secret.token_now())), HEAD);
    assert_eq!(status, 200);
}

#[test]
fn a_client_with_the_wrong_secret_gets_a_transport_error_naming_the_reason() {
    let rt = runtime();
    let served = serve_engine(&rt, ServerConfig::default());
    let wrong = AuthRpcClient::connect(&served.url(), JwtSecret::random().unwrap()).unwrap();
    match wrong.head() {
        Err(EngineError::Transport(m)) => {
            assert!(m.contains("401") && m.contains("signature"), "{m}");
            assert!(m.contains(&served.url()), "{m}");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    // The right secret from a file in the geth format works.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwt.hex");
    std::fs::write(&path, format!("0x{}\n", served.secret.to_hex())).unwrap();
    let right =
        AuthRpcClient::connect(&served.url(), JwtSecret::from_file(&path).unwrap()).unwrap();
    assert_eq!(right.head().unwrap(), served.engine.head().unwrap());
}
