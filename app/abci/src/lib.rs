//! A thin async ABCI 2.0 socket layer for CometBFT v0.38: server, client and codec.
//!
//! The message types are `tendermint-proto`'s `v0_38` ones (re-exported as [`types`]); this
//! crate adds only what moves them over a socket. Why we wrote it instead of using
//! `tendermint-abci` or `tower-abci`: `docs/adr/0001-abci-server.md`.
//!
//! # Wire protocol
//!
//! CometBFT talks to the app over a TCP or unix stream socket (its `proxy_app` setting,
//! `tcp://127.0.0.1:26658` or `unix:///path/app.sock`, see [`ListenAddr`]). Each message is a
//! protobuf `Request` (CometBFT → app) or `Response` (app → CometBFT), prefixed by its length
//! as an unsigned varint ([`codec`]); CometBFT refuses messages over 100 MiB.
//!
//! CometBFT's client queues requests and sends a `Flush` request after each synchronous call
//! (and on a short timer for asynchronous `CheckTx`); it writes its socket only when it sends a
//! `Flush`. The app must answer every request, in the order received, with a response of the
//! same kind, and answer `Flush` with `ResponseFlush` after all earlier responses; CometBFT
//! matches responses to requests by position. An app that cannot go on answers
//! `Response::Exception`; CometBFT then stops the connection and the node.
//!
//! # Connection model
//!
//! CometBFT opens four connections at start (in this order in the recorded traces): *query*
//! (`Info`, `Query`), *snapshot* (state sync), *mempool* (`CheckTx`) and *consensus*
//! (`InitChain`, `PrepareProposal`, `ProcessProposal`, `ExtendVote`, `VerifyVoteExtension`,
//! `FinalizeBlock`, `Commit`); each also gets `Echo` and `Flush`.
//!
//! The [`Server`] serves each connection on its own task and handles its requests strictly in
//! order: read one, call the [`Application`] method on a blocking thread (`spawn_blocking`),
//! queue the response, and write the socket when it answers a `Flush`. Connections do not wait
//! for each other, so a slow `Query` never stalls `FinalizeBlock`; the app does its own locking.
//! A frame that cannot be read (garbage, truncated, over the size limit, an unknown request
//! kind), an [`AppError`] or a panic in the app is answered with `Response::Exception` and closes
//! that connection only; the server and the other connections keep running. [`ServerHandle`]
//! (or a [`CancellationToken`] passed to [`Server::run`]) stops the server gracefully.
//!
//! [`AbciClient`] plays CometBFT's side of one connection (for the conductor and tests):
//! request, `Flush`, then both responses. [`sign_bytes`] has the bytes CometBFT signs for a
//! vote extension.
//!
//! ```no_run
//! # async fn demo() -> Result<(), delivery_abci::AbciError> {
//! use delivery_abci::types::*;
//! use delivery_abci::{AbciClient, AppResult, Application, Server};
//!
//! struct Counter(std::sync::Mutex<i64>);
//!
//! impl Application for Counter {
//!     fn info(&self, _: RequestInfo) -> AppResult<ResponseInfo> {
//!         Ok(ResponseInfo::default())
//!     }
//!     fn query(&self, _: RequestQuery) -> AppResult<ResponseQuery> {
//!         Ok(ResponseQuery::default())
//!     }
//!     fn check_tx(&self, _: RequestCheckTx) -> AppResult<ResponseCheckTx> {
//!         Ok(ResponseCheckTx::default())
//!     }
//!     fn finalize_block(&self, req: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock> {
//!         let mut height = self.0.lock().map_err(|_| "lock poisoned")?;
//!         *height = req.height;
//!         Ok(ResponseFinalizeBlock::default())
//!     }
//!     fn commit(&self, _: RequestCommit) -> AppResult<ResponseCommit> {
//!         Ok(ResponseCommit::default())
//!     }
//! }
//!
//! let server = Server::bind("tcp://127.0.0.1:0", Counter(Default::default())).await?;
//! let addr = server.local_addr().to_string();
//! let handle = server.spawn();
//! let mut client = AbciClient::connect(&addr).await?;
//! let info = client.info(RequestInfo::default()).await?;
//! handle.shutdown().await?;
//! # let _ = info; Ok(()) }
//! ```

pub mod addr;
pub mod application;
pub mod client;
pub mod codec;
pub mod error;
pub mod kind;
pub mod server;
pub mod sign_bytes;

pub use addr::ListenAddr;
pub use application::{dispatch, AppResult, Application};
pub use client::{AbciClient, ClientConfig};
pub use error::{AbciError, AppError};
pub use server::{Server, ServerConfig, ServerHandle};
pub use tokio_util::sync::CancellationToken;

/// The ABCI 2.0 message types of CometBFT v0.38 (`tendermint_proto::v0_38::abci`).
pub use tendermint_proto::v0_38::abci as types;
