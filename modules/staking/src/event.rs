//! The staking module's events (`staking.<action>`, like every module's).
//!
//! | type | attributes |
//! | --- | --- |
//! | `staking.join` | `validator_id, signer, consensus_pubkey` (0x hex), `amount` (atto), `activation_epoch, nonce, root_event` |
//! | `staking.stake_update` | `validator_id, old_amount, new_amount, nonce, root_event` |
//! | `staking.signer_update` | `validator_id, old_signer, new_signer, nonce, root_event` |
//! | `staking.exit` | `validator_id, deactivation_epoch, nonce, root_event` |
//! | `staking.epoch` | `epoch, height` (the block rule advanced the epoch) |
//! | `staking.validator_set_update` | `epoch, validators` (count), `total_power, updates` (`0x<key>:<power>` comma-separated, key order; power 0 removes) |
//! | `staking.exit_deferred` | `epoch, validators` (ids kept, comma-separated), `reason` |
//! | `staking.exit_deferral_ended` | `epoch` |
//!
//! `root_event` is [`delivery_rootchain::RootEvent::describe`]: `chain:0xhash:block:log`.

use delivery_module::crypto::Address;
use delivery_module::Event;

use crate::types::{ActiveValidator, PowerUpdate};

/// `staking.join`.
pub fn join(
    validator_id: u64,
    signer: Address,
    consensus_pubkey: &[u8; 32],
    amount: u128,
    activation_epoch: u64,
    nonce: u64,
    root_event: &str,
) -> Event {
    Event::new("staking.join")
        .attr("validator_id", validator_id)
        .attr("signer", signer)
        .attr(
            "consensus_pubkey",
            format!("0x{}", hex::encode(consensus_pubkey)),
        )
        .attr("amount", amount)
        .attr("activation_epoch", activation_epoch)
        .attr("nonce", nonce)
        .attr("root_event", root_event)
}

/// `staking.stake_update`.
pub fn stake_update(
    validator_id: u64,
    old_amount: u128,
    new_amount: u128,
    nonce: u64,
    root_event: &str,
) -> Event {
    Event::new("staking.stake_update")
        .attr("validator_id", validator_id)
        .attr("old_amount", old_amount)
        .attr("new_amount", new_amount)
        .attr("nonce", nonce)
        .attr("root_event", root_event)
}

/// `staking.signer_update`.
pub fn signer_update(
    validator_id: u64,
    old_signer: Address,
    new_signer: Address,
    nonce: u64,
    root_event: &str,
) -> Event {
    Event::new("staking.signer_update")
        .attr("validator_id", validator_id)
        .attr("old_signer", old_signer)
        .attr("new_signer", new_signer)
        .attr("nonce", nonce)
        .attr("root_event", root_event)
}

/// `staking.exit`.
pub fn exit(validator_id: u64, deactivation_epoch: u64, nonce: u64, root_event: &str) -> Event {
    Event::new("staking.exit")
        .attr("validator_id", validator_id)
        .attr("deactivation_epoch", deactivation_epoch)
        .attr("nonce", nonce)
        .attr("root_event", root_event)
}

/// `staking.epoch`.
pub fn epoch(epoch: u64, height: u64) -> Event {
    Event::new("staking.epoch")
        .attr("epoch", epoch)
        .attr("height", height)
}

/// `staking.validator_set_update`.
pub fn validator_set_update(
    epoch: u64,
    set: &[ActiveValidator],
    total_power: i64,
    updates: &[PowerUpdate],
) -> Event {
    Event::new("staking.validator_set_update")
        .attr("epoch", epoch)
        .attr("validators", set.len())
        .attr("total_power", total_power)
        .attr(
            "updates",
            updates
                .iter()
                .map(|u| format!("0x{}:{}", hex::encode(u.consensus_pubkey), u.power))
                .collect::<Vec<_>>()
                .join(","),
        )
}

/// `staking.exit_deferred`.
pub fn exit_deferred(epoch: u64, kept: &[ActiveValidator]) -> Event {
    Event::new("staking.exit_deferred")
        .attr("epoch", epoch)
        .attr(
            "validators",
            kept.iter()
                .map(|v| v.id.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .attr(
            "reason",
            "no other validator is active: the last validators stay until one is",
        )
}

/// `staking.exit_deferral_ended`.
pub fn exit_deferral_ended(epoch: u64) -> Event {
    Event::new("staking.exit_deferral_ended").attr("epoch", epoch)
}
