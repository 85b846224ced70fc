//! Shared helpers: a genesis, keys, signed transactions and block building (from
//! `bttc-engine-testkit`, re-exported), plus engines served over the engine API.
// Each test binary uses its own subset of these helpers; the clippy and missing_docs allowances
// come from the including test file's crate-level header.
#![allow(dead_code)]

pub use bttc_engine_testkit::*;

use std::sync::Arc;

use bttc_engine_api::Engine;
use bttc_engine_authrpc::{AuthRpcClient, AuthRpcServer, JwtSecret, ServerConfig, ServerHandle};
use bttc_engine_executor::InProcessEngine;

/// A multi-thread runtime for the servers; the test thread stays outside it and calls the sync
/// client, as Delivery's code does.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An in-process engine on a fresh database, served on a free loopback port.
pub struct Served {
    pub engine: Arc<InProcessEngine>,
    pub handle: ServerHandle,
    pub secret: JwtSecret,
    _dir: tempfile::TempDir,
}

impl Served {
    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn client(&self) -> AuthRpcClient {
        AuthRpcClient::connect(&self.url(), self.secret.clone()).unwrap()
    }
}

pub fn serve_engine(rt: &tokio::runtime::Runtime, config: ServerConfig) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(open(dir.path()));
    let secret = JwtSecret::random().unwrap();
    let as_dyn: Arc<dyn Engine> = engine.clone();
    let server = rt
        .block_on(AuthRpcServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            as_dyn,
            secret.clone(),
            config,
        ))
        .unwrap();
    let handle = {
        let _guard = rt.enter();
        server.spawn()
    };
    Served {
        engine,
        handle,
        secret,
        _dir: dir,
    }
}

/// A raw HTTP POST; returns the status and the body parsed as JSON (Null if empty or not JSON).
pub fn post(url: &str, auth: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build(),
    );
    let mut req = agent.post(url).content_type("application/json");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let mut resp = req.send(body).unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.body_mut().read_to_vec().unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
