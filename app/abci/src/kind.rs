//! Names of request and response kinds, for logs and errors.

use tendermint_proto::v0_38::abci::{request, response};

/// The snake_case name of a request kind (`"check_tx"`, `"finalize_block"`, ...).
pub fn request_name(req: &request::Value) -> &'static str {
    use request::Value as Q;
    match req {
        Q::Echo(_) => "echo",
        Q::Flush(_) => "flush",
        Q::Info(_) => "info",
        Q::InitChain(_) => "init_chain",
        Q::Query(_) => "query",
        Q::CheckTx(_) => "check_tx",
        Q::Commit(_) => "commit",
        Q::ListSnapshots(_) => "list_snapshots",
        Q::OfferSnapshot(_) => "offer_snapshot",
        Q::LoadSnapshotChunk(_) => "load_snapshot_chunk",
        Q::ApplySnapshotChunk(_) => "apply_snapshot_chunk",
        Q::PrepareProposal(_) => "prepare_proposal",
        Q::ProcessProposal(_) => "process_proposal",
        Q::ExtendVote(_) => "extend_vote",
        Q::VerifyVoteExtension(_) => "verify_vote_extension",
        Q::FinalizeBlock(_) => "finalize_block",
    }
}

/// The snake_case name of a response kind (`"exception"`, `"check_tx"`, ...).
pub fn response_name(res: &response::Value) -> &'static str {
    use response::Value as R;
    match res {
        R::Exception(_) => "exception",
        R::Echo(_) => "echo",
        R::Flush(_) => "flush",
        R::Info(_) => "info",
        R::InitChain(_) => "init_chain",
        R::Query(_) => "query",
        R::CheckTx(_) => "check_tx",
        R::Commit(_) => "commit",
        R::ListSnapshots(_) => "list_snapshots",
        R::OfferSnapshot(_) => "offer_snapshot",
        R::LoadSnapshotChunk(_) => "load_snapshot_chunk",
        R::ApplySnapshotChunk(_) => "apply_snapshot_chunk",
        R::PrepareProposal(_) => "prepare_proposal",
        R::ProcessProposal(_) => "process_proposal",
        R::ExtendVote(_) => "extend_vote",
        R::VerifyVoteExtension(_) => "verify_vote_extension",
        R::FinalizeBlock(_) => "finalize_block",
    }
}
