//! Reading the node's store through the app's own query handler, and the REST error type.
//!
//! A [`Reader`] asks `delivery_app::query::handle` (the function the ABCI `Query` calls) the
//! `custom/...` paths, all at one height: the `?height` asked for, else the latest committed
//! height read when the request started. A rejected query's `(codespace, code)` decides the
//! HTTP status: [`status_of`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use delivery_module::ErrorCode;
use delivery_store::Storage;
use serde_json::Value;
use tendermint_proto::v0_38::abci as pb;

/// What the store error of an iteration at a past height says (`StoreError::HistoricalIteration`).
const HISTORICAL_ITERATION: &str = "historical iteration is not supported";

/// A REST failure: its HTTP status and the message of the `{"error": "..."}` body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// 400: a malformed path segment or query parameter (the message says what was expected).
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such route, or the thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 405: a route exists but answers GET only.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 503: the node has no committed block yet.
    #[error("{0}")]
    Unavailable(String),
    /// 500: the store or the app failed.
    #[error("{0}")]
    Internal(String),
    /// A list query met a commit between reading the latest height and iterating (or was asked
    /// for a past height): retried at the new latest height, else a 400.
    #[error("{0}")]
    HistoricalIteration(String),
}

impl RestError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            RestError::BadRequest(_) | RestError::HistoricalIteration(_) => StatusCode::BAD_REQUEST,
            RestError::NotFound(_) => StatusCode::NOT_FOUND,
            RestError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            RestError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            RestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            axum::Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

/// How a rejected query maps to HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 404.
    NotFound,
    /// 400.
    BadRequest,
    /// 500.
    Internal,
}

fn code_of<E: ErrorCode>(error: &E) -> (&'static str, u32) {
    (E::CODESPACE, error.code())
}

/// The `(codespace, code)` pairs that mean "no such thing" (404).
fn not_found_codes() -> Vec<(&'static str, u32)> {
    use delivery_module::error::sdk;
    vec![
        (sdk::CODESPACE, sdk::UNKNOWN_ADDRESS),
        code_of(&delivery_staking::StakingError::UnknownValidator(0)),
        code_of(&delivery_staking::StakingError::UnknownSigner(
            delivery_module::Address::default(),
        )),
        code_of(&delivery_span::SpanError::NoSpan { height: 0 }),
        code_of(&delivery_span::SpanError::UnknownSpan(0)),
        code_of(&delivery_span::SpanError::Dormant),
        code_of(&delivery_clerk::ClerkError::UnknownRecord(String::new())),
        code_of(&delivery_checkpoint::CheckpointError::NotFound(
            String::new(),
        )),
        code_of(&delivery_checkpoint::CheckpointError::UnknownRootChain(
            String::new(),
        )),
        code_of(&delivery_gov::GovError::UnknownProposal(0)),
        code_of(&delivery_gov::GovError::UnknownVote {
            id: 0,
            voter: String::new(),
        }),
        code_of(&delivery_rootchain::RootChainError::UnknownChain(
            String::new(),
        )),
        // `custom/bttc/block` (app/app/src/query.rs): "no such BTTC block".
        ("bttc", 3),
    ]
}

/// The `(codespace, code)` pairs that mean "malformed argument" (400).
fn bad_request_codes() -> Vec<(&'static str, u32)> {
    use delivery_module::error::sdk;
    vec![
        (sdk::CODESPACE, sdk::INVALID_ADDRESS),
        (sdk::CODESPACE, sdk::INVALID_REQUEST),
        code_of(&delivery_staking::StakingError::BadQuery(String::new())),
        code_of(&delivery_staking::StakingError::InvalidAddress {
            field: "",
            value: String::new(),
        }),
        code_of(&delivery_span::SpanError::BadQuery(String::new())),
        code_of(&delivery_clerk::ClerkError::BadQuery(String::new())),
        code_of(&delivery_checkpoint::CheckpointError::BadQuery(
            String::new(),
        )),
        code_of(&delivery_gov::GovError::BadQuery(String::new())),
        code_of(&delivery_rootchain::RootChainError::BadQuery(String::new())),
        code_of(&delivery_rootchain::RootChainError::BadAddress(
            String::new(),
        )),
        code_of(&delivery_rootchain::RootChainError::Invalid(String::new())),
        // `custom/bttc/block` (app/app/src/query.rs): "expected a BTTC block number".
        ("bttc", 2),
    ]
}

/// The class of a rejected query; `extra_not_found` are codes one route also reads as 404.
pub fn status_of(codespace: &str, code: u32, extra_not_found: &[(&str, u32)]) -> Class {
    let is = |list: &[(&str, u32)]| list.iter().any(|(s, c)| *s == codespace && *c == code);
    if is(extra_not_found) || is(&not_found_codes()) {
        Class::NotFound
    } else if is(&bad_request_codes()) {
        Class::BadRequest
    } else {
        Class::Internal
    }
}

/// Reads at one height of the store.
pub struct Reader {
    storage: Storage,
    /// The height every query of this request reads.
    height: u64,
    /// True when the client named the height (`?height=N`).
    explicit: bool,
    /// Codes the current route reads as 404 besides the common ones.
    extra_not_found: &'static [(&'static str, u32)],
}

impl Reader {
    /// A reader at `requested` (`None` or `Some(0)`: the latest committed height). Fails with
    /// 503 before the first block, 400 above the latest height, 404 below the earliest kept.
    pub fn new(storage: Storage, requested: Option<u64>) -> Result<Self, RestError> {
        let Some((latest, _)) = storage.latest() else {
            return Err(RestError::Unavailable(
                "no block committed yet: the node has not finished InitChain and a first block"
                    .into(),
            ));
        };
        let (height, explicit) = match requested {
            None | Some(0) => (latest, false),
            Some(h) if h > latest => {
                return Err(RestError::BadRequest(format!(
                    "height {h} is above the latest committed height {latest}"
                )))
            }
            Some(h) => {
                let earliest = storage.earliest().unwrap_or(latest);
                if h < earliest {
                    return Err(RestError::NotFound(format!(
                        "height {h} is pruned: this node keeps heights {earliest}..={latest} \
                         (app.toml [store] pruning_keep_recent)"
                    )));
                }
                (h, true)
            }
        };
        Ok(Self {
            storage,
            height,
            explicit,
            extra_not_found: &[],
        })
    }

    /// The height this reader reads.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The store.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Whether the client named the height.
    pub fn explicit(&self) -> bool {
        self.explicit
    }

    /// Codes the current route also reads as 404.
    pub fn set_extra_not_found(&mut self, codes: &'static [(&'static str, u32)]) {
        self.extra_not_found = codes;
    }

    /// The JSON answer of the query `path` with `data`.
    pub fn json(&self, path: &str, data: &[u8]) -> Result<Value, RestError> {
        let request = pb::RequestQuery {
            data: data.to_vec().into(),
            path: path.to_owned(),
            height: i64::try_from(self.height).map_err(|_| {
                RestError::BadRequest(format!("height {} does not fit an int64", self.height))
            })?,
            prove: false,
        };
        let answer = delivery_app::query::handle(&self.storage, request)
            .map_err(|e| RestError::Internal(format!("query {path}: {e}")))?;
        if answer.code != 0 {
            return Err(self.rejection(path, &answer));
        }
        serde_json::from_slice(&answer.value).map_err(|e| {
            RestError::Internal(format!(
                "query {path} answered something that is not JSON: {e}"
            ))
        })
    }

    fn rejection(&self, path: &str, answer: &pb::ResponseQuery) -> RestError {
        let log = answer.log.clone();
        if log.contains(HISTORICAL_ITERATION) {
            return RestError::HistoricalIteration(format!(
                "this route lists entries, which the store keeps for the latest height only: \
                 drop ?height (asked for {}, latest is {})",
                self.height,
                self.storage.latest().map_or(0, |(h, _)| h)
            ));
        }
        match status_of(&answer.codespace, answer.code, self.extra_not_found) {
            Class::NotFound => RestError::NotFound(log),
            Class::BadRequest => RestError::BadRequest(log),
            Class::Internal => RestError::Internal(format!(
                "query {path} failed ({}/{}): {log}",
                answer.codespace, answer.code
            )),
        }
    }
}
