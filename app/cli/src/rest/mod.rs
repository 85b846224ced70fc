//! The REST API of `deliveryd start --rest [ADDR]` (or app.toml `[rest] enabled = true`):
//! read-only JSON over the node's committed state, on 127.0.0.1:1317 by default.
//!
//! Every answer comes from `delivery_app::query::handle`, the function the ABCI `Query`
//! answers with, called in process on the node's own [`Storage`]: REST and ABCI cannot
//! disagree. A request reads one committed version (the `?height` asked for, else the latest
//! when it starts) through a store snapshot, on a blocking thread, at most
//! [`MAX_CONCURRENT_READS`] at a time: it never holds a lock consensus waits on.
//!
//! Paths are heimdall v1's where heimdall has the read; answers are wrapped as heimdall's are,
//! `{"height": "<n>", "result": <json>}`; errors are `{"error": "..."}` with 400 (malformed
//! parameter), 404 (not found, or pruned height), 405, 500 or 503 (no block yet). The routes
//! are the table in [`routes::ROUTES`], which also generates `/openapi.json`. See `docs/rest.md`.

mod openapi;
mod reader;
mod routes;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::rejection::{QueryRejection, RawPathParamsRejection};
use axum::extract::{Query, RawPathParams, State};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use delivery_abci::CancellationToken;
use delivery_store::Storage;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use reader::{Reader, RestError};
use routes::{Args, Backend, In, Kind, Route, ROUTES};

/// The address `--rest` without a value, and app.toml's default, listen on.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:1317";

/// At most this many requests read the store at once (each on a blocking thread), so that a
/// flood of requests cannot take the blocking threads the rest of the node uses.
pub const MAX_CONCURRENT_READS: usize = 16;

/// How many times a read at the latest height that met a commit mid-list is retried.
const LATEST_RETRIES: usize = 3;

/// The longest parameter value an error message repeats.
const SHOWN_CHARS: usize = 64;

#[derive(Clone)]
struct AppState {
    storage: Storage,
    permits: Arc<Semaphore>,
    openapi: Arc<Value>,
}

/// The router over `storage`: every route of [`ROUTES`], a JSON 404 for any other path and a
/// JSON 405 for any other method.
pub fn router(storage: Storage) -> Router {
    let state = AppState {
        storage,
        permits: Arc::new(Semaphore::new(MAX_CONCURRENT_READS)),
        openapi: Arc::new(openapi::document()),
    };
    let mut router = Router::new();
    for route in ROUTES {
        router = router.route(
            route.path,
            get(
                move |State(state): State<AppState>,
                      path: Result<RawPathParams, RawPathParamsRejection>,
                      query: Result<Query<Vec<(String, String)>>, QueryRejection>| {
                    serve(route, state, path, query)
                },
            ),
        );
    }
    router
        .fallback(no_route)
        .method_not_allowed_fallback(not_allowed)
        .with_state(state)
}

async fn no_route(method: Method, uri: Uri) -> Response {
    RestError::NotFound(format!(
        "no route {method} {}: the routes are listed at /openapi.json",
        shown(uri.path())
    ))
    .into_response()
}

async fn not_allowed(method: Method, uri: Uri) -> Response {
    RestError::MethodNotAllowed(format!(
        "{method} {}: this API is read-only and answers GET only",
        shown(uri.path())
    ))
    .into_response()
}

fn shown(text: &str) -> String {
    let mut s: String = text.chars().take(SHOWN_CHARS).collect();
    if text.chars().nth(SHOWN_CHARS).is_some() {
        s.push('…');
    }
    s
}

async fn serve(
    route: &'static Route,
    state: AppState,
    path: Result<RawPathParams, RawPathParamsRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    if let Backend::OpenApi = route.backend {
        if let Ok(Query(pairs)) = &query {
            if let Some((key, _)) = pairs.first() {
                return RestError::BadRequest(format!(
                    "unknown query parameter {:?}: {} takes none",
                    shown(key),
                    route.path
                ))
                .into_response();
            }
        }
        return Json(state.openapi.as_ref().clone()).into_response();
    }
    let path: Vec<(String, String)> = match path {
        Ok(params) => params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        // A route without parameters has none to extract.
        Err(RawPathParamsRejection::MissingPathParams(_)) => Vec::new(),
        Err(e) => {
            return RestError::BadRequest(format!("bad path: {}", e.body_text())).into_response()
        }
    };
    let query = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => {
            return RestError::BadRequest(format!("bad query string: {}", e.body_text()))
                .into_response()
        }
    };
    let (args, height) = match validate(route, &path, &query) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Ok(permit) = Arc::clone(&state.permits).acquire_owned().await else {
        return RestError::Unavailable("the REST server is shutting down".into()).into_response();
    };
    let storage = state.storage.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        answer(route, &storage, height, &args)
    })
    .await;
    match answered {
        Ok(Ok((height, result))) => {
            Json(json!({ "height": height.to_string(), "result": result })).into_response()
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => RestError::Internal(format!("the read failed: {e}")).into_response(),
    }
}

/// Answers `route` at `height` (`None`: the latest), retrying a latest-height read that met a
/// commit while listing.
fn answer(
    route: &Route,
    storage: &Storage,
    height: Option<u64>,
    args: &Args,
) -> Result<(u64, Value), RestError> {
    let mut attempt = 0;
    loop {
        let mut reader = Reader::new(storage.clone(), height)?;
        reader.set_extra_not_found(route.not_found);
        match run(route, args, &reader) {
            Err(RestError::HistoricalIteration(_))
                if !reader.explicit() && attempt < LATEST_RETRIES =>
            {
                attempt = attempt.saturating_add(1);
            }
            Err(RestError::HistoricalIteration(m)) => return Err(RestError::BadRequest(m)),
            other => return other.map(|v| (reader.height(), v)),
        }
    }
}

fn run(route: &Route, args: &Args, reader: &Reader) -> Result<Value, RestError> {
    match route.backend {
        Backend::Query { path, data } => {
            let mut query_path = path.to_owned();
            for param in route.params {
                let placeholder = format!("{{{}}}", param.name);
                if query_path.contains(&placeholder) {
                    query_path = query_path.replace(&placeholder, args.required(param.name)?);
                }
            }
            let data = match data {
                Some(name) => args.required(name)?.as_bytes(),
                None => &[],
            };
            reader.json(&query_path, data)
        }
        Backend::Fn(handler) => handler(args, reader),
        Backend::OpenApi => Err(RestError::Internal(
            "the OpenAPI route reads no state".into(),
        )),
    }
}

/// Checks the path and query parameters against the route's declaration; answers them with
/// defaults filled in, and the `?height`.
fn validate(
    route: &Route,
    path: &[(String, String)],
    query: &[(String, String)],
) -> Result<(Args, Option<u64>), RestError> {
    let mut args = Args::default();
    for param in route.params.iter().filter(|p| p.location == In::Path) {
        let value = path
            .iter()
            .find(|(k, _)| k == param.name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| {
                RestError::Internal(format!(
                    "route table bug: {} has no path parameter {}",
                    route.path, param.name
                ))
            })?;
        check(param.name, value, param.kind)?;
        args.push(param.name, value.to_owned());
    }
    let allowed: Vec<&str> = route
        .params
        .iter()
        .filter(|p| p.location == In::Query)
        .map(|p| p.name)
        .chain(Some("height"))
        .collect();
    for (i, (key, _)) in query.iter().enumerate() {
        if !allowed.contains(&key.as_str()) {
            return Err(RestError::BadRequest(format!(
                "unknown query parameter {:?}: {} takes {}",
                shown(key),
                route.path,
                allowed.join(", ")
            )));
        }
        if query
            .iter()
            .skip(i.saturating_add(1))
            .any(|(k, _)| k == key)
        {
            return Err(RestError::BadRequest(format!(
                "query parameter {key} is given twice: expected it once"
            )));
        }
    }
    let value_of = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    for param in route.params.iter().filter(|p| p.location == In::Query) {
        match (value_of(param.name), param.default) {
            (Some(value), _) => {
                check(param.name, value, param.kind)?;
                args.push(param.name, value.to_owned());
            }
            (None, Some(default)) => args.push(param.name, default.to_owned()),
            (None, None) => {
                return Err(RestError::BadRequest(format!(
                    "query parameter {} is required",
                    param.name
                )))
            }
        }
    }
    let height = match value_of("height") {
        Some(text) => {
            check("height", text, Kind::U64)?;
            Some(text.parse::<u64>().map_err(|_| {
                RestError::BadRequest(format!(
                    "height {:?}: expected a decimal number",
                    shown(text)
                ))
            })?)
        }
        None => None,
    };
    Ok((args, height))
}

fn is_decimal(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 20
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u64>().is_ok()
}

fn is_address(text: &str) -> bool {
    text.parse::<delivery_module::Address>().is_ok()
}

/// Checks one parameter value; the error names the parameter and what was expected.
fn check(name: &str, value: &str, kind: Kind) -> Result<(), RestError> {
    let bad = |expected: String| {
        Err(RestError::BadRequest(format!(
            "{name} {:?}: expected {expected}",
            shown(value)
        )))
    };
    match kind {
        Kind::U64 if is_decimal(value) => Ok(()),
        Kind::U64 => bad(format!("a decimal number 0..={}", u64::MAX)),
        Kind::Address if is_address(value) => Ok(()),
        Kind::Address => bad("a 0x address: 0x and 40 hex digits".into()),
        Kind::RootChain => match delivery_rootchain::check_chain_name(value) {
            Ok(()) => Ok(()),
            Err(_) => bad("a root chain name: 1-16 lowercase letters or digits".into()),
        },
        Kind::Voter if is_decimal(value) || is_address(value) => Ok(()),
        Kind::Voter => bad("a validator id (decimal) or a 0x signer address".into()),
        Kind::Name
            if (1..=64).contains(&value.len())
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) =>
        {
            Ok(())
        }
        Kind::Name => bad("1-64 ASCII letters, digits, '.', '_' or '-'".into()),
        Kind::OneOf(words) if words.contains(&value) => Ok(()),
        Kind::OneOf(words) => bad(format!("one of {}", words.join(", "))),
    }
}

/// A bound REST server.
pub struct RestServer {
    listener: tokio::net::TcpListener,
    storage: Storage,
}

impl RestServer {
    /// Binds `address` (a bind failure is the error: "address in use", "permission denied").
    pub async fn bind(address: SocketAddr, storage: Storage) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("the REST API cannot listen on {address}"))?;
        Ok(Self { listener, storage })
    }

    /// The address it listens on (the port the OS chose for port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("the REST listener's address")
    }

    /// Serves until `token` is cancelled.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        axum::serve(self.listener, router(self.storage))
            .with_graceful_shutdown(token.cancelled_owned())
            .await
            .context("REST server")
    }
}

/// Binds the REST server on `address`, logs it, and serves it on the current runtime until
/// `token` is cancelled.
pub async fn spawn(
    address: SocketAddr,
    storage: Storage,
    token: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let server = RestServer::bind(address, storage).await?;
    let local = server.local_addr()?;
    tracing::info!(address = %local, "REST API listening: http://{local}/status, routes at http://{local}/openapi.json");
    Ok(tokio::spawn(async move {
        if let Err(e) = server.run(token).await {
            tracing::error!("REST API stopped: {e:#}");
        }
    }))
}
