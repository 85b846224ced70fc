//! The system contracts' views, input checks and gas bounds, on a bare revm (the engine has no
//! call API yet). Each case runs under the berlin rules (what the contracts are compiled for)
//! and the default osaka rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use alloy_rlp::{Encodable, Header};
use bttc_engine_contracts::{
    state_receiver, test_state_sync_receiver, validator_set, STATE_RECEIVER_ADDRESS,
    SYSTEM_ADDRESS, VALIDATOR_SET_ADDRESS,
};
use revm::context::result::ExecutionResult;
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext, SystemCallCommitEvm};

const SPECS: [SpecId; 2] = [SpecId::BERLIN, SpecId::OSAKA];
const RECEIVER: Address = Address::repeat_byte(0xc1);
const LOOPER: Address = Address::repeat_byte(0xc3);
const BOMBER: Address = Address::repeat_byte(0xc6);

struct Chain {
    db: CacheDB<EmptyDB>,
    spec: SpecId,
}

impl Chain {
    fn new(spec: SpecId) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        let mut put = |address: Address, code: &Bytes| {
            let code = Bytecode::new_raw(code.clone());
            db.insert_account_info(
                address,
                AccountInfo {
                    code_hash: code.hash_slow(),
                    code: Some(code),
                    ..Default::default()
                },
            );
        };
        put(
            STATE_RECEIVER_ADDRESS,
            &state_receiver().unwrap().deployed_bytecode,
        );
        put(
            VALIDATOR_SET_ADDRESS,
            &validator_set().unwrap().deployed_bytecode,
        );
        // The test receiver is compiled for the default target: only under osaka.
        if spec == SpecId::OSAKA {
            put(
                RECEIVER,
                &test_state_sync_receiver().unwrap().deployed_bytecode,
            );
        }
        // JUMPDEST; PUSH1 0; JUMP — spins until out of gas.
        put(LOOPER, &Bytes::from_static(&[0x5b, 0x60, 0x00, 0x56]));
        // RETURN(0, 1 MiB) — a return-data bomb.
        put(
            BOMBER,
            &Bytes::from_static(&[0x62, 0x10, 0x00, 0x00, 0x60, 0x00, 0xf3]),
        );
        Self { db, spec }
    }

    fn block(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1000),
            gas_limit: 30_000_000,
            basefee: 0,
            prevrandao: Some(Default::default()),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new_with_spec(0, self.spec)),
            ..Default::default()
        }
    }

    /// A call from `caller` as the engine makes it (system call: 30M gas, no fee), committed.
    fn call(&mut self, caller: Address, to: Address, data: Vec<u8>) -> ExecutionResult {
        let block = self.block();
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(CfgEnv::new_with_spec(self.spec))
            .with_block(block)
            .build_mainnet();
        evm.system_call_with_caller_commit(caller, to, Bytes::from(data))
            .unwrap()
    }

    /// A plain transaction from `caller` with `gas_limit` and no fee, committed.
    fn transact(
        &mut self,
        caller: Address,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> ExecutionResult {
        let block = self.block();
        let mut cfg = CfgEnv::new_with_spec(self.spec);
        cfg.disable_nonce_check = true;
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        let tx = TxEnv {
            caller,
            gas_limit,
            gas_price: 0,
            kind: TxKind::Call(to),
            data: Bytes::from(data),
            ..Default::default()
        };
        evm.transact_commit(tx).unwrap()
    }

    fn view(&mut self, to: Address, data: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        match self.call(Address::repeat_byte(0x77), to, data) {
            ExecutionResult::Success { output, .. } => Ok(output.into_data().to_vec()),
            ExecutionResult::Revert { output, .. } => Err(output.to_vec()),
            other => panic!("halted: {other:?}"),
        }
    }

    fn last_state_id(&mut self) -> U256 {
        U256::from_be_slice(
            &self
                .view(STATE_RECEIVER_ADDRESS, sel("lastStateId()").to_vec())
                .unwrap(),
        )
    }
}

fn sel(signature: &str) -> [u8; 4] {
    keccak256(signature.as_bytes())[..4].try_into().unwrap()
}

fn word(v: U256) -> [u8; 32] {
    v.to_be_bytes::<32>()
}

fn with_uint(signature: &str, n: u64) -> Vec<u8> {
    let mut out = sel(signature).to_vec();
    out.extend_from_slice(&word(U256::from(n)));
    out
}

/// ABI: selector, static words, then dynamic `bytes` arguments.
fn abi_call(signature: &str, words: &[U256], dynamics: &[&[u8]]) -> Vec<u8> {
    let mut out = sel(signature).to_vec();
    for w in words {
        out.extend_from_slice(&word(*w));
    }
    let mut offset = 32 * (words.len() + dynamics.len());
    for d in dynamics {
        out.extend_from_slice(&word(U256::from(offset)));
        offset += 32 + d.len().div_ceil(32) * 32;
    }
    for d in dynamics {
        out.extend_from_slice(&word(U256::from(d.len())));
        out.extend_from_slice(d);
        out.resize(out.len() + d.len().div_ceil(32) * 32 - d.len(), 0);
    }
    out
}

/// An error's revert data prefix.
fn error(signature: &str) -> [u8; 4] {
    sel(signature)
}

fn rlp_list(items: &[&dyn Encodable]) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length: items.iter().map(|i| i.length()).sum(),
    }
    .encode(&mut out);
    for i in items {
        i.encode(&mut out);
    }
    out
}

fn raw_list(encoded_items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length: encoded_items.iter().map(Vec::len).sum(),
    }
    .encode(&mut out);
    for e in encoded_items {
        out.extend_from_slice(e);
    }
    out
}

fn record(id: u64, receiver: Address, data: &[u8]) -> Vec<u8> {
    rlp_list(&[&id, &receiver, &Bytes::copy_from_slice(data)])
}

fn commit_state(record_bytes: &[u8]) -> Vec<u8> {
    abi_call(
        "commitState(uint256,bytes)",
        &[U256::from(1000)],
        &[record_bytes],
    )
}

fn set(entries: &[(u64, u64, u8)]) -> Vec<u8> {
    raw_list(
        &entries
            .iter()
            .map(|(id, power, signer)| rlp_list(&[id, power, &Address::repeat_byte(*signer)]))
            .collect::<Vec<_>>(),
    )
}

fn commit_span(id: u64, start: u64, end: u64, validators: &[u8], producers: &[u8]) -> Vec<u8> {
    abi_call(
        "commitSpan(uint256,uint256,uint256,bytes,bytes)",
        &[U256::from(id), U256::from(start), U256::from(end)],
        &[validators, producers],
    )
}

/// Decodes `(address[], uint256[])`.
fn decode_set(out: &[u8]) -> Vec<(Address, u64)> {
    let at = |o: usize| U256::from_be_slice(&out[o..o + 32]).to::<usize>();
    let (a, p) = (at(0), at(32));
    let n = at(a);
    assert_eq!(at(p), n);
    (0..n)
        .map(|i| {
            let s = a + 32 + 32 * i;
            (
                Address::from_slice(&out[s + 12..s + 32]),
                at(p + 32 + 32 * i) as u64,
            )
        })
        .collect()
}

fn assert_reverts_with(result: Result<Vec<u8>, Vec<u8>>, err: &str) {
    match result {
        Err(data) => assert_eq!(&data[..4], &error(err), "expected {err}"),
        Ok(out) => panic!("expected revert {err}, got {out:?}"),
    }
}

fn system(chain: &mut Chain, to: Address, data: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    match chain.call(SYSTEM_ADDRESS, to, data) {
        ExecutionResult::Success { output, .. } => Ok(output.into_data().to_vec()),
        ExecutionResult::Revert { output, .. } => Err(output.to_vec()),
        other => panic!("halted: {other:?}"),
    }
}

#[test]
fn validator_set_views_answer_for_committed_spans() {
    for spec in SPECS {
        let mut c = Chain::new(spec);
        let current = |c: &mut Chain| {
            U256::from_be_slice(
                &c.view(VALIDATOR_SET_ADDRESS, sel("currentSpanNumber()").to_vec())
                    .unwrap(),
            )
        };
        // Nothing committed yet: zero, and every lookup reverts.
        assert_eq!(current(&mut c), U256::ZERO);
        assert_reverts_with(
            c.view(VALIDATOR_SET_ADDRESS, with_uint("getSpan(uint256)", 0)),
            "UnknownSpan(uint256)",
        );
        assert_reverts_with(
            c.view(
                VALIDATOR_SET_ADDRESS,
                with_uint("getSpanByBlock(uint256)", 0),
            ),
            "NoSpanForBlock(uint256)",
        );

        let v10 = set(&[(1, 100, 0x11), (2, 200, 0x22)]);
        let p10 = set(&[(2, 200, 0x22)]);
        system(
            &mut c,
            VALIDATOR_SET_ADDRESS,
            commit_span(10, 100, 199, &v10, &p10),
        )
        .unwrap();
        system(
            &mut c,
            VALIDATOR_SET_ADDRESS,
            commit_span(11, 200, 299, &v10, &v10),
        )
        .unwrap();
        // A gap between spans is allowed.
        let v12 = set(&[(3, 5, 0x33)]);
        system(
            &mut c,
            VALIDATOR_SET_ADDRESS,
            commit_span(12, 400, 499, &v12, &v12),
        )
        .unwrap();
        assert_eq!(current(&mut c), U256::from(12));

        let span = c
            .view(VALIDATOR_SET_ADDRESS, with_uint("getSpan(uint256)", 11))
            .unwrap();
        assert_eq!(
            span,
            [
                word(U256::from(11)),
                word(U256::from(200)),
                word(U256::from(299))
            ]
            .concat()
        );
        for unknown in [9, 13] {
            assert_reverts_with(
                c.view(
                    VALIDATOR_SET_ADDRESS,
                    with_uint("getSpan(uint256)", unknown),
                ),
                "UnknownSpan(uint256)",
            );
        }
        let vals = decode_set(
            &c.view(
                VALIDATOR_SET_ADDRESS,
                with_uint("getValidators(uint256)", 10),
            )
            .unwrap(),
        );
        assert_eq!(
            vals,
            vec![
                (Address::repeat_byte(0x11), 100),
                (Address::repeat_byte(0x22), 200)
            ]
        );
        let prods = decode_set(
            &c.view(
                VALIDATOR_SET_ADDRESS,
                with_uint("getProducers(uint256)", 10),
            )
            .unwrap(),
        );
        assert_eq!(prods, vec![(Address::repeat_byte(0x22), 200)]);
        let prods = decode_set(
            &c.view(
                VALIDATOR_SET_ADDRESS,
                with_uint("getProducers(uint256)", 12),
            )
            .unwrap(),
        );
        assert_eq!(prods, vec![(Address::repeat_byte(0x33), 5)]);
        assert_reverts_with(
            c.view(
                VALIDATOR_SET_ADDRESS,
                with_uint("getValidators(uint256)", 13),
            ),
            "UnknownSpan(uint256)",
        );

        for (block, span) in [
            (100, 10),
            (150, 10),
            (199, 10),
            (200, 11),
            (299, 11),
            (400, 12),
            (499, 12),
        ] {
            let out = c
                .view(
                    VALIDATOR_SET_ADDRESS,
                    with_uint("getSpanByBlock(uint256)", block),
                )
                .unwrap();
            assert_eq!(U256::from_be_slice(&out), U256::from(span), "block {block}");
        }
        for block in [0, 99, 300, 399, 500, u64::MAX] {
            assert_reverts_with(
                c.view(
                    VALIDATOR_SET_ADDRESS,
                    with_uint("getSpanByBlock(uint256)", block),
                ),
                "NoSpanForBlock(uint256)",
            );
        }
    }
}

#[test]
fn validator_set_refuses_bad_commits() {
    for spec in SPECS {
        let mut c = Chain::new(spec);
        let ok = set(&[(1, 1, 0x11)]);
        // Not the system.
        assert_reverts_with(
            c.view(VALIDATOR_SET_ADDRESS, commit_span(0, 0, 10, &ok, &ok)),
            "NotSystem(address)",
        );
        let cases: Vec<(Vec<u8>, Vec<u8>, &str)> = vec![
            (ok.clone(), vec![0xc0], "EmptySet(bool)"),
            (vec![0xc0], ok.clone(), "EmptySet(bool)"),
            // An entry with two fields.
            (
                raw_list(&[rlp_list(&[&1u64, &Address::ZERO])]),
                ok.clone(),
                "BadValidatorEntry(uint256,uint256)",
            ),
            // An id over 64 bits.
            (
                raw_list(&[rlp_list(&[&U256::MAX, &1u64, &Address::ZERO])]),
                ok.clone(),
                "ValidatorIdTooLarge(uint256,uint256)",
            ),
            // A 19-byte signer.
            (
                raw_list(&[rlp_list(&[&1u64, &1u64, &Bytes::from(vec![1u8; 19])])]),
                ok.clone(),
                "RLPBadLength(uint256,uint256,uint256)",
            ),
            // Trailing bytes after the set.
            (
                [ok.clone(), vec![0x80]].concat(),
                ok.clone(),
                "RLPTrailingBytes(uint256,uint256)",
            ),
            // An entry whose last element runs past the entry's end: c2 [01 82] aa bb.
            (
                vec![0xc5, 0xc2, 0x01, 0x82, 0xaa, 0xbb],
                ok.clone(),
                "RLPTruncated(uint256,uint256,uint256)",
            ),
            // A string where a list is expected.
            (
                vec![0x83, 1, 2, 3],
                ok.clone(),
                "RLPUnexpectedType(uint256,bool)",
            ),
        ];
        for (validators, producers, err) in cases {
            assert_reverts_with(
                system(
                    &mut c,
                    VALIDATOR_SET_ADDRESS,
                    commit_span(0, 0, 10, &validators, &producers),
                ),
                err,
            );
        }
        assert_reverts_with(
            system(
                &mut c,
                VALIDATOR_SET_ADDRESS,
                commit_span(0, 10, 9, &ok, &ok),
            ),
            "SpanEndsBeforeStart(uint256,uint256)",
        );
        // The first span is free; then ids and ranges must follow.
        system(
            &mut c,
            VALIDATOR_SET_ADDRESS,
            commit_span(7, 50, 60, &ok, &ok),
        )
        .unwrap();
        assert_reverts_with(
            system(
                &mut c,
                VALIDATOR_SET_ADDRESS,
                commit_span(7, 61, 70, &ok, &ok),
            ),
            "UnexpectedSpan(uint256,uint256)",
        );
        assert_reverts_with(
            system(
                &mut c,
                VALIDATOR_SET_ADDRESS,
                commit_span(9, 61, 70, &ok, &ok),
            ),
            "UnexpectedSpan(uint256,uint256)",
        );
        assert_reverts_with(
            system(
                &mut c,
                VALIDATOR_SET_ADDRESS,
                commit_span(8, 60, 70, &ok, &ok),
            ),
            "SpanStartsTooEarly(uint256,uint256)",
        );
        system(
            &mut c,
            VALIDATOR_SET_ADDRESS,
            commit_span(8, 61, 61, &ok, &ok),
        )
        .unwrap();
    }
}

#[test]
fn state_receiver_reads_only_well_formed_records() {
    for spec in SPECS {
        let mut c = Chain::new(spec);
        let r = Address::repeat_byte(0xaa);
        let bad: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "RLPTruncated(uint256,uint256,uint256)"),
            (
                [record(1, r, b"x"), vec![0x00]].concat(),
                "RLPTrailingBytes(uint256,uint256)",
            ),
            (
                record(1, r, b"x")[..10].to_vec(),
                "RLPTruncated(uint256,uint256,uint256)",
            ),
            (rlp_list(&[&1u64, &r]), "BadRecord(uint256)"),
            (
                rlp_list(&[&1u64, &r, &Bytes::new(), &Bytes::new()]),
                "BadRecord(uint256)",
            ),
            // id 1 with a leading zero byte.
            (
                raw_list(&[vec![0x82, 0x00, 0x01], alloy_rlp::encode(r), vec![0x80]]),
                "RLPNonCanonical(uint256)",
            ),
            // a single byte below 0x80 wrapped in a string.
            (
                raw_list(&[vec![0x81, 0x01], alloy_rlp::encode(r), vec![0x80]]),
                "RLPNonCanonical(uint256)",
            ),
            // a long-form length for a short string.
            (
                raw_list(&[vec![0x01], alloy_rlp::encode(r), vec![0xb8, 0x01, 0xff]]),
                "RLPNonCanonical(uint256)",
            ),
            // a list shorter than its elements: the list ends early, the rest is left over.
            (
                [vec![0xc3, 0x01], alloy_rlp::encode(r)].concat(),
                "RLPTrailingBytes(uint256,uint256)",
            ),
            (
                rlp_list(&[&1u64, &Bytes::from(vec![0xaa; 21]), &Bytes::new()]),
                "RLPBadLength(uint256,uint256,uint256)",
            ),
            (
                raw_list(&[rlp_list(&[&1u64]), alloy_rlp::encode(r), vec![0x80]]),
                "RLPUnexpectedType(uint256,bool)",
            ),
            (record(2, r, b""), "UnexpectedStateId(uint256,uint256)"),
            (record(0, r, b""), "UnexpectedStateId(uint256,uint256)"),
        ];
        for (bytes, err) in bad {
            assert_reverts_with(
                system(&mut c, STATE_RECEIVER_ADDRESS, commit_state(&bytes)),
                err,
            );
        }
        assert_eq!(c.last_state_id(), U256::ZERO);
        assert_reverts_with(
            c.view(STATE_RECEIVER_ADDRESS, commit_state(&record(1, r, b""))),
            "NotSystem(address)",
        );

        // Long forms: a 10,000-byte payload (2-byte length) in a list over 55 bytes.
        let big = vec![0x5a; 10_000];
        let out = system(
            &mut c,
            STATE_RECEIVER_ADDRESS,
            commit_state(&record(1, r, &big)),
        )
        .unwrap();
        assert_eq!(
            U256::from_be_slice(&out),
            U256::ZERO,
            "no code at the receiver: success = false"
        );
        assert_eq!(c.last_state_id(), U256::from(1));
        let sync = c
            .view(STATE_RECEIVER_ADDRESS, sel("lastSyncTime()").to_vec())
            .unwrap();
        assert_eq!(U256::from_be_slice(&sync), U256::from(1000));
    }
}

#[test]
fn a_receiver_gets_exactly_its_gas_and_cannot_bomb_the_caller() {
    for spec in SPECS {
        let mut c = Chain::new(spec);
        // A receiver that spins burns its 5,000,000 gas and no more.
        let res = c.call(
            SYSTEM_ADDRESS,
            STATE_RECEIVER_ADDRESS,
            commit_state(&record(1, LOOPER, b"")),
        );
        assert!(res.is_success(), "{res:?}");
        assert_eq!(U256::from_be_slice(res.output().unwrap()), U256::ZERO);
        let used = res.tx_gas_used();
        assert!((5_000_000..5_150_000).contains(&used), "gas used {used}");

        // A receiver returning 1 MiB pays for its own memory; the StateReceiver copies nothing.
        let res = c.call(
            SYSTEM_ADDRESS,
            STATE_RECEIVER_ADDRESS,
            commit_state(&record(2, BOMBER, b"")),
        );
        assert!(res.is_success(), "{res:?}");
        assert_eq!(
            U256::from_be_slice(res.output().unwrap()),
            U256::from(1),
            "RETURN is success"
        );
        let used = res.tx_gas_used();
        assert!(
            used < 3_000_000,
            "gas used {used}: the return data was copied"
        );

        // Too little gas to give the receiver its 5,000,000: refused, nothing committed.
        let res = c.transact(
            SYSTEM_ADDRESS,
            STATE_RECEIVER_ADDRESS,
            commit_state(&record(3, LOOPER, b"")),
            4_000_000,
        );
        match res {
            ExecutionResult::Revert { output, .. } => {
                assert_eq!(&output[..4], &error("InsufficientGas(uint256,uint256)"));
            }
            other => panic!("expected a revert, got {other:?}"),
        }
        assert_eq!(c.last_state_id(), U256::from(2));
        // With enough gas the same record commits.
        let res = c.transact(
            SYSTEM_ADDRESS,
            STATE_RECEIVER_ADDRESS,
            commit_state(&record(3, LOOPER, b"")),
            6_000_000,
        );
        assert!(res.is_success(), "{res:?}");
        assert_eq!(c.last_state_id(), U256::from(3));
    }
}

#[test]
fn the_test_receiver_accepts_only_the_state_receiver() {
    let mut c = Chain::new(SpecId::OSAKA);
    let call = {
        let mut out = sel("onStateReceive(uint256,bytes)").to_vec();
        out.extend_from_slice(&word(U256::from(1)));
        out.extend_from_slice(&word(U256::from(64)));
        out.extend_from_slice(&word(U256::from(2)));
        out.extend_from_slice(&[0xab, 0xcd]);
        out.resize(out.len() + 30, 0);
        out
    };
    assert_reverts_with(c.view(RECEIVER, call.clone()), "NotStateReceiver(address)");
    let res = c.call(STATE_RECEIVER_ADDRESS, RECEIVER, call);
    assert!(res.is_success());
    assert_eq!(res.logs().len(), 1);
    let data = c.view(RECEIVER, sel("lastData()").to_vec()).unwrap();
    assert_eq!(U256::from_be_slice(&data[32..64]), U256::from(2));
    assert_eq!(&data[64..66], &[0xab, 0xcd]);
}
