//! Test helpers: deterministic keys, validators, msgs and a one-module chain.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use delivery_module::crypto::{Address, SecretKey};
use delivery_module::{BlockInfo, Context, Event, ExecError, ExecMode, SideMsgHandler};
use delivery_rootchain::RootEvent;
use delivery_store::{EmptyState, StateDelta};

use crate::genesis::{self, Genesis};
use crate::msg::{MsgSignerUpdate, MsgStakeUpdate, MsgValidatorExit, MsgValidatorJoin};
use crate::params::Params;
use crate::types::{PowerUpdate, Validator, ATTO_PER_BTT};

/// A secp256k1 key from a seed: (65-byte uncompressed key, address).
pub fn signer_key(seed: u64) -> ([u8; 65], Address) {
    let mut bytes = [0u8; 32];
    bytes[0] = 0x5a;
    bytes[24..].copy_from_slice(&seed.to_be_bytes());
    let key = SecretKey::from_bytes(&bytes).unwrap();
    (key.public_key().to_uncompressed(), key.address())
}

/// An ed25519 consensus key from a seed.
pub fn consensus_key(seed: u64) -> [u8; 32] {
    let mut bytes = [0x33u8; 32];
    bytes[24..].copy_from_slice(&seed.to_be_bytes());
    ed25519_dalek::SigningKey::from_bytes(&bytes)
        .verifying_key()
        .to_bytes()
}

/// A validator active from epoch 1 with `stake_btt` whole BTT, keys from its id, nonce 1.
pub fn validator(id: u64, stake_btt: u128) -> Validator {
    let (signer_pubkey, signer) = signer_key(id);
    Validator {
        id,
        signer,
        signer_pubkey,
        consensus_pubkey: consensus_key(id),
        stake: stake_btt * ATTO_PER_BTT,
        start_epoch: 1,
        end_epoch: 0,
        nonce: 1,
    }
}

/// A root event with this log index.
pub fn root_event(log_index: u64) -> RootEvent {
    RootEvent {
        root_chain: "eth".into(),
        tx_hash: vec![0xab; 32],
        block_number: 100,
        log_index,
    }
}

/// A join of validator `id` (keys from `key_seed`) with `stake_btt`, active from `epoch`.
pub fn join(id: u64, key_seed: u64, epoch: u64, stake_btt: u128, log: u64) -> MsgValidatorJoin {
    let (signer_pubkey, signer) = signer_key(key_seed);
    MsgValidatorJoin {
        from: signer.to_string(),
        event: Some(root_event(log)),
        validator_id: id,
        activation_epoch: epoch,
        amount: (stake_btt * ATTO_PER_BTT).to_string(),
        signer_pubkey: signer_pubkey.to_vec(),
        consensus_pubkey: consensus_key(key_seed).to_vec(),
        nonce: 1,
    }
}

/// Any sender for updates.
pub fn bridge() -> String {
    Address([0xbb; 20]).to_string()
}

/// A stake update.
pub fn stake_update(id: u64, stake_btt: u128, nonce: u64, log: u64) -> MsgStakeUpdate {
    MsgStakeUpdate {
        from: bridge(),
        event: Some(root_event(log)),
        validator_id: id,
        new_amount: (stake_btt * ATTO_PER_BTT).to_string(),
        nonce,
    }
}

/// A signer update to the key from `key_seed`.
pub fn signer_update(id: u64, key_seed: u64, nonce: u64, log: u64) -> MsgSignerUpdate {
    MsgSignerUpdate {
        from: bridge(),
        event: Some(root_event(log)),
        validator_id: id,
        new_signer_pubkey: signer_key(key_seed).0.to_vec(),
        nonce,
    }
}

/// An exit at `epoch`.
pub fn exit(id: u64, epoch: u64, nonce: u64, log: u64) -> MsgValidatorExit {
    MsgValidatorExit {
        from: bridge(),
        event: Some(root_event(log)),
        validator_id: id,
        deactivation_epoch: epoch,
        nonce,
    }
}

/// The `(codespace, code)` of a rejection.
pub fn code(e: &ExecError) -> (&'static str, u32) {
    match e {
        ExecError::Rejected(t) => (t.codespace, t.code),
        ExecError::Fatal(f) => panic!("fatal: {f}"),
    }
}

/// A chain with only the staking module.
pub struct Fixture {
    /// The state.
    pub state: StateDelta<EmptyState>,
    /// The next block.
    pub block: BlockInfo,
}

impl Fixture {
    /// A chain from these validators (none = dormant) under localnet params, epochs moved by
    /// hand ([`Fixture::set_epoch`]) rather than by blocks.
    pub fn new(validators: &[Validator]) -> Self {
        Self::with(Genesis {
            params: Params {
                advance_epochs_by_blocks: false,
                ..Params::localnet()
            },
            validators: validators.to_vec(),
            ..Genesis::default()
        })
    }

    /// A chain from this genesis.
    pub fn with(genesis: Genesis) -> Self {
        let mut state = StateDelta::new(EmptyState);
        genesis::init(&mut state, &genesis).unwrap();
        Self {
            state,
            block: BlockInfo {
                chain_id: "test".into(),
                height: 1,
                time_seconds: 1_700_000_000,
                time_nanos: 0,
            },
        }
    }

    /// Stateless and stateful checks, as at block inclusion.
    pub fn check<M: SideMsgHandler>(&self, msg: &M) -> Result<(), ExecError> {
        msg.check_stateless()?;
        let ctx = Context::new(&self.block, ExecMode::Deliver);
        msg.check_stateful(&ctx, &self.state)
    }

    /// Runs the post-handler on an overlay and keeps its writes only on success, as the app.
    pub fn post<M: SideMsgHandler>(&mut self, msg: &M) -> Result<Vec<Event>, ExecError> {
        let mut ctx = Context::new(&self.block, ExecMode::Deliver);
        let changes = {
            let mut overlay = StateDelta::new(&self.state);
            msg.post_execute(&mut ctx, &mut overlay)?;
            overlay.into_changes()
        };
        self.state.apply(changes);
        Ok(ctx.take_events())
    }

    /// The end of the current block; moves to the next height.
    pub fn end_block(&mut self) -> (Vec<PowerUpdate>, Vec<Event>) {
        let mut ctx = Context::new(&self.block, ExecMode::Deliver);
        let updates = crate::set::end_block(&mut self.state, &mut ctx).unwrap();
        let events = ctx.take_events();
        self.block.height += 1;
        (updates, events)
    }

    /// Sets the epoch directly (as the checkpoint module will).
    pub fn set_epoch(&mut self, epoch: u64) {
        crate::state::set_current_epoch(&mut self.state, epoch, self.block.height).unwrap();
    }
}
