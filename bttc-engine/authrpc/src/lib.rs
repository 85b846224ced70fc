//! The engine API's network transport: JSON-RPC 2.0 over HTTP with JWT (HS256) auth, by default
//! on `127.0.0.1:8551`, as execution clients serve the Ethereum Engine API.
//!
//! One trait, two transports: [`bttc_engine_api::Engine`] is implemented in-process by the
//! executor's `InProcessEngine`, and over the network by
//!
//! - [`AuthRpcServer`] / [`serve`]: exposes any `Arc<dyn Engine>` (engine calls run on tokio's
//!   blocking pool; they may fsync);
//! - [`AuthRpcClient`]: implements `Engine` by calling such a server, synchronously (ureq over
//!   `std::net`, safe to call from a tokio worker thread). Engine errors come back as the same
//!   [`bttc_engine_api::EngineError`] variant with the same text, so a caller cannot tell the
//!   transports apart except by [`bttc_engine_api::EngineError::Transport`] failures.
//!
//! Methods (see [`wire::method`] and `docs/engine-api.md`): `engine_forkchoiceUpdated`,
//! `engine_getPayload`, `engine_newPayload`, `engine_exchangeCapabilities`, `bttc_checkTx`,
//! `bttc_head`. Params are positional; types serialize as in `bttc-engine-api` (hex strings,
//! camelCase fields).
//!
//! Auth ([`jwt`]): `Authorization: Bearer <jwt>`, HS256 only, `iat` within 60 s of the server's
//! clock; anything else is HTTP 401 with a JSON body giving the reason. The secret file is geth's
//! and reth's format ([`JwtSecret::from_file`], [`JwtSecret::load_or_create`]).

mod client;
mod dispatch;
pub mod jwt;
mod server;
pub mod wire;

pub use client::{AuthRpcClient, ClientConfig, ClientError};
pub use jwt::{AuthError, JwtSecret, SecretError};
pub use server::{serve, AuthRpcServer, ServerConfig, ServerError, ServerHandle, DEFAULT_LISTEN};
