//! The engine's views as alloy's RPC types, which serialize with geth's field names.

use alloy_consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, Signed, TxEnvelope, TxLegacy, TxType,
};
use alloy_primitives::{Address, Bytes, Signature, TxKind, B256, U256};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header as RpcHeader, Log as RpcLog, Transaction, TransactionReceipt,
};
use bttc_engine_executor::{BlockView, LogView, ReceiptView, StoredTx, TxLocation, TxLookup};

/// A log with its position.
pub fn log(l: &LogView) -> RpcLog {
    RpcLog {
        inner: l.inner.clone(),
        block_hash: Some(l.block_hash),
        block_number: Some(l.block_number),
        block_timestamp: Some(l.block_timestamp),
        transaction_hash: Some(l.tx_hash),
        transaction_index: Some(l.tx_index),
        log_index: Some(l.log_index),
        removed: false,
    }
}

/// A receipt.
pub fn receipt(r: &ReceiptView) -> TransactionReceipt {
    let ty = TxType::try_from(r.tx_type).unwrap_or(TxType::Legacy);
    let inner = ReceiptEnvelope::from_typed(
        ty,
        ReceiptWithBloom {
            receipt: Receipt {
                status: Eip658Value::Eip658(r.success),
                cumulative_gas_used: r.cumulative_gas_used,
                logs: r.logs.iter().map(log).collect(),
            },
            logs_bloom: r.logs_bloom,
        },
    );
    TransactionReceipt {
        inner,
        transaction_hash: r.tx_hash,
        transaction_index: Some(r.tx_index),
        block_hash: Some(r.block_hash),
        block_number: Some(r.block_number),
        gas_used: r.gas_used,
        effective_gas_price: r.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: r.from,
        to: r.to,
        contract_address: r.contract_address,
    }
}

/// A signed transaction, mined (`location`) or pending.
pub fn transaction(tx: &StoredTx, location: Option<&TxLocation>) -> Transaction {
    let effective_gas_price = location
        .map(|l| alloy_consensus::Transaction::effective_gas_price(&tx.envelope, l.base_fee));
    Transaction {
        inner: alloy_consensus::transaction::Recovered::new_unchecked(
            tx.envelope.clone(),
            tx.sender,
        ),
        block_hash: location.map(|l| l.block_hash),
        block_number: location.map(|l| l.block_number),
        transaction_index: location.map(|l| l.index),
        effective_gas_price,
        block_timestamp: None,
    }
}

/// The synthetic state-sync entry as a transaction object: a zero legacy transaction from and
/// to the zero address, with a zero signature (as bor shows its state-sync transaction).
pub fn system_transaction(hash: B256, location: &TxLocation) -> Transaction {
    let tx = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 0,
        gas_limit: 0,
        to: TxKind::Call(Address::ZERO),
        value: U256::ZERO,
        input: Bytes::new(),
    };
    let signed = Signed::new_unchecked(tx, Signature::new(U256::ZERO, U256::ZERO, false), hash);
    Transaction {
        inner: alloy_consensus::transaction::Recovered::new_unchecked(
            TxEnvelope::Legacy(signed),
            Address::ZERO,
        ),
        block_hash: Some(location.block_hash),
        block_number: Some(location.block_number),
        transaction_index: Some(location.index),
        effective_gas_price: Some(0),
        block_timestamp: None,
    }
}

/// A transaction found by hash.
pub fn lookup(t: &TxLookup) -> Transaction {
    match t {
        TxLookup::Mined(tx, loc) => transaction(tx, Some(loc)),
        TxLookup::Pending(tx) => transaction(tx, None),
        TxLookup::System { hash, location } => system_transaction(*hash, location),
    }
}

/// A header (for `newHeads`).
pub fn header(hash: B256, h: alloy_consensus::Header, size: Option<u64>) -> RpcHeader {
    RpcHeader {
        hash,
        inner: h,
        total_difficulty: None,
        size: size.map(U256::from),
    }
}

/// A block with full transactions or their hashes.
pub fn block(b: BlockView, full: bool) -> Block {
    let location = |i: usize| TxLocation {
        block_hash: b.hash,
        block_number: b.header.number,
        block_timestamp: b.header.timestamp,
        base_fee: b.header.base_fee_per_gas,
        index: i as u64,
    };
    let transactions = if full {
        BlockTransactions::Full(
            b.transactions
                .iter()
                .enumerate()
                .map(|(i, t)| transaction(t, Some(&location(i))))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(b.transactions.iter().map(|t| t.hash).collect())
    };
    Block {
        header: header(b.hash, b.header, Some(b.size)),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}
