//! The engine API server: JSON-RPC 2.0 over HTTP/1.1 (axum on hyper), `POST /`, JWT required.
//!
//! ```text
//! let server = AuthRpcServer::bind(addr, engine, secret, ServerConfig::default()).await?;
//! let port = server.local_addr().port();      // tests bind port 0
//! server.run(shutdown_signal).await?;         // or: let handle = server.spawn();
//! ```
//!
//! Per request: the JWT is checked first (HTTP 401 with `{"error":"unauthorized","reason":…}`,
//! before the body is read), then the body is read up to [`ServerConfig::max_body_bytes`] (HTTP
//! 413 with a JSON-RPC -32600 error beyond it), then the request or batch is handled on tokio's
//! blocking pool, because [`Engine`] methods are synchronous and may block on fsync.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bttc_engine_api::Engine;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::dispatch::{handle_body, response};
use crate::jwt::{unix_now, JwtSecret};
use crate::wire::{code, RpcError};

/// The engine API's conventional address: loopback, port 8551.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8551));

/// Limits of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes (default 16 MiB: a full block of transactions
    /// in hex is a few MiB).
    pub max_body_bytes: usize,
    /// Most requests in one batch (default 1024).
    pub max_batch_len: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_len: 1024,
        }
    }
}

/// The server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot bind the engine API server to {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The IO error.
        source: std::io::Error,
    },
    /// Accepting or serving connections failed.
    #[error("engine API server on {addr} failed: {source}")]
    Serve {
        /// The bound address.
        addr: SocketAddr,
        /// The IO error.
        source: std::io::Error,
    },
    /// The spawned server task panicked or was cancelled.
    #[error("engine API server task on {addr} did not finish: {reason}")]
    Task {
        /// The bound address.
        addr: SocketAddr,
        /// The join error.
        reason: String,
    },
}

struct Shared {
    engine: Arc<dyn Engine>,
    secret: JwtSecret,
    config: ServerConfig,
}

/// A bound, not yet running engine API server.
pub struct AuthRpcServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
}

impl std::fmt::Debug for AuthRpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRpcServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl AuthRpcServer {
    /// Binds `listen` (port 0 picks a free port; see [`Self::local_addr`]). Serving starts with
    /// [`Self::run`] or [`Self::spawn`]. A non-loopback address is allowed (the JWT guards it)
    /// but logged as a warning.
    pub async fn bind(
        listen: SocketAddr,
        engine: Arc<dyn Engine>,
        secret: JwtSecret,
        config: ServerConfig,
    ) -> Result<Self, ServerError> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: listen,
            source,
        })?;
        if !local_addr.ip().is_loopback() {
            tracing::warn!(%local_addr, "engine API listens beyond loopback; only the JWT protects it");
        }
        let shared = Arc::new(Shared {
            engine,
            secret,
            config,
        });
        let router = Router::new()
            .route("/", post(handle))
            .layer(DefaultBodyLimit::disable())
            .with_state(shared);
        Ok(Self {
            listener,
            local_addr,
            router,
        })
    }

    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and returns.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = self.local_addr;
        tracing::info!(%addr, "engine API server listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| ServerError::Serve { addr, source })?;
        tracing::info!(%addr, "engine API server stopped");
        Ok(())
    }

    /// Spawns the server on the current tokio runtime (call from within one). Dropping the
    /// returned handle stops the server, as does [`ServerHandle::stop`].
    pub fn spawn(self) -> ServerHandle {
        let local_addr = self.local_addr;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run(async move {
            // Either an explicit stop or a dropped handle ends the server.
            let _ = stopped.await;
        }));
        ServerHandle {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        }
    }
}

/// Binds `listen` with the default [`ServerConfig`] and serves `engine` until `shutdown`
/// completes.
pub async fn serve(
    engine: Arc<dyn Engine>,
    listen: SocketAddr,
    secret: JwtSecret,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    AuthRpcServer::bind(listen, engine, secret, ServerConfig::default())
        .await?
        .run(shutdown)
        .await
}

/// A running server. Dropping it stops the server (without waiting).
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl ServerHandle {
    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<local address>`, what [`crate::AuthRpcClient::connect`] takes.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops accepting, finishes in-flight requests and waits for the server to end.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(|e| ServerError::Task {
                addr: self.local_addr,
                reason: e.to_string(),
            })?,
            None => Ok(()),
        }
    }
}

fn unauthorized(reason: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "unauthorized", "reason": reason })),
    )
        .into_response()
}

fn rpc_error(status: StatusCode, err: RpcError) -> Response {
    (status, Json(response(Value::Null, Err(err)))).into_response()
}

enum BodyError {
    TooLarge(usize),
    Read(String),
}

/// Reads the body, refusing more than `limit` bytes as soon as it is exceeded.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared {
        if len > limit {
            return Err(BodyError::TooLarge(len));
        }
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyError::Read(e.to_string()))?;
        let total = out.len().saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge(total));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let auth = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    if let Err(e) = shared.secret.validate_header(auth, unix_now()) {
        tracing::warn!(reason = %e, "engine API request refused: bad JWT");
        return unauthorized(&e.to_string());
    }
    let limit = shared.config.max_body_bytes;
    let bytes = match read_body(&headers, body, limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge(n)) => {
            tracing::warn!(size = n, limit, "engine API request body too large");
            return rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                RpcError::new(
                    code::INVALID_REQUEST,
                    format!("request body of at least {n} bytes exceeds the {limit}-byte limit"),
                ),
            );
        }
        Err(BodyError::Read(e)) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                RpcError::new(
                    code::PARSE_ERROR,
                    format!("cannot read the request body: {e}"),
                ),
            )
        }
    };
    let engine = Arc::clone(&shared.engine);
    let max_batch = shared.config.max_batch_len;
    let answer =
        tokio::task::spawn_blocking(move || handle_body(engine.as_ref(), &bytes, max_batch)).await;
    match answer {
        Ok(Some(value)) => (StatusCode::OK, Json(value)).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => rpc_error(
            StatusCode::OK,
            RpcError::new(
                code::INTERNAL_ERROR,
                format!("the request handler did not finish: {e}"),
            ),
        ),
    }
}
