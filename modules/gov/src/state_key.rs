//! Every state key of the gov module (changing one is a migration).
//!
//! | key | value |
//! | --- | --- |
//! | `gov/params` | [`crate::Params`] (JSON) |
//! | `gov/next-id` | the next proposal id, u64 BE (genesis writes it; absent = 1) |
//! | `gov/proposal/<id: u64 BE>` | a [`crate::Proposal`] (JSON) |
//! | `gov/deposit/<id: u64 BE>/<depositor: 20 bytes>` | a [`crate::Deposit`] (JSON), open proposals only |
//! | `gov/vote/<id: u64 BE>/<validator id: u64 BE>` | a [`crate::Vote`] (JSON), proposals in voting only |
//! | `gov/deposit-queue/<deposit end height: u64 BE>/<id: u64 BE>` | the id, u64 BE: proposals in their deposit period |
//! | `gov/voting-queue/<voting end height: u64 BE>/<id: u64 BE>` | the id, u64 BE: proposals in their voting period |
//! | `gov/upgrade-plan` | the scheduled [`crate::Plan`] (JSON), at most one |
//! | `gov/upgrade-done/<name>` | the height at which the named upgrade ran, u64 BE |
//!
//! The queues are indexes derived from the proposals (genesis rebuilds them): the end block of
//! height H reads exactly the bucket `…-queue/<H BE>/`.

use delivery_module::codec;
use delivery_module::crypto::Address;

/// Params (JSON).
pub const PARAMS: &[u8] = b"gov/params";
/// The next proposal id.
pub const NEXT_ID: &[u8] = b"gov/next-id";
/// Prefix of proposals by id.
pub const PROPOSAL_PREFIX: &[u8] = b"gov/proposal/";
/// Prefix of deposits.
pub const DEPOSIT_PREFIX: &[u8] = b"gov/deposit/";
/// Prefix of votes.
pub const VOTE_PREFIX: &[u8] = b"gov/vote/";
/// Prefix of the deposit-period queue.
pub const DEPOSIT_QUEUE_PREFIX: &[u8] = b"gov/deposit-queue/";
/// Prefix of the voting-period queue.
pub const VOTING_QUEUE_PREFIX: &[u8] = b"gov/voting-queue/";
/// The scheduled upgrade plan.
pub const UPGRADE_PLAN: &[u8] = b"gov/upgrade-plan";
/// Prefix of done upgrades by name.
pub const UPGRADE_DONE_PREFIX: &[u8] = b"gov/upgrade-done/";
/// Everything the module owns starts with this.
pub const MODULE_PREFIX: &[u8] = b"gov/";

/// `gov/proposal/<id BE>`.
pub fn proposal(id: u64) -> Vec<u8> {
    codec::key(&[PROPOSAL_PREFIX, &codec::be_u64(id)])
}

/// `gov/deposit/<id BE>/`: one proposal's deposits.
pub fn deposits_of(id: u64) -> Vec<u8> {
    codec::key(&[DEPOSIT_PREFIX, &codec::be_u64(id), b"/"])
}

/// `gov/deposit/<id BE>/<depositor>`.
pub fn deposit(id: u64, depositor: &Address) -> Vec<u8> {
    codec::key(&[
        DEPOSIT_PREFIX,
        &codec::be_u64(id),
        b"/",
        depositor.as_bytes(),
    ])
}

/// `gov/vote/<id BE>/`: one proposal's votes.
pub fn votes_of(id: u64) -> Vec<u8> {
    codec::key(&[VOTE_PREFIX, &codec::be_u64(id), b"/"])
}

/// `gov/vote/<id BE>/<validator id BE>`.
pub fn vote(id: u64, validator_id: u64) -> Vec<u8> {
    codec::key(&[
        VOTE_PREFIX,
        &codec::be_u64(id),
        b"/",
        &codec::be_u64(validator_id),
    ])
}

/// `gov/deposit-queue/<height BE>/`: proposals whose deposit period ends at `height`.
pub fn deposit_queue_at(height: u64) -> Vec<u8> {
    codec::key(&[DEPOSIT_QUEUE_PREFIX, &codec::be_u64(height), b"/"])
}

/// `gov/deposit-queue/<height BE>/<id BE>`.
pub fn deposit_queue(height: u64, id: u64) -> Vec<u8> {
    codec::key(&[deposit_queue_at(height).as_slice(), &codec::be_u64(id)])
}

/// `gov/voting-queue/<height BE>/`: proposals whose voting period ends at `height`.
pub fn voting_queue_at(height: u64) -> Vec<u8> {
    codec::key(&[VOTING_QUEUE_PREFIX, &codec::be_u64(height), b"/"])
}

/// `gov/voting-queue/<height BE>/<id BE>`.
pub fn voting_queue(height: u64, id: u64) -> Vec<u8> {
    codec::key(&[voting_queue_at(height).as_slice(), &codec::be_u64(id)])
}

/// `gov/upgrade-done/<name>`.
pub fn upgrade_done(name: &str) -> Vec<u8> {
    codec::key(&[UPGRADE_DONE_PREFIX, name.as_bytes()])
}
