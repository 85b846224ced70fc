//! The engine's performance figures, measured in one process so that the ratios compare like
//! with like on the same (possibly shared) cores:
//!
//! - a block of 1,000 ERC-20 transfers (the solc-compiled `contracts/artifacts/TestToken.json`,
//!   1,000 funded senders, each sending once to a fresh recipient), as Mgas/s of
//!   (a) bare revm on an in-memory `CacheDB` with pre-recovered transactions (no state root,
//!   no persistence) and (b) our full import, `InProcessEngine::new_payload` +
//!   `forkchoice_updated` (decode and recover, execute, state root, checks, one fsync'd RocksDB
//!   batch), and b/a; plus where (b)'s time goes, phase by phase;
//! - sender recovery, transactions/s of `tx::decode_and_check` over the block's raw EIP-1559
//!   transactions against bare ecrecover loops over the same hashes and signatures
//!   (libsecp256k1, and k256, the backend alloy uses in our build).
//!
//! Samples of every measurement are interleaved (a, b, recovery, phases; repeat), and the
//! medians are printed as a Markdown table. Criterion is not used: it cannot report a ratio
//! of two measurements, and interleaving keeps both sides under the same load.
//!
//! `cargo bench -p bttc-engine-executor --bench engine` (or `scripts/bench`). Environment:
//! `BENCH_TXS` (default 1000), `BENCH_SAMPLES` (default 10), `BENCH_WARMUP` (untimed rounds
//! first, default 2). Run without `--bench` (as `cargo test --benches` does), it makes one
//! quick pass over 20 transactions, checking only that every path works.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
// A benchmark harness: wall-clock time (Instant::now) is what it measures.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxReceipt};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{
    self as api, Engine, ExecutablePayload, ForkchoiceState, PayloadAttributes, PayloadStatus,
    TxCheck,
};
use bttc_engine_chainspec::{ChainSpec, GenesisAccount};
use bttc_engine_executor::{tx, InProcessEngine};
use bttc_engine_storage::{BlockState, BlockWrite, Store};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::KECCAK_EMPTY;
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

const CHAIN_ID: u64 = 1029;
/// Room for 1,000 transfers of ~50k gas (the spec's 30M default would hold ~560).
const BLOCK_GAS_LIMIT: u64 = 200_000_000;
const TX_GAS_LIMIT: u64 = 100_000;
/// Token units each sender holds, and sends.
const SENDER_TOKENS: u64 = 1_000_000;
const TRANSFER_TOKENS: u64 = 1_000;
/// The constructor's `uint256` argument(s).
const INITIAL_SUPPLY: u128 = 1_000_000_000_000_000_000_000_000_000;
const ARTIFACT: &str = "../../contracts/artifacts/TestToken.json";

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("engine bench failed: {e}");
        std::process::exit(1);
    }
}

struct Config {
    txs: usize,
    samples: usize,
    warmup: usize,
}

fn env_usize(name: &str, default: usize) -> Res<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|e| format!("{name}={v:?} is not a count: {e}")),
        Err(_) => Ok(default),
    }
}

fn config() -> Res<Config> {
    let bench = std::env::args().any(|a| a == "--bench");
    if !bench {
        return Ok(Config {
            txs: 20,
            samples: 1,
            warmup: 0,
        });
    }
    let txs = env_usize("BENCH_TXS", 1_000)?;
    let samples = env_usize("BENCH_SAMPLES", 10)?;
    let warmup = env_usize("BENCH_WARMUP", 2)?;
    if txs == 0 || samples == 0 {
        return Err("BENCH_TXS and BENCH_SAMPLES must be positive".into());
    }
    Ok(Config {
        txs,
        samples,
        warmup,
    })
}

// ---------------------------------------------------------------- the token

struct Artifact {
    init_code: Bytes,
    constructor_inputs: Vec<String>,
}

fn artifact_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(ARTIFACT)
}

fn load_artifact() -> Res<Artifact> {
    let path = artifact_path();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read the ERC-20 artifact {}: {e}. It is the solc output for \
             contracts/src/test/TestToken.sol (fields abi, bytecode, deployedBytecode); build \
             the contracts first",
            path.display()
        )
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let bytecode = match &json["bytecode"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => match o.get("object") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => {
                return Err(format!(
                    "{}: bytecode.object is not a string",
                    path.display()
                ))
            }
        },
        other => {
            return Err(format!(
                "{}: expected a bytecode string, found {other}",
                path.display()
            ))
        }
    };
    let hex = bytecode.strip_prefix("0x").unwrap_or(&bytecode);
    let init_code = Bytes::from(
        alloy_primitives::hex::decode(hex)
            .map_err(|e| format!("{}: bytecode is not hex: {e}", path.display()))?,
    );
    if init_code.is_empty() {
        return Err(format!("{}: bytecode is empty", path.display()));
    }
    let abi = json["abi"]
        .as_array()
        .ok_or_else(|| format!("{}: abi is not an array", path.display()))?;
    let constructor_inputs = abi
        .iter()
        .find(|e| e["type"] == "constructor")
        .and_then(|c| c["inputs"].as_array())
        .map(|inputs| {
            inputs
                .iter()
                .map(|i| i["type"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default();
    Ok(Artifact {
        init_code,
        constructor_inputs,
    })
}

fn word(v: U256) -> [u8; 32] {
    v.to_be_bytes::<32>()
}

fn addr_word(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// ABI-encodes the constructor arguments: every `uint*` is [`INITIAL_SUPPLY`], every
/// `address` the deployer, every `string` the token's name.
fn constructor_args(inputs: &[String], deployer: Address) -> Res<Vec<u8>> {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let head_len = 32 * inputs.len();
    for ty in inputs {
        match ty.as_str() {
            t if t.starts_with("uint") => head.extend(word(U256::from(INITIAL_SUPPLY))),
            "address" => head.extend(addr_word(deployer)),
            "string" => {
                head.extend(word(U256::from(head_len + tail.len())));
                let s = b"Test Token";
                tail.extend(word(U256::from(s.len())));
                let mut data = s.to_vec();
                data.resize(32, 0);
                tail.extend(data);
            }
            other => {
                return Err(format!(
                    "TestToken constructor takes a {other}; the bench knows uint*, address, string"
                ))
            }
        }
    }
    head.extend(tail);
    Ok(head)
}

fn cfg(spec: &ChainSpec) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(spec.spec_id());
    cfg.chain_id = spec.chain_id;
    cfg
}

fn block_env(spec: &ChainSpec, p: &ExecutablePayload) -> BlockEnv {
    BlockEnv {
        number: U256::from(p.block_number),
        beneficiary: Address::from(p.fee_recipient.0),
        timestamp: U256::from(p.timestamp),
        gas_limit: p.gas_limit,
        basefee: p.base_fee_per_gas,
        difficulty: U256::ZERO,
        prevrandao: Some(B256::from(p.prev_randao.0)),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new_with_spec(0, spec.spec_id())),
        ..Default::default()
    }
}

/// The deployed token: its runtime code and the storage its constructor wrote, and the index
/// of the `balanceOf` mapping, found by looking for `keccak(pad(deployer) ++ pad(p))`.
struct Token {
    address: Address,
    code: Bytes,
    storage: BTreeMap<U256, U256>,
    balances_slot: U256,
    deployer: Address,
}

fn balance_key(holder: Address, mapping: U256) -> U256 {
    let mut pre = addr_word(holder).to_vec();
    pre.extend(word(mapping));
    U256::from_be_bytes(keccak256(pre).0)
}

/// Runs the token's constructor on bare revm and reads back what it left.
fn deploy_token(artifact: &Artifact, spec: &ChainSpec) -> Res<Token> {
    let deployer = Address::repeat_byte(0xde);
    let mut data = artifact.init_code.to_vec();
    data.extend(constructor_args(&artifact.constructor_inputs, deployer)?);
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(
        deployer,
        AccountInfo {
            balance: U256::from(10u128.pow(24)),
            ..Default::default()
        },
    );
    let block = BlockEnv {
        prevrandao: Some(B256::ZERO),
        ..Default::default()
    };
    let result = {
        let mut evm = Context::mainnet()
            .with_db(&mut db)
            .with_cfg(cfg(spec))
            .with_block(block)
            .build_mainnet();
        evm.transact_commit(TxEnv {
            caller: deployer,
            kind: TxKind::Create,
            data: Bytes::from(data),
            gas_limit: 16_000_000,
            gas_price: 0,
            nonce: 0,
            chain_id: Some(CHAIN_ID),
            ..Default::default()
        })
        .map_err(|e| format!("deploying TestToken: {e}"))?
    };
    let address = match result {
        ExecutionResult::Success {
            output: Output::Create(_, Some(a)),
            ..
        } => a,
        other => return Err(format!("TestToken constructor did not deploy: {other:?}")),
    };
    let account = db
        .cache
        .accounts
        .get(&address)
        .ok_or("the deployed token has no account")?;
    let code = db
        .cache
        .contracts
        .get(&account.info.code_hash)
        .ok_or("the deployed token's code is missing")?
        .original_bytes();
    let storage: BTreeMap<U256, U256> = account
        .storage
        .iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|(k, v)| (*k, *v))
        .collect();
    let found: Vec<U256> = (0u64..64)
        .map(U256::from)
        .filter(|p| storage.contains_key(&balance_key(deployer, *p)))
        .collect();
    let [balances_slot] = found[..] else {
        return Err(format!(
            "cannot locate the balanceOf mapping: after the constructor, expected one slot \
             keccak(deployer ++ p) for p < 64 holding the minted supply, found {}",
            found.len()
        ));
    };
    Ok(Token {
        address,
        code,
        storage,
        balances_slot,
        deployer,
    })
}

// ---------------------------------------------------------------- the block

fn spec_json() -> String {
    format!(
        r#"{{ "config": {{ "chainId": {CHAIN_ID} }}, "gasLimit": "{BLOCK_GAS_LIMIT:#x}",
              "baseFeePerGas": "0x3b9aca00" }}"#
    )
}

struct Fixture {
    spec: ChainSpec,
    token: Token,
    senders: Vec<Address>,
    recipients: Vec<Address>,
    /// The sealed block 1 of `txs` transfers.
    payload: ExecutablePayload,
    gas_used: u64,
}

fn signer(i: usize) -> PrivateKeySigner {
    let scalar = U256::from(0x1000_0000u64 + i as u64);
    PrivateKeySigner::from_bytes(&B256::from(scalar)).expect("a small scalar is a valid key")
}

fn transfer_tx(from: &PrivateKeySigner, token: Address, to: Address) -> Vec<u8> {
    let mut input = keccak256("transfer(address,uint256)")[..4].to_vec();
    input.extend(addr_word(to));
    input.extend(word(U256::from(TRANSFER_TOKENS)));
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: TX_GAS_LIMIT,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(token),
        value: U256::ZERO,
        input: Bytes::from(input),
        ..Default::default()
    };
    let sig = from
        .sign_hash_sync(&tx.signature_hash())
        .expect("signing a hash");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

fn h256(b: B256) -> api::H256 {
    api::H256(b.0)
}

fn fixture(n: usize) -> Res<Fixture> {
    let mut spec = ChainSpec::from_json(&spec_json()).map_err(|e| e.to_string())?;
    let token = deploy_token(&load_artifact()?, &spec)?;
    let signers: Vec<PrivateKeySigner> = (0..n).map(signer).collect();
    let senders: Vec<Address> = signers.iter().map(|s| s.address()).collect();
    let recipients: Vec<Address> = (0..n)
        .map(|i| Address::from_word(keccak256(format!("recipient {i}"))))
        .collect();
    let producer =
        PrivateKeySigner::from_bytes(&B256::repeat_byte(0x09)).map_err(|e| e.to_string())?;

    let eth = U256::from(10u128.pow(20));
    for a in &senders {
        spec.alloc.insert(
            *a,
            GenesisAccount {
                balance: eth,
                ..Default::default()
            },
        );
    }
    let mut storage = token.storage.clone();
    let deployer_key = balance_key(token.deployer, token.balances_slot);
    let handed_out = U256::from(SENDER_TOKENS) * U256::from(n);
    let deployer_balance = storage[&deployer_key]
        .checked_sub(handed_out)
        .ok_or("the minted supply is smaller than what the senders are given")?;
    storage.insert(deployer_key, deployer_balance);
    for a in &senders {
        storage.insert(
            balance_key(*a, token.balances_slot),
            U256::from(SENDER_TOKENS),
        );
    }
    spec.alloc.insert(
        token.address,
        GenesisAccount {
            balance: U256::ZERO,
            nonce: 1,
            code: token.code.clone(),
            storage: storage
                .into_iter()
                .map(|(k, v)| (B256::from(k.to_be_bytes::<32>()), v))
                .collect(),
        },
    );

    // Build and seal block 1 on a producer engine; the measured engines import it.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let engine = InProcessEngine::open(dir.path(), spec.clone()).map_err(|e| e.to_string())?;
    for (s, to) in signers.iter().zip(&recipients) {
        let raw = transfer_tx(s, token.address, *to);
        match engine.check_tx(&raw).map_err(|e| e.to_string())? {
            TxCheck::Accepted(_) => {}
            rejected => return Err(format!("check_tx refused a transfer: {rejected:?}")),
        }
    }
    let head = engine.head().map_err(|e| e.to_string())?;
    let fcu = engine
        .forkchoice_updated(
            ForkchoiceState::finalized(head.hash),
            Some(PayloadAttributes {
                timestamp: 2,
                producer: api::Address(producer.address().0 .0),
                state_sync_records: vec![],
                span_commit: None,
                max_transactions_bytes: None,
            }),
        )
        .map_err(|e| e.to_string())?;
    let id = fcu
        .payload_id
        .ok_or("no payload id from forkchoice_updated")?;
    let built = engine.get_payload(id).map_err(|e| e.to_string())?;
    let mut payload = built.payload;
    if payload.transactions.len() != n {
        return Err(format!(
            "the built block holds {} of the {n} transfers",
            payload.transactions.len()
        ));
    }
    let sig = producer
        .sign_hash_sync(&B256::from(built.seal_hash.0))
        .map_err(|e| e.to_string())?;
    payload.seal(sig.as_rsy()).map_err(|e| e.to_string())?;
    let gas_used = payload.gas_used;
    Ok(Fixture {
        spec,
        token,
        senders,
        recipients,
        payload,
        gas_used,
    })
}

// ---------------------------------------------------------------- measurements

/// (a) bare revm: in-memory state with the same genesis, the block's transactions
/// pre-recovered, no receipts, no state root, no persistence.
struct Bare {
    db: CacheDB<EmptyDB>,
    txs: Vec<TxEnv>,
    cfg: CfgEnv,
    block: BlockEnv,
}

fn bare_setup(f: &Fixture) -> Res<Bare> {
    let mut db = CacheDB::new(EmptyDB::default());
    for (address, acc) in &f.spec.alloc {
        let (code_hash, code) = if acc.code.is_empty() {
            (KECCAK_EMPTY, Bytecode::default())
        } else {
            (
                keccak256(&acc.code),
                Bytecode::new_raw_checked(acc.code.clone()).map_err(|e| e.to_string())?,
            )
        };
        db.insert_account_info(
            *address,
            AccountInfo {
                balance: acc.balance,
                nonce: acc.nonce,
                code_hash,
                code: Some(code),
                ..Default::default()
            },
        );
        for (k, v) in &acc.storage {
            db.insert_account_storage(*address, U256::from_be_bytes(k.0), *v)
                .map_err(|e| format!("{e:?}"))?;
        }
    }
    let txs = f
        .payload
        .transactions
        .iter()
        .map(|raw| {
            tx::decode_and_check(raw.as_slice(), &f.spec)
                .map(|t| t.tx_env())
                .map_err(|e| e.to_string())
        })
        .collect::<Res<Vec<_>>>()?;
    Ok(Bare {
        db,
        txs,
        cfg: cfg(&f.spec),
        block: block_env(&f.spec, &f.payload),
    })
}

fn bare_run(b: &Bare) -> Res<(Duration, u64)> {
    let mut db = b.db.clone();
    let txs = b.txs.clone();
    let start = Instant::now();
    let mut gas = 0u64;
    {
        let mut evm = Context::mainnet()
            .with_db(&mut db)
            .with_cfg(b.cfg.clone())
            .with_block(b.block.clone())
            .build_mainnet();
        for t in txs {
            let r = evm.transact_commit(t).map_err(|e| e.to_string())?;
            if !r.is_success() {
                return Err(format!("bare revm: a transfer failed: {r:?}"));
            }
            gas += r.tx_gas_used();
        }
    }
    let elapsed = start.elapsed();
    black_box(&db);
    Ok((elapsed, gas))
}

/// (b) full import into a fresh engine (its genesis written before the clock starts).
fn import_run(f: &Fixture, check: bool) -> Res<Duration> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let engine = InProcessEngine::open(dir.path(), f.spec.clone()).map_err(|e| e.to_string())?;
    let payload = f.payload.clone();
    let hash = payload.block_hash;
    let start = Instant::now();
    let status = engine.new_payload(payload).map_err(|e| e.to_string())?;
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(hash), None)
        .map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    if status
        != (PayloadStatus::Valid {
            latest_valid_hash: hash,
        })
        || !fcu.payload_status.is_valid()
    {
        return Err(format!("import: {status:?}, forkchoice {fcu:?}"));
    }
    if check {
        check_imported(f, &engine)?;
    }
    drop(engine);
    drop(dir);
    Ok(elapsed)
}

/// Every transfer succeeded and moved the tokens.
fn check_imported(f: &Fixture, engine: &InProcessEngine) -> Res<()> {
    let head = engine.head().map_err(|e| e.to_string())?;
    if head.hash != f.payload.block_hash {
        return Err("the imported block is not the head".into());
    }
    let receipts = engine
        .receipts(f.payload.block_hash)
        .map_err(|e| e.to_string())?
        .ok_or("no receipts for the imported block")?;
    let failed = receipts.receipts.iter().filter(|r| !r.status()).count();
    if receipts.receipts.len() != f.recipients.len() || failed != 0 {
        return Err(format!(
            "{} receipts, {failed} failed; expected {} successful transfers",
            receipts.receipts.len(),
            f.recipients.len()
        ));
    }
    let slot = f.token.balances_slot;
    for (s, r) in f.senders.iter().zip(&f.recipients) {
        let got = engine
            .storage_at(f.token.address.0 .0, balance_key(*r, slot))
            .map_err(|e| e.to_string())?;
        let left = engine
            .storage_at(f.token.address.0 .0, balance_key(*s, slot))
            .map_err(|e| e.to_string())?;
        if got != U256::from(TRANSFER_TOKENS) || left != U256::from(SENDER_TOKENS - TRANSFER_TOKENS)
        {
            return Err(format!(
                "after the block, recipient {r} holds {got} and sender {s} {left} tokens"
            ));
        }
    }
    Ok(())
}

/// (b) again, phase by phase, with the engine's building blocks on a store holding the same
/// genesis: recovery, execution over the RocksDB-backed overlay, state root, persistence.
#[derive(Default, Clone, Copy)]
struct Phases {
    recover: Duration,
    execute: Duration,
    state_root: Duration,
    persist: Duration,
}

fn phases_run(f: &Fixture) -> Res<Phases> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let genesis = {
        let engine =
            InProcessEngine::open(dir.path(), f.spec.clone()).map_err(|e| e.to_string())?;
        engine.head().map_err(|e| e.to_string())?
    };
    let store = Store::open(dir.path()).map_err(|e| e.to_string())?;
    let p = &f.payload;

    let start = Instant::now();
    let txs = p
        .transactions
        .iter()
        .map(|raw| tx::decode_and_check(raw.as_slice(), &f.spec).map_err(|e| e.to_string()))
        .collect::<Res<Vec<_>>>()?;
    let recover = start.elapsed();

    let mut state = BlockState::new(&store);
    let start = Instant::now();
    {
        let mut evm = Context::mainnet()
            .with_db(&mut state)
            .with_cfg(cfg(&f.spec))
            .with_block(block_env(&f.spec, p))
            .build_mainnet();
        for t in &txs {
            let r = evm.transact_commit(t.tx_env()).map_err(|e| e.to_string())?;
            if !r.is_success() {
                return Err(format!("phases: a transfer failed: {r:?}"));
            }
        }
    }
    let execute = start.elapsed();

    let start = Instant::now();
    let (root, writes) = store
        .prepare_state(B256::from(genesis.state_root.0), &state)
        .map_err(|e| e.to_string())?;
    let state_root = start.elapsed();
    if h256(root) != p.state_root {
        return Err(format!(
            "phases: state root {root} differs from the block's {}",
            p.state_root
        ));
    }

    let start = Instant::now();
    let block = BlockWrite {
        number: p.block_number,
        hash: B256::from(p.block_hash.0),
        parent_hash: B256::from(genesis.hash.0),
        header_rlp: alloy_rlp::encode(p.to_alloy_header()),
        body: serde_json::to_vec(p).map_err(|e| e.to_string())?,
        receipts: Vec::new(),
        tx_hashes: txs.iter().map(|t| t.hash).collect(),
    };
    store
        .commit_block(&block, &writes)
        .map_err(|e| e.to_string())?;
    let persist = start.elapsed();
    drop(state);
    drop(store);
    drop(dir);
    Ok(Phases {
        recover,
        execute,
        state_root,
        persist,
    })
}

/// Sender recovery inputs: raw transactions, and their hashes and signatures pre-parsed for
/// the bare loops, with the expected senders.
struct Recovery {
    raws: Vec<Vec<u8>>,
    secp: Vec<(secp256k1::Message, secp256k1::ecdsa::RecoverableSignature)>,
    alloy: Vec<(B256, Signature)>,
    senders: Vec<Address>,
}

fn recovery_setup(f: &Fixture) -> Res<Recovery> {
    let mut r = Recovery {
        raws: Vec::new(),
        secp: Vec::new(),
        alloy: Vec::new(),
        senders: Vec::new(),
    };
    for raw in &f.payload.transactions {
        let t = tx::decode_and_check(raw.as_slice(), &f.spec).map_err(|e| e.to_string())?;
        let TxEnvelope::Eip1559(signed) = &t.envelope else {
            return Err("expected EIP-1559 transactions".into());
        };
        let hash = signed.signature_hash();
        let sig = *signed.signature();
        let recid = secp256k1::ecdsa::RecoveryId::try_from(i32::from(sig.v()))
            .map_err(|e| e.to_string())?;
        let rsig =
            secp256k1::ecdsa::RecoverableSignature::from_compact(&sig.as_bytes()[..64], recid)
                .map_err(|e| e.to_string())?;
        r.raws.push(raw.as_slice().to_vec());
        r.secp.push((secp256k1::Message::from_digest(hash.0), rsig));
        r.alloy.push((hash, sig));
        r.senders.push(t.sender);
    }
    Ok(r)
}

fn recover_pipeline(r: &Recovery, spec: &ChainSpec) -> Res<Duration> {
    let start = Instant::now();
    for (raw, want) in r.raws.iter().zip(&r.senders) {
        let t = tx::decode_and_check(black_box(raw), spec).map_err(|e| e.to_string())?;
        if t.sender != *want {
            return Err("pipeline recovered a wrong sender".into());
        }
        black_box(t);
    }
    Ok(start.elapsed())
}

fn recover_secp(r: &Recovery) -> Res<Duration> {
    let start = Instant::now();
    for ((msg, sig), want) in r.secp.iter().zip(&r.senders) {
        let pk = secp256k1::SECP256K1
            .recover_ecdsa(*black_box(msg), black_box(sig))
            .map_err(|e| e.to_string())?;
        let a = Address::from_raw_public_key(&pk.serialize_uncompressed()[1..]);
        if a != *want {
            return Err("libsecp256k1 recovered a wrong sender".into());
        }
    }
    Ok(start.elapsed())
}

fn recover_alloy(r: &Recovery) -> Res<Duration> {
    let start = Instant::now();
    for ((hash, sig), want) in r.alloy.iter().zip(&r.senders) {
        let a = black_box(sig)
            .recover_address_from_prehash(black_box(hash))
            .map_err(|e| e.to_string())?;
        if a != *want {
            return Err("k256 recovered a wrong sender".into());
        }
    }
    Ok(start.elapsed())
}

// ---------------------------------------------------------------- statistics and output

struct Stat {
    median: f64,
    min: f64,
    max: f64,
}

fn stat(samples: &[Duration]) -> Stat {
    let mut s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Stat {
        median,
        min: s[0],
        max: s[n - 1],
    }
}

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1e3)
}

fn time_cell(s: &Stat) -> String {
    format!("{} ({} – {})", ms(s.median), ms(s.min), ms(s.max))
}

fn run() -> Res<()> {
    let cfg = config()?;
    eprintln!(
        "engine bench: setting up a block of {} ERC-20 transfers…",
        cfg.txs
    );
    let f = fixture(cfg.txs)?;
    let bare = bare_setup(&f)?;
    let rec = recovery_setup(&f)?;

    // Sanity: the bare run does exactly the block's work, and the import succeeds and moves
    // the tokens (checked once, outside the samples).
    let (_, bare_gas) = bare_run(&bare)?;
    if bare_gas != f.gas_used {
        return Err(format!(
            "bare revm used {bare_gas} gas, the block {}",
            f.gas_used
        ));
    }
    import_run(&f, true)?;

    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut rp = Vec::new();
    let mut rs = Vec::new();
    let mut rk = Vec::new();
    let mut ph = Vec::new();
    for i in 0..cfg.warmup + cfg.samples {
        let keep = i >= cfg.warmup;
        let da = bare_run(&bare)?.0;
        let db = import_run(&f, false)?;
        let (p, s, k) = (
            recover_pipeline(&rec, &f.spec)?,
            recover_secp(&rec)?,
            recover_alloy(&rec)?,
        );
        let phases = phases_run(&f)?;
        if keep {
            a.push(da);
            b.push(db);
            rp.push(p);
            rs.push(s);
            rk.push(k);
            ph.push(phases);
        }
        eprintln!(
            "sample {}/{}: a {:.1} ms, b {:.1} ms",
            i + 1,
            cfg.warmup + cfg.samples,
            da.as_secs_f64() * 1e3,
            db.as_secs_f64() * 1e3
        );
    }

    let n = cfg.txs as f64;
    let gas = f.gas_used as f64;
    let (sa, sb) = (stat(&a), stat(&b));
    let mgas = |s: f64| gas / s / 1e6;
    println!();
    println!(
        "Block of {} ERC-20 transfers ({} senders → {} fresh recipients), {} gas ({} per tx); \
         {} samples, median (min – max).",
        cfg.txs,
        cfg.txs,
        cfg.txs,
        f.gas_used,
        f.gas_used / cfg.txs as u64,
        cfg.samples
    );
    println!();
    println!("| measurement | time per block | Mgas/s |");
    println!("| --- | --- | --- |");
    println!(
        "| (a) bare revm, in-memory CacheDB, pre-recovered | {} | {:.0} |",
        time_cell(&sa),
        mgas(sa.median)
    );
    println!(
        "| (b) full import: new_payload + forkchoice_updated | {} | {:.0} |",
        time_cell(&sb),
        mgas(sb.median)
    );
    println!(
        "| b / a (goal ≥ 0.5) | | {:.2} |",
        mgas(sb.median) / mgas(sa.median)
    );
    println!();

    let phase = |get: fn(&Phases) -> Duration| stat(&ph.iter().map(get).collect::<Vec<_>>());
    let parts = [
        ("decode + check + sender recovery", phase(|p| p.recover)),
        (
            "revm execution over the RocksDB-backed overlay",
            phase(|p| p.execute),
        ),
        ("state root (prepare_state)", phase(|p| p.state_root)),
        (
            "persist (commit_block, fsync'd batch)",
            phase(|p| p.persist),
        ),
    ];
    let sum: f64 = parts.iter().map(|(_, s)| s.median).sum();
    println!("| where (b)'s time goes | time per block | share of (b) |");
    println!("| --- | --- | --- |");
    for (what, s) in &parts {
        println!(
            "| {what} | {} | {:.0} % |",
            time_cell(s),
            s.median / sb.median * 100.0
        );
    }
    println!(
        "| sum of the four phases (the rest of (b): payload checks, receipts, JSON body) | {} | {:.0} % |",
        ms(sum),
        sum / sb.median * 100.0
    );
    println!();

    let (sp, ss, sk) = (stat(&rp), stat(&rs), stat(&rk));
    let tps = |s: f64| n / s;
    println!(
        "| sender recovery, {} EIP-1559 txs | time | txs/s |",
        cfg.txs
    );
    println!("| --- | --- | --- |");
    println!(
        "| pipeline: tx::decode_and_check | {} | {:.0} |",
        time_cell(&sp),
        tps(sp.median)
    );
    println!(
        "| bare ecrecover, libsecp256k1 (+ keccak to address) | {} | {:.0} |",
        time_cell(&ss),
        tps(ss.median)
    );
    println!(
        "| bare ecrecover, alloy Signature::recover_address_from_prehash (k256 in our build) | {} | {:.0} |",
        time_cell(&sk),
        tps(sk.median)
    );
    println!(
        "| pipeline / libsecp256k1 (goal ≥ 0.9) | | {:.2} |",
        tps(sp.median) / tps(ss.median)
    );
    println!(
        "| pipeline / alloy Signature recovery | | {:.2} |",
        tps(sp.median) / tps(sk.median)
    );
    Ok(())
}
