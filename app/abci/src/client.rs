//! An async ABCI client: the CometBFT side of one connection, for the conductor and tests.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tendermint_proto::v0_38::abci::{
    request, response, Request, RequestApplySnapshotChunk, RequestCheckTx, RequestCommit,
    RequestEcho, RequestExtendVote, RequestFinalizeBlock, RequestFlush, RequestInfo,
    RequestInitChain, RequestListSnapshots, RequestLoadSnapshotChunk, RequestOfferSnapshot,
    RequestPrepareProposal, RequestProcessProposal, RequestQuery, RequestVerifyVoteExtension,
    ResponseApplySnapshotChunk, ResponseCheckTx, ResponseCommit, ResponseEcho, ResponseExtendVote,
    ResponseFinalizeBlock, ResponseInfo, ResponseInitChain, ResponseListSnapshots,
    ResponseLoadSnapshotChunk, ResponseOfferSnapshot, ResponsePrepareProposal,
    ResponseProcessProposal, ResponseQuery, ResponseVerifyVoteExtension,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};
use tokio_util::codec::Framed;

use crate::addr::ListenAddr;
use crate::codec::{ClientCodec, DEFAULT_MAX_MESSAGE_SIZE};
use crate::error::AbciError;
use crate::kind::{request_name, response_name};

/// A byte stream an ABCI connection runs on (TCP or unix socket).
trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

/// How [`AbciClient::connect_with`] connects.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Give up connecting after this long (the app may still be starting). Default 10 s.
    pub connect_timeout: Duration,
    /// Pause between connection attempts. Default 100 ms.
    pub retry_interval: Duration,
    /// Largest frame accepted or sent. Default [`DEFAULT_MAX_MESSAGE_SIZE`] (100 MiB).
    pub max_message_size: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            retry_interval: Duration::from_millis(100),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

/// One ABCI connection, driven the way CometBFT's socket client drives it for synchronous
/// calls: write the request, write a `Flush`, flush the socket, read the response and the
/// `ResponseFlush`.
///
/// CometBFT opens four of these (query, snapshot, mempool, consensus); open one client per
/// connection you want to play. After any error the connection is out of step with the server
/// (or closed by it), so every later call fails with [`AbciError::Poisoned`]; reconnect.
pub struct AbciClient {
    framed: Framed<Box<dyn Io>, ClientCodec>,
    addr: ListenAddr,
    poisoned: Option<String>,
}

impl std::fmt::Debug for AbciClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbciClient")
            .field("addr", &self.addr)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

/// Generates a typed helper that sends one request kind and unwraps the matching response.
macro_rules! typed_call {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $req:ty, $res:ty) => {
        $(#[$doc])*
        pub async fn $name(&mut self, req: $req) -> Result<$res, AbciError> {
            match self.call(request::Value::$variant(req)).await? {
                response::Value::$variant(res) => Ok(res),
                // `call` has already checked the kind; this arm only keeps the match total.
                other => Err(AbciError::UnexpectedResponse {
                    expected: stringify!($name),
                    got: response_name(&other),
                }),
            }
        }
    };
}

impl AbciClient {
    /// Connects to `addr` (`tcp://host:port`, `host:port` or `unix://path`), retrying for up to
    /// 10 s while the app is not listening yet.
    pub async fn connect(addr: &str) -> Result<Self, AbciError> {
        Self::connect_with(&ListenAddr::parse(addr)?, &ClientConfig::default()).await
    }

    /// Connects to `addr` with the given timeouts and size limit.
    pub async fn connect_with(addr: &ListenAddr, config: &ClientConfig) -> Result<Self, AbciError> {
        let mut last_error = String::from("no connection attempt finished");
        let attempts = async {
            loop {
                match open(addr).await {
                    Ok(io) => return io,
                    Err(err) => {
                        tracing::debug!(%addr, %err, "ABCI connect attempt failed; retrying");
                        last_error = err.to_string();
                        tokio::time::sleep(config.retry_interval).await;
                    }
                }
            }
        };
        let outcome = tokio::time::timeout(config.connect_timeout, attempts).await;
        let Ok(io) = outcome else {
            return Err(AbciError::ConnectTimeout {
                addr: addr.to_string(),
                timeout: config.connect_timeout,
                last_error,
            });
        };
        Ok(Self {
            framed: Framed::new(io, ClientCodec::new(config.max_message_size)),
            addr: addr.clone(),
            poisoned: None,
        })
    }

    /// The address this client is connected to.
    pub fn addr(&self) -> &ListenAddr {
        &self.addr
    }

    /// Sends `req` followed by a `Flush` and returns the response to `req`.
    ///
    /// A `Response::Exception` is [`AbciError::Exception`]; a response of another kind than the
    /// request is [`AbciError::UnexpectedResponse`]. Sending a `Flush` itself sends just that
    /// one and returns its `ResponseFlush`.
    pub async fn call(&mut self, req: request::Value) -> Result<response::Value, AbciError> {
        if let Some(reason) = &self.poisoned {
            return Err(AbciError::Poisoned(reason.clone()));
        }
        let result = self.exchange(req).await;
        match &result {
            // Refused before anything was written: the connection is still in step.
            Err(AbciError::FrameTooLarge { .. }) | Ok(_) => {}
            Err(err) => self.poisoned = Some(err.to_string()),
        }
        result
    }

    async fn exchange(&mut self, req: request::Value) -> Result<response::Value, AbciError> {
        let expected = request_name(&req);
        let is_flush = matches!(req, request::Value::Flush(_));
        let req = Request { value: Some(req) };
        // Encode first so an oversized request fails before any byte is queued.
        self.framed.feed(req).await?;
        if !is_flush {
            self.framed.feed(flush_request()).await?;
        }
        self.framed.flush().await?;
        let res = self.read_response(expected).await?;
        if !is_flush {
            self.read_response("flush").await?;
        }
        Ok(res)
    }

    /// Several requests pipelined as CometBFT's socket client sends them (`CheckTxAsync` for
    /// each, then one flush): all are written, then one flush, then every response is read in
    /// order. The responses come back in the requests' order; the first failure poisons the
    /// client as [`call`](Self::call) does.
    pub async fn call_pipelined(
        &mut self,
        reqs: Vec<request::Value>,
    ) -> Result<Vec<response::Value>, AbciError> {
        if let Some(reason) = &self.poisoned {
            return Err(AbciError::Poisoned(reason.clone()));
        }
        let result = self.exchange_pipelined(reqs).await;
        if let Err(err) = &result {
            if !matches!(err, AbciError::FrameTooLarge { .. }) {
                self.poisoned = Some(err.to_string());
            }
        }
        result
    }

    async fn exchange_pipelined(
        &mut self,
        reqs: Vec<request::Value>,
    ) -> Result<Vec<response::Value>, AbciError> {
        let expected: Vec<&'static str> = reqs.iter().map(request_name).collect();
        for req in reqs {
            self.framed.feed(Request { value: Some(req) }).await?;
        }
        self.framed.feed(flush_request()).await?;
        self.framed.flush().await?;
        let mut out = Vec::with_capacity(expected.len());
        for name in expected {
            out.push(self.read_response(name).await?);
        }
        self.read_response("flush").await?;
        Ok(out)
    }

    async fn read_response(
        &mut self,
        expected: &'static str,
    ) -> Result<response::Value, AbciError> {
        let res = match self.framed.next().await {
            None => return Err(AbciError::ConnectionClosed { expected }),
            Some(res) => res?,
        };
        match res.value {
            None => Err(AbciError::UnknownKind { what: "Response" }),
            Some(response::Value::Exception(e)) => Err(AbciError::Exception(e.error)),
            Some(value) if response_name(&value) == expected => Ok(value),
            Some(value) => Err(AbciError::UnexpectedResponse {
                expected,
                got: response_name(&value),
            }),
        }
    }

    /// Sends a lone `Flush` and waits for its response.
    pub async fn flush(&mut self) -> Result<(), AbciError> {
        self.call(request::Value::Flush(RequestFlush {}))
            .await
            .map(|_| ())
    }

    typed_call!(
        /// `Echo`.
        echo, Echo, RequestEcho, ResponseEcho
    );
    typed_call!(
        /// `Info`.
        info, Info, RequestInfo, ResponseInfo
    );
    typed_call!(
        /// `InitChain`.
        init_chain, InitChain, RequestInitChain, ResponseInitChain
    );
    typed_call!(
        /// `Query`.
        query, Query, RequestQuery, ResponseQuery
    );
    typed_call!(
        /// `CheckTx`.
        check_tx, CheckTx, RequestCheckTx, ResponseCheckTx
    );
    typed_call!(
        /// `PrepareProposal`.
        prepare_proposal, PrepareProposal, RequestPrepareProposal, ResponsePrepareProposal
    );
    typed_call!(
        /// `ProcessProposal`.
        process_proposal, ProcessProposal, RequestProcessProposal, ResponseProcessProposal
    );
    typed_call!(
        /// `ExtendVote`.
        extend_vote, ExtendVote, RequestExtendVote, ResponseExtendVote
    );
    typed_call!(
        /// `VerifyVoteExtension`.
        verify_vote_extension,
        VerifyVoteExtension,
        RequestVerifyVoteExtension,
        ResponseVerifyVoteExtension
    );
    typed_call!(
        /// `FinalizeBlock`.
        finalize_block, FinalizeBlock, RequestFinalizeBlock, ResponseFinalizeBlock
    );
    typed_call!(
        /// `Commit`.
        commit, Commit, RequestCommit, ResponseCommit
    );
    typed_call!(
        /// `ListSnapshots`.
        list_snapshots, ListSnapshots, RequestListSnapshots, ResponseListSnapshots
    );
    typed_call!(
        /// `OfferSnapshot`.
        offer_snapshot, OfferSnapshot, RequestOfferSnapshot, ResponseOfferSnapshot
    );
    typed_call!(
        /// `LoadSnapshotChunk`.
        load_snapshot_chunk,
        LoadSnapshotChunk,
        RequestLoadSnapshotChunk,
        ResponseLoadSnapshotChunk
    );
    typed_call!(
        /// `ApplySnapshotChunk`.
        apply_snapshot_chunk,
        ApplySnapshotChunk,
        RequestApplySnapshotChunk,
        ResponseApplySnapshotChunk
    );
}

fn flush_request() -> Request {
    Request {
        value: Some(request::Value::Flush(RequestFlush {})),
    }
}

/// Opens one stream to `addr`.
async fn open(addr: &ListenAddr) -> Result<Box<dyn Io>, AbciError> {
    Ok(match addr {
        ListenAddr::Tcp(hostport) => {
            let stream = TcpStream::connect(hostport.as_str()).await?;
            // Requests are small and flushed explicitly; Nagle would only add latency.
            stream.set_nodelay(true)?;
            Box::new(stream)
        }
        ListenAddr::Unix(path) => Box::new(UnixStream::connect(path).await?),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_can_move_between_tasks_and_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::AbciClient>();
    }
}
