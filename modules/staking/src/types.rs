//! The staking module's domain types and the pure rules on them: key checks, amounts, status
//! by epoch, and voting power.

use delivery_module::crypto::{Address, PublicKey};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StakingError};
use crate::params::{PowerMode, MAX_VALIDATORS_LIMIT};

/// Atto-BTT per BTT.
pub const ATTO_PER_BTT: u128 = 1_000_000_000_000_000_000;
/// CometBFT's `MaxTotalVotingPower` (`i64::MAX / 8`).
pub const MAX_TOTAL_VOTING_POWER: i64 = i64::MAX / 8;
/// The largest power one validator gets in `stake` mode: `MAX_TOTAL_VOTING_POWER /
/// MAX_VALIDATORS_LIMIT` (about 1.15e14 BTT), so that no allowed set can exceed the total.
// MAX_VALIDATORS_LIMIT is a non-zero u32 constant: the division cannot fail.
#[allow(clippy::arithmetic_side_effects)]
pub const MAX_VALIDATOR_POWER: i64 = MAX_TOTAL_VOTING_POWER / MAX_VALIDATORS_LIMIT as i64;

/// A validator as the staking module records it.
///
/// `power` is not stored: it is derived from `stake` and the `voting_power` param
/// ([`voting_power`]), so a param change needs no migration. Status is derived from the epochs
/// ([`Validator::status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// The root-chain validator id (the StakeManager's ERC-721 token id).
    pub id: u64,
    /// The signer address: the address of `signer_pubkey`.
    pub signer: Address,
    /// The 65-byte uncompressed secp256k1 signer key (`0x04 ‖ X ‖ Y`), `0x` hex in JSON.
    #[serde(with = "hex_array")]
    pub signer_pubkey: [u8; 65],
    /// The 32-byte ed25519 CometBFT consensus key, `0x` hex in JSON.
    #[serde(with = "hex_array")]
    pub consensus_pubkey: [u8; 32],
    /// Stake in atto-BTT (a decimal string in JSON).
    #[serde(with = "decimal_u128")]
    pub stake: u128,
    /// The first epoch the validator is active in (the root chain's activation epoch).
    pub start_epoch: u64,
    /// The first epoch the validator is no longer active in (its deactivation epoch); 0 = none.
    pub end_epoch: u64,
    /// The nonce of the last root-chain event applied to it (1 after the join).
    pub nonce: u64,
}

/// Where a validator stands at an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Joined; its start epoch has not come yet.
    Pending,
    /// In its epochs, no exit recorded.
    Active,
    /// In its epochs, exit recorded for a later epoch.
    Unstaking,
    /// Its end epoch has come.
    Unstaked,
}

impl Validator {
    /// The status at `epoch`: pending before `start_epoch`, unstaked from `end_epoch` (when
    /// set), otherwise active (unstaking if an exit is recorded).
    pub fn status(&self, epoch: u64) -> Status {
        if self.end_epoch != 0 && epoch >= self.end_epoch {
            Status::Unstaked
        } else if epoch < self.start_epoch {
            Status::Pending
        } else if self.end_epoch != 0 {
            Status::Unstaking
        } else {
            Status::Active
        }
    }

    /// Whether the validator belongs in the active set at `epoch` by its own record: active or
    /// unstaking, with a non-zero stake.
    pub fn in_epoch(&self, epoch: u64) -> bool {
        matches!(self.status(epoch), Status::Active | Status::Unstaking) && self.stake > 0
    }

    /// Whether the validator still counts against `max_validators` (anything but unstaked).
    pub fn counts_toward_limit(&self, epoch: u64) -> bool {
        self.status(epoch) != Status::Unstaked
    }

    /// Checks the record's own consistency: valid keys and a signer derived from the key.
    pub fn check(&self) -> Result<()> {
        let derived = signer_of(&self.signer_pubkey, "signer_pubkey")?;
        if derived != self.signer {
            return Err(StakingError::InvalidGenesis(format!(
                "validator {}: signer {} is not the address of its signer_pubkey ({derived})",
                self.id, self.signer
            )));
        }
        check_consensus_pubkey(&self.consensus_pubkey, "consensus_pubkey")?;
        Ok(())
    }
}

/// A member of the active validator set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveValidator {
    /// Validator id.
    pub id: u64,
    /// Its current signer address (checkpoint signatures, BTTC block seals).
    pub signer: Address,
    /// Its ed25519 consensus key.
    #[serde(with = "hex_array")]
    pub consensus_pubkey: [u8; 32],
    /// Its voting power (> 0).
    pub power: i64,
}

/// A change to CometBFT's validator set: the app returns these as `ValidatorUpdate`s
/// (ed25519 key, power); power 0 removes the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerUpdate {
    /// The ed25519 consensus key.
    #[serde(with = "hex_array")]
    pub consensus_pubkey: [u8; 32],
    /// The new power; 0 removes.
    pub power: i64,
}

/// Voting power for `stake` under `mode`: 0 for no stake; otherwise 1 in `equal` mode, and
/// `stake / 10^18` clamped to `1..=MAX_VALIDATOR_POWER` in `stake` mode.
pub fn voting_power(mode: PowerMode, stake: u128) -> i64 {
    if stake == 0 {
        return 0;
    }
    match mode {
        PowerMode::Equal => 1,
        PowerMode::Stake => {
            let whole = stake.checked_div(ATTO_PER_BTT).unwrap_or(0);
            i64::try_from(whole)
                .unwrap_or(MAX_VALIDATOR_POWER)
                .clamp(1, MAX_VALIDATOR_POWER)
        }
    }
}

/// Parses a canonical decimal atto amount: digits only, no sign, no leading zeros (except
/// `"0"`), within `u128`. Canonical, so that the text the bridge compares with the root event
/// has exactly one form.
pub fn parse_amount(field: &str, text: &str) -> Result<u128> {
    let shown = || text.chars().take(48).collect::<String>();
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(StakingError::InvalidMsg(format!(
            "{field} {:?}: expected a decimal atto amount without sign or leading zeros",
            shown()
        )));
    }
    text.parse::<u128>().map_err(|_| {
        StakingError::InvalidMsg(format!(
            "{field} {:?} exceeds the largest amount ({})",
            shown(),
            u128::MAX
        ))
    })
}

/// Parses a `0x` address field.
pub fn parse_address(field: &'static str, text: &str) -> Result<Address> {
    text.parse().map_err(|_| StakingError::InvalidAddress {
        field,
        value: text.chars().take(64).collect(),
    })
}

/// Checks a 65-byte uncompressed secp256k1 key (`0x04 ‖ X ‖ Y`, a point on the curve) and
/// returns its signer address.
pub fn signer_of(pubkey: &[u8], field: &'static str) -> Result<Address> {
    let bad = |reason: String| StakingError::InvalidPubkey { field, reason };
    if pubkey.len() != 65 {
        return Err(bad(format!(
            "expected 65 bytes (uncompressed secp256k1), found {}",
            pubkey.len()
        )));
    }
    if pubkey.first() != Some(&0x04) {
        return Err(bad(format!(
            "expected the uncompressed prefix 0x04, found 0x{:02x}",
            pubkey.first().copied().unwrap_or(0)
        )));
    }
    PublicKey::from_sec1(pubkey)
        .map(|k| k.address())
        .map_err(|e| bad(format!("not a secp256k1 point: {e}")))
}

/// Checks a 32-byte ed25519 consensus key: a valid curve point, not of small order.
pub fn check_consensus_pubkey(pubkey: &[u8], field: &'static str) -> Result<[u8; 32]> {
    let bad = |reason: String| StakingError::InvalidPubkey { field, reason };
    let bytes: [u8; 32] = pubkey.try_into().map_err(|_| {
        bad(format!(
            "expected 32 bytes (ed25519), found {}",
            pubkey.len()
        ))
    })?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| bad("not a valid ed25519 point".into()))?;
    if key.is_weak() {
        return Err(bad("an ed25519 point of small order".into()));
    }
    Ok(bytes)
}

/// `[u8; N]` as `0x` hex in JSON (the `0x` is optional on input).
pub mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `0x` hex.
    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(v)))
    }

    /// Parses hex of exactly `N` bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        let bytes = hex::decode(digits).map_err(serde::de::Error::custom)?;
        let len = bytes.len();
        bytes.try_into().map_err(|_| {
            serde::de::Error::custom(format!("expected {N} bytes of hex, found {len}"))
        })
    }
}

/// `u128` as a decimal string in JSON (JSON numbers lose precision beyond 2^53 in most clients).
pub mod decimal_u128 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as a decimal string.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Parses a canonical decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        crate::types::parse_amount("amount", &text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use crate::testutil::{consensus_key, signer_key};

    #[test]
    fn amounts_must_be_canonical_decimals_within_u128() {
        assert_eq!(parse_amount("a", "0").unwrap(), 0);
        let trillion_btt = 1_000_000_000_000u128 * ATTO_PER_BTT;
        assert_eq!(
            parse_amount("a", "1000000000000000000000000000000").unwrap(),
            trillion_btt
        );
        assert_eq!(
            parse_amount("a", &u128::MAX.to_string()).unwrap(),
            u128::MAX
        );
        for bad in ["", "-1", "+1", "01", "1.5", "1e18", " 1", "0x10"] {
            assert!(
                matches!(parse_amount("a", bad), Err(StakingError::InvalidMsg(_))),
                "{bad:?}"
            );
        }
        let too_big = format!("{}0", u128::MAX);
        assert!(parse_amount("a", &too_big).is_err());
    }

    #[test]
    fn power_is_one_per_validator_or_whole_btt_clamped() {
        assert_eq!(voting_power(PowerMode::Equal, 0), 0);
        assert_eq!(voting_power(PowerMode::Stake, 0), 0);
        assert_eq!(voting_power(PowerMode::Equal, 1), 1);
        assert_eq!(voting_power(PowerMode::Equal, u128::MAX), 1);
        // Less than one BTT still counts as one.
        assert_eq!(voting_power(PowerMode::Stake, 1), 1);
        assert_eq!(voting_power(PowerMode::Stake, 5 * ATTO_PER_BTT + 7), 5);
        let trillion = 1_000_000_000_000i64;
        assert_eq!(
            voting_power(PowerMode::Stake, trillion as u128 * ATTO_PER_BTT),
            trillion
        );
        assert_eq!(
            voting_power(PowerMode::Stake, u128::MAX),
            MAX_VALIDATOR_POWER
        );
        // A full set at the cap stays within CometBFT's total.
        assert!(MAX_VALIDATOR_POWER
            .checked_mul(i64::from(MAX_VALIDATORS_LIMIT))
            .is_some_and(|t| t <= MAX_TOTAL_VOTING_POWER));
    }

    #[test]
    fn status_follows_start_and_end_epochs() {
        let mut v = crate::testutil::validator(1, 10);
        v.start_epoch = 5;
        assert_eq!(v.status(4), Status::Pending);
        assert_eq!(v.status(5), Status::Active);
        assert!(v.in_epoch(5) && !v.in_epoch(4));
        v.end_epoch = 8;
        assert_eq!(v.status(7), Status::Unstaking);
        assert!(v.in_epoch(7));
        assert_eq!(v.status(8), Status::Unstaked);
        assert!(!v.in_epoch(8) && !v.counts_toward_limit(8));
        assert!(v.counts_toward_limit(4));
        // An exit before the start: never active.
        v.end_epoch = 5;
        assert_eq!(v.status(4), Status::Pending);
        assert_eq!(v.status(5), Status::Unstaked);
        // No stake: not in the set even in its epochs.
        v.end_epoch = 0;
        v.stake = 0;
        assert!(!v.in_epoch(6));
    }

    #[test]
    fn signer_keys_must_be_uncompressed_points() {
        let (pubkey, address) = signer_key(3);
        assert_eq!(signer_of(&pubkey, "k").unwrap(), address);
        assert!(signer_of(&pubkey[..64], "k").is_err());
        let mut compressed_prefix = pubkey;
        compressed_prefix[0] = 0x06;
        assert!(signer_of(&compressed_prefix, "k").is_err());
        let mut off_curve = pubkey;
        off_curve[64] ^= 1;
        assert!(matches!(
            signer_of(&off_curve, "k"),
            Err(StakingError::InvalidPubkey { .. })
        ));
    }

    #[test]
    fn consensus_keys_must_be_valid_non_weak_points() {
        let key = consensus_key(1);
        assert_eq!(check_consensus_pubkey(&key, "k").unwrap(), key);
        assert!(check_consensus_pubkey(&key[..31], "k").is_err());
        // The identity point (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(check_consensus_pubkey(&identity, "k").is_err());
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert!(check_consensus_pubkey(&off_curve, "k").is_err());
    }

    #[test]
    fn validators_round_trip_through_json() {
        let v = crate::testutil::validator(7, 1_000);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["stake"], v.stake.to_string());
        assert!(json["consensus_pubkey"].as_str().unwrap().starts_with("0x"));
        let back: Validator = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
        v.check().unwrap();
        let mut wrong = v;
        wrong.signer = Address([9; 20]);
        assert!(wrong.check().is_err());
    }
}
