//! Errors of the ABCI layer.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong on an ABCI connection: framing, decoding, addressing, IO, and
/// the peer answering with an exception or the wrong response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AbciError {
    /// The socket failed.
    #[error("ABCI socket I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// A frame's length prefix is larger than the configured limit.
    #[error("ABCI frame of {size} bytes exceeds the maximum message size of {max} bytes")]
    FrameTooLarge {
        /// Length announced by the prefix.
        size: u64,
        /// Configured limit.
        max: usize,
    },

    /// A length prefix did not end within the 10 bytes a 64-bit varint may take, or overflowed.
    #[error("ABCI frame length prefix is not a valid unsigned varint (more than 64 bits)")]
    VarintOverflow,

    /// The peer closed the connection in the middle of a frame.
    #[error(
        "ABCI connection closed in the middle of a frame: got {got} bytes, expected {expected}"
    )]
    Truncated {
        /// Bytes of the frame (prefix included) that arrived.
        got: usize,
        /// Bytes the frame needs (prefix included), or the prefix alone when it was cut short.
        expected: usize,
    },

    /// A frame's payload is not a valid protobuf message of the expected type.
    #[error("ABCI frame is not a valid protobuf {what}: {source}")]
    Decode {
        /// `Request` or `Response`.
        what: &'static str,
        /// What prost found wrong.
        source: prost::DecodeError,
    },

    /// A well-formed message carried no request/response kind we know (an empty message, or a
    /// field number of another ABCI version such as v0.37's BeginBlock).
    #[error("ABCI {what} carries no known message kind (empty, or from another ABCI version)")]
    UnknownKind {
        /// `Request` or `Response`.
        what: &'static str,
    },

    /// An address is neither `tcp://host:port`, `host:port` nor `unix://path`.
    #[error("invalid ABCI address {addr:?}: {reason}")]
    InvalidAddress {
        /// The address as given.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A unix socket path exists and is not a socket, so we refuse to replace it.
    #[error("refusing to bind ABCI unix socket at {0}: the path exists and is not a socket")]
    PathNotASocket(PathBuf),

    /// The peer answered with `Response::Exception`.
    #[error("ABCI peer answered with an exception: {0}")]
    Exception(String),

    /// The peer answered with a response of another kind than the request.
    #[error("ABCI peer answered a {expected} request with a {got} response")]
    UnexpectedResponse {
        /// Kind of the request sent.
        expected: &'static str,
        /// Kind of the response received.
        got: &'static str,
    },

    /// The peer closed the connection while a response was outstanding.
    #[error("ABCI connection closed by the peer while waiting for the {expected} response")]
    ConnectionClosed {
        /// Kind of the response that was expected.
        expected: &'static str,
    },

    /// An earlier error left this client connection unusable.
    #[error("ABCI client connection is unusable after an earlier error: {0}")]
    Poisoned(String),

    /// Connecting kept failing until the timeout.
    #[error("could not connect to the ABCI app at {addr} within {timeout:?}: {last_error}")]
    ConnectTimeout {
        /// Address tried.
        addr: String,
        /// Time budget.
        timeout: Duration,
        /// Error of the last attempt.
        last_error: String,
    },

    /// A server task could not be joined (it panicked or was aborted).
    #[error("ABCI server task failed: {0}")]
    Task(String),
}

/// An error returned by an [`Application`](crate::Application) method.
///
/// The server answers it with `Response::Exception` carrying [`AppError::message`] and closes
/// the connection: CometBFT then stops the node, which is the right reaction to an application
/// that cannot continue (for example a storage failure). A request the app merely rejects (a bad
/// transaction, a bad proposal) is not an `AppError`: it is a response with a non-zero code or a
/// `REJECT` status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    message: String,
}

impl AppError {
    /// An error with the given message.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
        }
    }

    /// The message sent to CometBFT in the exception.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for AppError {
    fn from(message: String) -> Self {
        Self { message }
    }
}

impl From<&str> for AppError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}
