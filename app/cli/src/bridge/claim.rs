//! A side message as a root-chain claim, and its field-by-field comparison with the root log.
//!
//! | message | event | fields compared |
//! |---|---|---|
//! | `MsgValidatorJoin` | `Staked` | validator_id, signer_pubkey (and its address = the log's signer, = `from`), amount, activation_epoch, nonce |
//! | `MsgStakeUpdate` | `StakeUpdate` | validator_id, new_amount, nonce |
//! | `MsgSignerUpdate` | `SignerChange` | validator_id, new_signer_pubkey (and its address = the log's new signer), nonce |
//! | `MsgValidatorExit` | `UnstakeInit` | validator_id, deactivation_epoch, nonce |
//! | `MsgEventRecord` | `StateSynced` | id, contract, data |
//! | `MsgCheckpointAck` | `NewHeaderBlock` (the chain's RootChain) | number (= headerBlockId), proposer, start, end, root_hash |
//!
//! The join's `consensus_pubkey` is not on the root chain (the joining validator's own key;
//! `from` = signer binds it). Amounts compare as canonical decimals (the log's value printed
//! in base 10), so `"0100"` is not `100`. The `NewHeaderBlock`'s `reward` has no field in the
//! ack (BTTC's RootChain always emits 0).

use delivery_auth::AnyMsg;
use delivery_bridge::{RootEvent, RootLog};
use delivery_checkpoint::MsgCheckpointAck;
use delivery_clerk::MsgEventRecord;
use delivery_module::crypto::PublicKey;
use delivery_module::Msg;
use delivery_rootchain::RootChainConfig;
use delivery_staking::{MsgSignerUpdate, MsgStakeUpdate, MsgValidatorExit, MsgValidatorJoin};

/// A side message that claims a root-contract event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Claims `Staked`.
    Join(MsgValidatorJoin),
    /// Claims `StakeUpdate`.
    StakeUpdate(MsgStakeUpdate),
    /// Claims `SignerChange`.
    SignerUpdate(MsgSignerUpdate),
    /// Claims `UnstakeInit`.
    Exit(MsgValidatorExit),
    /// Claims `StateSynced`.
    EventRecord(MsgEventRecord),
    /// Claims `NewHeaderBlock`.
    CheckpointAck(MsgCheckpointAck),
}

/// Which root contract emits a claim's event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emitter {
    /// The staking chain's StakeManager.
    StakeManager,
    /// The chain's StateSender.
    StateSender,
    /// The chain's RootChain (checkpoints).
    RootChain,
}

impl Claim {
    /// The claim a packed message makes; `None` for a message type the bridge does not check
    /// (e.g. a fee top-up), or one that does not decode.
    pub fn from_any(any: &AnyMsg) -> Option<Claim> {
        fn dec<M: Msg>(v: &[u8]) -> Option<M> {
            M::decode(v).ok()
        }
        let v = any.value.as_slice();
        match any.type_url.as_str() {
            MsgValidatorJoin::TYPE_URL => dec(v).map(Claim::Join),
            MsgStakeUpdate::TYPE_URL => dec(v).map(Claim::StakeUpdate),
            MsgSignerUpdate::TYPE_URL => dec(v).map(Claim::SignerUpdate),
            MsgValidatorExit::TYPE_URL => dec(v).map(Claim::Exit),
            MsgEventRecord::TYPE_URL => dec(v).map(Claim::EventRecord),
            MsgCheckpointAck::TYPE_URL => dec(v).map(Claim::CheckpointAck),
            _ => None,
        }
    }

    /// The claim packed as a message.
    pub fn to_any(&self) -> AnyMsg {
        match self {
            Claim::Join(m) => AnyMsg::pack(m),
            Claim::StakeUpdate(m) => AnyMsg::pack(m),
            Claim::SignerUpdate(m) => AnyMsg::pack(m),
            Claim::Exit(m) => AnyMsg::pack(m),
            Claim::EventRecord(m) => AnyMsg::pack(m),
            Claim::CheckpointAck(m) => AnyMsg::pack(m),
        }
    }

    /// The message's name (for logs).
    pub fn name(&self) -> &'static str {
        match self {
            Claim::Join(_) => "MsgValidatorJoin",
            Claim::StakeUpdate(_) => "MsgStakeUpdate",
            Claim::SignerUpdate(_) => "MsgSignerUpdate",
            Claim::Exit(_) => "MsgValidatorExit",
            Claim::EventRecord(_) => "MsgEventRecord",
            Claim::CheckpointAck(_) => "MsgCheckpointAck",
        }
    }

    /// The root event claimed (`None` if the message lacks it: such a message fails its
    /// stateless checks).
    pub fn event(&self) -> Option<&RootEvent> {
        match self {
            Claim::Join(m) => m.event.as_ref(),
            Claim::StakeUpdate(m) => m.event.as_ref(),
            Claim::SignerUpdate(m) => m.event.as_ref(),
            Claim::Exit(m) => m.event.as_ref(),
            Claim::EventRecord(m) => m.event.as_ref(),
            Claim::CheckpointAck(m) => m.event.as_ref(),
        }
    }

    /// The contract that emits the claimed event.
    pub fn emitter_kind(&self) -> Emitter {
        match self {
            Claim::EventRecord(_) => Emitter::StateSender,
            Claim::CheckpointAck(_) => Emitter::RootChain,
            _ => Emitter::StakeManager,
        }
    }

    /// The emitter's address on `chain`, or why there is none.
    pub fn emitter(&self, chain: &RootChainConfig) -> Result<[u8; 20], String> {
        match self.emitter_kind() {
            Emitter::StateSender => Ok(chain.state_sender),
            Emitter::RootChain => chain.root_chain_contract.ok_or_else(|| {
                format!(
                    "root chain {} has no RootChain contract in the registry: a {} cannot come \
                     from it",
                    chain.name,
                    self.name()
                )
            }),
            Emitter::StakeManager => chain.stake_manager.ok_or_else(|| {
                format!(
                    "root chain {} has no StakeManager (it is not the staking chain): a {} cannot come from it",
                    chain.name,
                    self.name()
                )
            }),
        }
    }

    /// Compares every field of the claim with `log`: `Ok` if they all match, else the first
    /// mismatch (`"validator_id 3 != event's 4"`).
    pub fn compare(&self, log: &RootLog) -> Result<(), String> {
        match (self, log) {
            (
                Claim::Join(m),
                RootLog::Staked {
                    signer,
                    validator_id,
                    nonce,
                    activation_epoch,
                    amount,
                    signer_pubkey,
                    ..
                },
            ) => {
                eq("validator_id", &m.validator_id, validator_id)?;
                eq_bytes("signer_pubkey", &m.signer_pubkey, signer_pubkey)?;
                let derived = address_of(&m.signer_pubkey, "signer_pubkey")?;
                eq_addr("signer (address of signer_pubkey)", &derived, signer)?;
                eq_from(&m.from, signer)?;
                eq("amount", &m.amount, &amount.to_string())?;
                eq("activation_epoch", &m.activation_epoch, activation_epoch)?;
                eq("nonce", &m.nonce, nonce)
            }
            (
                Claim::StakeUpdate(m),
                RootLog::StakeUpdate {
                    validator_id,
                    nonce,
                    new_amount,
                },
            ) => {
                eq("validator_id", &m.validator_id, validator_id)?;
                eq("new_amount", &m.new_amount, &new_amount.to_string())?;
                eq("nonce", &m.nonce, nonce)
            }
            (
                Claim::SignerUpdate(m),
                RootLog::SignerChange {
                    validator_id,
                    nonce,
                    new_signer,
                    signer_pubkey,
                    ..
                },
            ) => {
                eq("validator_id", &m.validator_id, validator_id)?;
                eq_bytes("new_signer_pubkey", &m.new_signer_pubkey, signer_pubkey)?;
                let derived = address_of(&m.new_signer_pubkey, "new_signer_pubkey")?;
                eq_addr(
                    "new signer (address of new_signer_pubkey)",
                    &derived,
                    new_signer,
                )?;
                eq("nonce", &m.nonce, nonce)
            }
            (
                Claim::Exit(m),
                RootLog::UnstakeInit {
                    validator_id,
                    nonce,
                    deactivation_epoch,
                    ..
                },
            ) => {
                eq("validator_id", &m.validator_id, validator_id)?;
                eq(
                    "deactivation_epoch",
                    &m.deactivation_epoch,
                    deactivation_epoch,
                )?;
                eq("nonce", &m.nonce, nonce)
            }
            (
                Claim::EventRecord(m),
                RootLog::StateSynced {
                    id,
                    contract_address,
                    data,
                },
            ) => {
                eq("id", &m.id, id)?;
                eq_bytes("contract", &m.contract, contract_address)?;
                eq_bytes("data", &m.data, data)
            }
            (
                Claim::CheckpointAck(m),
                RootLog::NewHeaderBlock {
                    proposer,
                    header_block_id,
                    start,
                    end,
                    root,
                    ..
                },
            ) => {
                eq("number (headerBlockId)", &m.number, header_block_id)?;
                eq_bytes("proposer", &m.proposer, proposer)?;
                eq("start", &m.start, start)?;
                eq("end", &m.end, end)?;
                eq_bytes("root_hash", &m.root_hash, root)
            }
            (claim, log) => Err(format!(
                "{} claims a different event: the log is {}",
                claim.name(),
                log.name()
            )),
        }
    }
}

fn eq<T: PartialEq + std::fmt::Display + ?Sized>(
    field: &str,
    msg: &T,
    event: &T,
) -> Result<(), String> {
    if msg == event {
        Ok(())
    } else {
        Err(format!("{field} {msg} != event's {event}"))
    }
}

fn eq_bytes(field: &str, msg: &[u8], event: &[u8]) -> Result<(), String> {
    if msg == event {
        Ok(())
    } else {
        Err(format!(
            "{field} 0x{} != event's 0x{}",
            hex::encode(msg),
            hex::encode(event)
        ))
    }
}

fn eq_addr(field: &str, msg: &[u8; 20], event: &[u8; 20]) -> Result<(), String> {
    eq_bytes(field, msg, event)
}

fn eq_from(from: &str, signer: &[u8; 20]) -> Result<(), String> {
    let expected = format!("0x{}", hex::encode(signer));
    if from.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(format!(
            "from {from} is not the staked signer {expected}: only the joining validator sends its join"
        ))
    }
}

/// The address of an uncompressed secp256k1 key (last 20 bytes of keccak256(X ‖ Y)).
fn address_of(pubkey: &[u8], field: &str) -> Result<[u8; 20], String> {
    if pubkey.len() != 65 {
        return Err(format!(
            "{field} is {} bytes: expected a 65-byte uncompressed secp256k1 key",
            pubkey.len()
        ));
    }
    let key =
        PublicKey::from_sec1(pubkey).map_err(|e| format!("{field} is not a secp256k1 key: {e}"))?;
    Ok(key.address().0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]
mod tests {
    use super::*;
    use delivery_bridge::U256;
    use delivery_module::SecretKey;

    fn event() -> RootEvent {
        RootEvent {
            root_chain: "eth".into(),
            tx_hash: vec![7; 32],
            block_number: 12,
            log_index: 3,
        }
    }

    fn key(seed: u8) -> SecretKey {
        SecretKey::from_bytes(&[seed; 32]).unwrap()
    }

    fn staked() -> (Claim, RootLog) {
        let k = key(1);
        let pubkey = k.public_key().to_uncompressed().to_vec();
        let log = RootLog::Staked {
            signer: k.address().0,
            validator_id: 4,
            nonce: 1,
            activation_epoch: 9,
            amount: U256::from(10u64).pow(U256::from(21u64)),
            total: U256::from(5u64),
            signer_pubkey: pubkey.clone(),
        };
        let msg = MsgValidatorJoin {
            from: k.address().to_string(),
            event: Some(event()),
            validator_id: 4,
            activation_epoch: 9,
            amount: "1000000000000000000000".into(),
            signer_pubkey: pubkey,
            consensus_pubkey: vec![5; 32],
            nonce: 1,
        };
        (Claim::Join(msg), log)
    }

    /// Every listed mutation of the true claim must be a No naming `field`.
    fn each_mismatch_is_no(
        truth: &Claim,
        log: &RootLog,
        cases: Vec<(&str, Box<dyn Fn(&mut Claim)>)>,
    ) {
        truth.compare(log).unwrap();
        for (field, mutate) in cases {
            let mut c = truth.clone();
            mutate(&mut c);
            let err = c.compare(log).expect_err(field);
            assert!(err.contains(field), "{field}: {err}");
        }
    }

    #[test]
    fn a_join_matches_its_staked_event_field_by_field() {
        let (truth, log) = staked();
        let other = key(2).public_key().to_uncompressed().to_vec();
        let j = |f: fn(&mut MsgValidatorJoin)| -> Box<dyn Fn(&mut Claim)> {
            Box::new(move |c| {
                if let Claim::Join(m) = c {
                    f(m)
                }
            })
        };
        let other2 = other.clone();
        each_mismatch_is_no(
            &truth,
            &log,
            vec![
                ("validator_id", j(|m| m.validator_id = 5)),
                ("amount", j(|m| m.amount = "1000000000000000000001".into())),
                ("amount", j(|m| m.amount = "01000000000000000000000".into())),
                ("activation_epoch", j(|m| m.activation_epoch = 8)),
                ("nonce", j(|m| m.nonce = 2)),
                (
                    "signer_pubkey",
                    Box::new(move |c| {
                        if let Claim::Join(m) = c {
                            m.signer_pubkey = other.clone();
                        }
                    }),
                ),
                ("from", j(|m| m.from = key(3).address().to_string())),
            ],
        );
        // The log's signer must be the address of its own key: a log whose signer differs
        // from the key's address does not match a join with that key.
        let RootLog::Staked { .. } = &log else {
            unreachable!()
        };
        let mut bad_log = log.clone();
        if let RootLog::Staked { signer, .. } = &mut bad_log {
            *signer = key(2).address().0;
        }
        let err = truth.compare(&bad_log).unwrap_err();
        assert!(err.contains("signer (address"), "{err}");
        // The consensus key is not on the root chain: any value matches.
        let mut c = truth.clone();
        if let Claim::Join(m) = &mut c {
            m.consensus_pubkey = other2;
        }
        c.compare(&log).unwrap();
    }

    #[test]
    fn a_stake_update_matches_field_by_field() {
        let log = RootLog::StakeUpdate {
            validator_id: 4,
            nonce: 2,
            new_amount: U256::from(77u64),
        };
        let truth = Claim::StakeUpdate(MsgStakeUpdate {
            from: key(1).address().to_string(),
            event: Some(event()),
            validator_id: 4,
            new_amount: "77".into(),
            nonce: 2,
        });
        let s = |f: fn(&mut MsgStakeUpdate)| -> Box<dyn Fn(&mut Claim)> {
            Box::new(move |c| {
                if let Claim::StakeUpdate(m) = c {
                    f(m)
                }
            })
        };
        each_mismatch_is_no(
            &truth,
            &log,
            vec![
                ("validator_id", s(|m| m.validator_id = 3)),
                ("new_amount", s(|m| m.new_amount = "78".into())),
                ("nonce", s(|m| m.nonce = 3)),
            ],
        );
    }

    #[test]
    fn a_signer_update_matches_field_by_field() {
        let new = key(2);
        let log = RootLog::SignerChange {
            validator_id: 4,
            nonce: 3,
            old_signer: key(1).address().0,
            new_signer: new.address().0,
            signer_pubkey: new.public_key().to_uncompressed().to_vec(),
        };
        let truth = Claim::SignerUpdate(MsgSignerUpdate {
            from: key(1).address().to_string(),
            event: Some(event()),
            validator_id: 4,
            new_signer_pubkey: new.public_key().to_uncompressed().to_vec(),
            nonce: 3,
        });
        let s = |f: fn(&mut MsgSignerUpdate)| -> Box<dyn Fn(&mut Claim)> {
            Box::new(move |c| {
                if let Claim::SignerUpdate(m) = c {
                    f(m)
                }
            })
        };
        each_mismatch_is_no(
            &truth,
            &log,
            vec![
                ("validator_id", s(|m| m.validator_id = 5)),
                ("nonce", s(|m| m.nonce = 4)),
                (
                    "new_signer_pubkey",
                    s(|m| m.new_signer_pubkey = key(3).public_key().to_uncompressed().to_vec()),
                ),
            ],
        );
        let mut bad_log = log.clone();
        if let RootLog::SignerChange { new_signer, .. } = &mut bad_log {
            *new_signer = key(3).address().0;
        }
        assert!(truth.compare(&bad_log).unwrap_err().contains("new signer"));
    }

    #[test]
    fn an_exit_matches_field_by_field() {
        let log = RootLog::UnstakeInit {
            user: key(1).address().0,
            validator_id: 4,
            nonce: 5,
            deactivation_epoch: 30,
            amount: U256::from(1u64),
        };
        let truth = Claim::Exit(MsgValidatorExit {
            from: key(1).address().to_string(),
            event: Some(event()),
            validator_id: 4,
            deactivation_epoch: 30,
            nonce: 5,
        });
        let s = |f: fn(&mut MsgValidatorExit)| -> Box<dyn Fn(&mut Claim)> {
            Box::new(move |c| {
                if let Claim::Exit(m) = c {
                    f(m)
                }
            })
        };
        each_mismatch_is_no(
            &truth,
            &log,
            vec![
                ("validator_id", s(|m| m.validator_id = 40)),
                ("deactivation_epoch", s(|m| m.deactivation_epoch = 31)),
                ("nonce", s(|m| m.nonce = 6)),
            ],
        );
    }

    #[test]
    fn an_event_record_matches_field_by_field() {
        let log = RootLog::StateSynced {
            id: 8,
            contract_address: [0x11; 20],
            data: vec![1, 2, 3],
        };
        let truth = Claim::EventRecord(MsgEventRecord {
            from: key(1).address().to_string(),
            event: Some(event()),
            id: 8,
            contract: vec![0x11; 20],
            data: vec![1, 2, 3],
        });
        let s = |f: fn(&mut MsgEventRecord)| -> Box<dyn Fn(&mut Claim)> {
            Box::new(move |c| {
                if let Claim::EventRecord(m) = c {
                    f(m)
                }
            })
        };
        each_mismatch_is_no(
            &truth,
            &log,
            vec![
                ("id", s(|m| m.id = 9)),
                ("contract", s(|m| m.contract = vec![0x12; 20])),
                ("data", s(|m| m.data = vec![1, 2, 4])),
                ("data", s(|m| m.data = vec![1, 2, 3, 0])),
            ],
        );
    }

    #[test]
    fn a_checkpoint_ack_matches_its_new_header_block_field_by_field() {
        let log = RootLog::NewHeaderBlock {
            proposer: [0x21; 20],
            header_block_id: 3,
            reward: U256::ZERO,
            start: 32,
            end: 47,
            root: [0x44; 32],
        };
        let truth = Claim::CheckpointAck(MsgCheckpointAck {
            from: key(1).address().to_string(),
            event: Some(event()),
            number: 3,
            proposer: vec![0x21; 20],
            start: 32,
            end: 47,
            root_hash: vec![0x44; 32],
        });
        let s = |f: fn(&mut MsgCheckpointAck)| -> Box<dyn Fn(&mut Claim)> {
            Box::new(move |c| {
                if let Claim::CheckpointAck(m) = c {
                    f(m)
                }
            })
        };
        each_mismatch_is_no(
            &truth,
            &log,
            vec![
                ("number", s(|m| m.number = 4)),
                ("number", s(|m| m.number = 2)),
                ("proposer", s(|m| m.proposer = vec![0x22; 20])),
                ("proposer", s(|m| m.proposer = vec![0x21; 19])),
                ("start", s(|m| m.start = 31)),
                ("end", s(|m| m.end = 48)),
                ("root_hash", s(|m| m.root_hash = vec![0x45; 32])),
                ("root_hash", s(|m| m.root_hash = vec![0x44; 33])),
            ],
        );
        // Any reward matches (the message has none).
        let mut rewarded = log.clone();
        if let RootLog::NewHeaderBlock { reward, .. } = &mut rewarded {
            *reward = U256::from(5u64);
        }
        truth.compare(&rewarded).unwrap();
        // An ack is not a state sync, nor the other way round.
        let synced = RootLog::StateSynced {
            id: 3,
            contract_address: [0; 20],
            data: vec![],
        };
        assert!(truth.compare(&synced).unwrap_err().contains("StateSynced"));
        // It comes from the chain's RootChain, and round-trips through its packed form.
        assert_eq!(truth.emitter_kind(), Emitter::RootChain);
        assert_eq!(Claim::from_any(&truth.to_any()), Some(truth.clone()));
        let mut chain = delivery_rootchain::RootChainConfig {
            name: "eth".into(),
            kind: delivery_rootchain::RootChainKind::Eth,
            chain_id: 1,
            stake_manager: None,
            state_sender: [1; 20],
            root_chain_manager: [2; 20],
            root_chain_contract: Some([3; 20]),
            confirmations: 1,
        };
        assert_eq!(truth.emitter(&chain), Ok([3; 20]));
        chain.root_chain_contract = None;
        assert!(truth.emitter(&chain).unwrap_err().contains("no RootChain"));
    }

    #[test]
    fn a_claim_of_another_event_type_is_no() {
        let (join, staked) = staked();
        let record = Claim::EventRecord(MsgEventRecord {
            from: String::new(),
            event: Some(event()),
            id: 1,
            contract: vec![0; 20],
            data: vec![],
        });
        let err = record.compare(&staked).unwrap_err();
        assert!(err.contains("the log is Staked"), "{err}");
        let synced = RootLog::StateSynced {
            id: 1,
            contract_address: [0; 20],
            data: vec![],
        };
        assert!(join.compare(&synced).is_err());
    }

    #[test]
    fn claims_round_trip_through_their_packed_form() {
        let (join, _) = staked();
        assert_eq!(Claim::from_any(&join.to_any()), Some(join));
        let topup = AnyMsg {
            type_url: "/delivery.bank.v1.MsgTopup".into(),
            value: vec![],
        };
        assert_eq!(Claim::from_any(&topup), None);
        let garbage = AnyMsg {
            type_url: MsgEventRecord::TYPE_URL.into(),
            value: vec![0xff, 0xff],
        };
        assert_eq!(Claim::from_any(&garbage), None);
    }
}
