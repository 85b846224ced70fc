//! The [`Application`] trait: one synchronous method per ABCI 2.0 request.

use tendermint_proto::v0_38::abci::{
    request, response, response_apply_snapshot_chunk, response_offer_snapshot,
    response_process_proposal, response_verify_vote_extension, RequestApplySnapshotChunk,
    RequestCheckTx, RequestCommit, RequestEcho, RequestExtendVote, RequestFinalizeBlock,
    RequestFlush, RequestInfo, RequestInitChain, RequestListSnapshots, RequestLoadSnapshotChunk,
    RequestOfferSnapshot, RequestPrepareProposal, RequestProcessProposal, RequestQuery,
    RequestVerifyVoteExtension, ResponseApplySnapshotChunk, ResponseCheckTx, ResponseCommit,
    ResponseEcho, ResponseExtendVote, ResponseFinalizeBlock, ResponseFlush, ResponseInfo,
    ResponseInitChain, ResponseListSnapshots, ResponseLoadSnapshotChunk, ResponseOfferSnapshot,
    ResponsePrepareProposal, ResponseProcessProposal, ResponseQuery, ResponseVerifyVoteExtension,
};

use crate::error::AppError;

/// What an [`Application`] method returns: the response, or an error that makes the server
/// answer `Response::Exception` and close the connection (CometBFT then halts).
pub type AppResult<T> = Result<T, AppError>;

/// An ABCI 2.0 application (CometBFT v0.38).
///
/// Methods are synchronous and take `&self`: the server calls them from a blocking thread, one
/// request at a time per connection, but the four connections CometBFT opens (query, snapshot,
/// mempool, consensus) run concurrently, so the app does its own locking. CometBFT's own Go
/// server holds one mutex across all connections; an app that wants that simply locks one mutex
/// in every method.
///
/// The methods without a default (`info`, `query`, `check_tx`, `finalize_block`, `commit`) are
/// the ones no real app can do without. The defaults follow CometBFT's `BaseApplication` where
/// that is a valid protocol answer, and refuse state sync (the app offers no snapshots).
pub trait Application: Send + Sync + 'static {
    /// `Echo` (every connection): returns the message.
    fn echo(&self, req: RequestEcho) -> AppResult<ResponseEcho> {
        Ok(ResponseEcho {
            message: req.message,
        })
    }

    /// `Flush`: called before the server answers a flush (all earlier responses are already
    /// queued). Nothing to do by default.
    fn flush(&self, _req: RequestFlush) -> AppResult<ResponseFlush> {
        Ok(ResponseFlush {})
    }

    /// `Info` (query connection, and at handshake): the last committed height and app hash.
    fn info(&self, req: RequestInfo) -> AppResult<ResponseInfo>;

    /// `InitChain` (consensus connection, once at genesis). The default keeps the genesis
    /// validators and consensus params and returns an empty app hash.
    fn init_chain(&self, _req: RequestInitChain) -> AppResult<ResponseInitChain> {
        Ok(ResponseInitChain::default())
    }

    /// `Query` (query connection).
    fn query(&self, req: RequestQuery) -> AppResult<ResponseQuery>;

    /// `CheckTx` (mempool connection).
    fn check_tx(&self, req: RequestCheckTx) -> AppResult<ResponseCheckTx>;

    /// Several `CheckTx` requests that CometBFT pipelined on the mempool connection (its socket
    /// client sends `CheckTxAsync` requests back to back and flushes them together): the server
    /// hands over the ones already received in one call, so an app can check them together
    /// (one round trip to an engine instead of one per tx). Must answer every request, in
    /// order, exactly as calling [`check_tx`](Self::check_tx) on each in turn would; the
    /// default does that.
    fn check_tx_batch(&self, reqs: Vec<RequestCheckTx>) -> AppResult<Vec<ResponseCheckTx>> {
        reqs.into_iter().map(|r| self.check_tx(r)).collect()
    }

    /// `PrepareProposal` (consensus connection, on the proposer). The default, as in
    /// `BaseApplication`, keeps the mempool's transactions in order while their total size stays
    /// within `max_tx_bytes`.
    fn prepare_proposal(&self, req: RequestPrepareProposal) -> AppResult<ResponsePrepareProposal> {
        let mut total: i64 = 0;
        let mut txs = Vec::with_capacity(req.txs.len());
        for tx in req.txs {
            let len = i64::try_from(tx.len()).unwrap_or(i64::MAX);
            total = total.saturating_add(len);
            if total > req.max_tx_bytes {
                break;
            }
            txs.push(tx);
        }
        Ok(ResponsePrepareProposal { txs })
    }

    /// `ProcessProposal` (consensus connection). The default accepts.
    fn process_proposal(&self, _req: RequestProcessProposal) -> AppResult<ResponseProcessProposal> {
        Ok(ResponseProcessProposal {
            status: response_process_proposal::ProposalStatus::Accept.into(),
        })
    }

    /// `ExtendVote` (consensus connection, when vote extensions are enabled). The default
    /// returns an empty extension.
    fn extend_vote(&self, _req: RequestExtendVote) -> AppResult<ResponseExtendVote> {
        Ok(ResponseExtendVote::default())
    }

    /// `VerifyVoteExtension` (consensus connection). The default accepts.
    fn verify_vote_extension(
        &self,
        _req: RequestVerifyVoteExtension,
    ) -> AppResult<ResponseVerifyVoteExtension> {
        Ok(ResponseVerifyVoteExtension {
            status: response_verify_vote_extension::VerifyStatus::Accept.into(),
        })
    }

    /// `FinalizeBlock` (consensus connection): execute the decided block.
    fn finalize_block(&self, req: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock>;

    /// `Commit` (consensus connection): persist the state `FinalizeBlock` produced.
    fn commit(&self, req: RequestCommit) -> AppResult<ResponseCommit>;

    /// `ListSnapshots` (snapshot connection). The default offers none.
    fn list_snapshots(&self, _req: RequestListSnapshots) -> AppResult<ResponseListSnapshots> {
        Ok(ResponseListSnapshots::default())
    }

    /// `OfferSnapshot` (snapshot connection). The default rejects.
    fn offer_snapshot(&self, _req: RequestOfferSnapshot) -> AppResult<ResponseOfferSnapshot> {
        Ok(ResponseOfferSnapshot {
            result: response_offer_snapshot::Result::Reject.into(),
        })
    }

    /// `LoadSnapshotChunk` (snapshot connection). The default returns an empty chunk.
    fn load_snapshot_chunk(
        &self,
        _req: RequestLoadSnapshotChunk,
    ) -> AppResult<ResponseLoadSnapshotChunk> {
        Ok(ResponseLoadSnapshotChunk::default())
    }

    /// `ApplySnapshotChunk` (snapshot connection). The default aborts state sync (it is never
    /// reached when every offer is rejected).
    fn apply_snapshot_chunk(
        &self,
        _req: RequestApplySnapshotChunk,
    ) -> AppResult<ResponseApplySnapshotChunk> {
        Ok(ResponseApplySnapshotChunk {
            result: response_apply_snapshot_chunk::Result::Abort.into(),
            ..Default::default()
        })
    }
}

/// Routes one request to the matching [`Application`] method and wraps the answer.
///
/// The server uses this; it is public so in-process drivers and tests can call an app exactly
/// as the socket would.
pub fn dispatch<A: Application + ?Sized>(
    app: &A,
    req: request::Value,
) -> AppResult<response::Value> {
    use request::Value as Q;
    use response::Value as R;
    Ok(match req {
        Q::Echo(r) => R::Echo(app.echo(r)?),
        Q::Flush(r) => R::Flush(app.flush(r)?),
        Q::Info(r) => R::Info(app.info(r)?),
        Q::InitChain(r) => R::InitChain(app.init_chain(r)?),
        Q::Query(r) => R::Query(app.query(r)?),
        Q::CheckTx(r) => R::CheckTx(app.check_tx(r)?),
        Q::Commit(r) => R::Commit(app.commit(r)?),
        Q::ListSnapshots(r) => R::ListSnapshots(app.list_snapshots(r)?),
        Q::OfferSnapshot(r) => R::OfferSnapshot(app.offer_snapshot(r)?),
        Q::LoadSnapshotChunk(r) => R::LoadSnapshotChunk(app.load_snapshot_chunk(r)?),
        Q::ApplySnapshotChunk(r) => R::ApplySnapshotChunk(app.apply_snapshot_chunk(r)?),
        Q::PrepareProposal(r) => R::PrepareProposal(app.prepare_proposal(r)?),
        Q::ProcessProposal(r) => R::ProcessProposal(app.process_proposal(r)?),
        Q::ExtendVote(r) => R::ExtendVote(app.extend_vote(r)?),
        Q::VerifyVoteExtension(r) => R::VerifyVoteExtension(app.verify_vote_extension(r)?),
        Q::FinalizeBlock(r) => R::FinalizeBlock(app.finalize_block(r)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use bytes::Bytes;

    struct Minimal;

    impl Application for Minimal {
        fn info(&self, _: RequestInfo) -> AppResult<ResponseInfo> {
            Ok(ResponseInfo::default())
        }
        fn query(&self, _: RequestQuery) -> AppResult<ResponseQuery> {
            Err(AppError::new("no queries"))
        }
        fn check_tx(&self, _: RequestCheckTx) -> AppResult<ResponseCheckTx> {
            Ok(ResponseCheckTx::default())
        }
        fn finalize_block(&self, _: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock> {
            Ok(ResponseFinalizeBlock::default())
        }
        fn commit(&self, _: RequestCommit) -> AppResult<ResponseCommit> {
            Ok(ResponseCommit::default())
        }
    }

    #[test]
    fn default_prepare_proposal_keeps_txs_within_max_tx_bytes() {
        let req = RequestPrepareProposal {
            max_tx_bytes: 5,
            txs: vec![
                Bytes::from_static(b"ab"),
                Bytes::from_static(b"cde"),
                Bytes::from_static(b"f"),
            ],
            ..Default::default()
        };
        let res = Minimal.prepare_proposal(req).unwrap();
        assert_eq!(
            res.txs,
            vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cde")]
        );
    }

    #[test]
    fn dispatch_answers_with_the_matching_kind() {
        let res = dispatch(
            &Minimal,
            request::Value::Echo(RequestEcho {
                message: "m".into(),
            }),
        )
        .unwrap();
        assert_eq!(
            res,
            response::Value::Echo(ResponseEcho {
                message: "m".into()
            })
        );
        let res = dispatch(&Minimal, request::Value::OfferSnapshot(Default::default())).unwrap();
        let response::Value::OfferSnapshot(offer) = res else {
            panic!("wrong kind: {res:?}");
        };
        assert_eq!(offer.result(), response_offer_snapshot::Result::Reject);
        let err = dispatch(&Minimal, request::Value::Query(Default::default())).unwrap_err();
        assert_eq!(err.message(), "no queries");
    }
}
