//! [`RootChainSender`]: signs and sends transactions to a root chain with the node's signer key
//! and waits for them to be mined (what the checkpoint submitter uses).
//!
//! One [`send`](RootChainSender::send):
//!
//! 1. `eth_estimateGas` of the call from the signer: a call that would revert is not sent
//!    ([`SendError::WouldRevert`], with the revert decoded by the caller's `explain`);
//! 2. the gas limit is the estimate plus [`SendConfig::gas_margin_percent`];
//! 3. fees: EIP-1559 when the latest block has a base fee (`maxFeePerGas = 2 × base fee + tip`,
//!    the tip from `eth_maxPriorityFeePerGas` or [`SendConfig::default_tip`]), else a legacy
//!    EIP-155 transaction at `eth_gasPrice`;
//! 4. the signer's balance must cover `gas limit × max fee` ([`SendError::Funds`]);
//! 5. the nonce is `eth_getTransactionCount(signer, "pending")` (`"latest"` on nodes without
//!    a pending tag, such as TRON's);
//! 6. `eth_sendRawTransaction`, then the receipt is polled every
//!    [`SendConfig::receipt_poll`] until [`SendConfig::receipt_timeout`]
//!    ([`SendError::NotMined`]: it may still be mined; the caller looks at the contract's state
//!    before sending again);
//! 7. a mined transaction that failed is [`SendError::Reverted`], with the reason a call at the
//!    latest block gives now.
//!
//! The signer key is Delivery's `SecretKey` (secp256k1); transactions are signed over their
//! EIP-2718 signature hash, nothing else.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, Signature, TxKind, B256, U256, U64};
use alloy_sol_types::SolCall;
use delivery_module::SecretKey;
use serde::Deserialize;
use serde_json::json;

use crate::client::{CallError, ClientError, RootChainClient, RootChainLog};

/// How a [`RootChainSender`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendConfig {
    /// Gas added to the estimate, in percent of it (state can change before the transaction
    /// is mined).
    pub gas_margin_percent: u64,
    /// How long to wait for a receipt.
    pub receipt_timeout: Duration,
    /// Pause between two receipt polls.
    pub receipt_poll: Duration,
    /// The tip (wei per gas) when the node has no `eth_maxPriorityFeePerGas`.
    pub default_tip: u128,
}

impl Default for SendConfig {
    fn default() -> Self {
        Self {
            gas_margin_percent: 25,
            receipt_timeout: Duration::from_secs(60),
            receipt_poll: Duration::from_millis(500),
            default_tip: 1_000_000_000,
        }
    }
}

/// A mined, successful transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mined {
    /// Its hash.
    pub tx_hash: [u8; 32],
    /// Its block.
    pub block_number: u64,
    /// The gas limit it was sent with.
    pub gas_limit: u64,
    /// Its logs.
    pub logs: Vec<RootChainLog>,
}

/// Why a transaction was not sent, or not mined successfully.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The root chain did not answer usefully.
    #[error("{what}: {source}")]
    Client {
        /// What was being sent.
        what: String,
        /// The client's error.
        source: ClientError,
    },
    /// The gas estimate reverted: the transaction was not sent.
    #[error("{what} would revert: {reason}")]
    WouldRevert {
        /// What was being sent.
        what: String,
        /// The revert, decoded.
        reason: String,
    },
    /// Mined, but failed.
    #[error("{what}: transaction 0x{} reverted in block {block}{}", hex::encode(.tx_hash), .reason.as_ref().map_or_else(String::new, |r| format!(" (a call now gives: {r})")))]
    Reverted {
        /// What was sent.
        what: String,
        /// The transaction.
        tx_hash: [u8; 32],
        /// Its block.
        block: u64,
        /// What a call at the latest block reverts with now, if it does.
        reason: Option<String>,
    },
    /// No receipt within the time limit (it may still be mined).
    #[error("{what}: transaction 0x{} was not mined within {waited:?} (it may still be)", hex::encode(.tx_hash))]
    NotMined {
        /// What was sent.
        what: String,
        /// The transaction.
        tx_hash: [u8; 32],
        /// How long it was waited for.
        waited: Duration,
    },
    /// The signer cannot pay for the gas.
    #[error("{what}: the signer 0x{} has {balance} wei, the transaction may cost up to {cost}", hex::encode(.signer))]
    Funds {
        /// What was being sent.
        what: String,
        /// The signer.
        signer: [u8; 20],
        /// Its balance.
        balance: U256,
        /// Gas limit × max fee.
        cost: U256,
    },
    /// Something that cannot be sent as asked, or an answer that makes no sense.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was being sent.
        what: String,
        /// Expected versus found.
        reason: String,
    },
}

pub use bttc_engine_contracts::tx::{Fees, Unsigned};

/// Signs `tx` with `key`: its hash and its EIP-2718 encoding (`eth_sendRawTransaction`'s).
pub fn sign(key: &SecretKey, tx: Unsigned) -> ([u8; 32], Vec<u8>) {
    let signed = bttc_engine_contracts::tx::sign_with(tx, |hash: B256| {
        let raw = key.sign_recoverable(&hash.0);
        let (rs, v) = raw.split_at(64);
        let (r, s) = rs.split_at(32);
        Ok::<_, std::convert::Infallible>(Signature::new(
            U256::from_be_slice(r),
            U256::from_be_slice(s),
            v.first() == Some(&1),
        ))
    });
    match signed {
        Ok((hash, raw)) => (hash.0, raw),
        Err(never) => match never {},
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBlock {
    #[serde(default)]
    base_fee_per_gas: Option<U256>,
}

/// Sends transactions to one root chain from one key (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct RootChainSender {
    client: RootChainClient,
    key: SecretKey,
    chain_id: u64,
    config: SendConfig,
}

impl std::fmt::Debug for RootChainSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootChainSender")
            .field("client", &self.client)
            .field("signer", &self.key.address())
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

impl RootChainSender {
    /// A sender on `client`'s chain (EVM chain id `chain_id`, checked by the caller) signing
    /// with `key`.
    pub fn new(client: RootChainClient, key: SecretKey, chain_id: u64, config: SendConfig) -> Self {
        Self {
            client,
            key,
            chain_id,
            config,
        }
    }

    /// The client.
    pub fn client(&self) -> &RootChainClient {
        &self.client
    }

    /// The signer's address.
    pub fn address(&self) -> [u8; 20] {
        self.key.address().0
    }

    /// `eth_call` of `call` on `to` at the latest block, decoded.
    pub async fn view<C: SolCall>(&self, to: [u8; 20], call: &C) -> Result<C::Return, CallError> {
        let params =
            json!([{"to": Address::from(to), "data": Bytes::from(call.abi_encode())}, "latest"]);
        let out: Bytes = self.client.call_or_revert("eth_call", params).await?;
        let malformed = |reason: String| {
            CallError::Client(ClientError::Unavailable {
                root_chain: self.client.root_chain().to_string(),
                method: "eth_call",
                reason: format!("malformed response: {reason}"),
            })
        };
        if out.is_empty() {
            return Err(malformed(format!(
                "{} returned nothing: no contract at 0x{}",
                C::SIGNATURE,
                hex::encode(to)
            )));
        }
        C::abi_decode_returns(&out)
            .map_err(|e| malformed(format!("{} returned undecodable bytes: {e}", C::SIGNATURE)))
    }

    /// The fees for a transaction sent now.
    pub async fn fees(&self) -> Result<Fees, ClientError> {
        let block: Option<RawBlock> = self
            .client
            .call("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        let unavailable = |reason: String| ClientError::Unavailable {
            root_chain: self.client.root_chain().to_string(),
            method: "eth_getBlockByNumber",
            reason,
        };
        let block = block.ok_or_else(|| unavailable("the node has no latest block".into()))?;
        match block.base_fee_per_gas {
            Some(base) => {
                let base = u128::try_from(base)
                    .map_err(|_| unavailable(format!("base fee {base} is above 2^128")))?;
                let tip = match self
                    .client
                    .call::<_, U256>("eth_maxPriorityFeePerGas", json!([]))
                    .await
                {
                    Ok(tip) => u128::try_from(tip).unwrap_or(self.config.default_tip),
                    Err(ClientError::Rejected { .. }) => self.config.default_tip,
                    Err(e) => return Err(e),
                };
                let max_fee = base
                    .checked_mul(2)
                    .and_then(|f| f.checked_add(tip))
                    .ok_or_else(|| {
                        unavailable(format!("max fee overflows (base fee {base}, tip {tip})"))
                    })?;
                Ok(Fees::Eip1559 { max_fee, tip })
            }
            None => {
                let price: U256 = self.client.call("eth_gasPrice", json!([])).await?;
                let gas_price = u128::try_from(price).map_err(|_| ClientError::Unavailable {
                    root_chain: self.client.root_chain().to_string(),
                    method: "eth_gasPrice",
                    reason: format!("gas price {price} is above 2^128"),
                })?;
                Ok(Fees::Legacy { gas_price })
            }
        }
    }

    async fn nonce(&self, from: Address) -> Result<u64, ClientError> {
        match self
            .client
            .call::<_, U64>("eth_getTransactionCount", json!([from, "pending"]))
            .await
        {
            Ok(n) => Ok(n.to::<u64>()),
            // No pending tag (TRON): one submission at a time makes latest good enough.
            Err(ClientError::Rejected { .. }) => Ok(self
                .client
                .call::<_, U64>("eth_getTransactionCount", json!([from, "latest"]))
                .await?
                .to::<u64>()),
            Err(e) => Err(e),
        }
    }

    /// Sends `call` to `to` and waits until it is mined (see the module docs). `what` names it
    /// in errors; `explain` turns revert data into words.
    pub async fn send<C: SolCall>(
        &self,
        to: [u8; 20],
        call: &C,
        what: &str,
        explain: fn(&[u8]) -> String,
    ) -> Result<Mined, SendError> {
        let client_err = |source: ClientError| SendError::Client {
            what: what.to_string(),
            source,
        };
        let from = Address::from(self.address());
        let input = call.abi_encode();
        let request =
            json!({"from": from, "to": Address::from(to), "data": Bytes::from(input.clone())});
        let estimate = match self
            .client
            .call_or_revert::<_, U64>("eth_estimateGas", json!([request.clone()]))
            .await
        {
            Ok(gas) => gas.to::<u64>(),
            Err(CallError::Reverted { data, message, .. }) => {
                return Err(SendError::WouldRevert {
                    what: what.to_string(),
                    reason: if data.is_empty() {
                        message
                    } else {
                        explain(&data)
                    },
                })
            }
            Err(CallError::Client(e)) => return Err(client_err(e)),
        };
        let margin = estimate
            .checked_mul(self.config.gas_margin_percent)
            .map(|m| m / 100)
            .unwrap_or(0);
        let gas_limit = estimate
            .checked_add(margin)
            .ok_or_else(|| SendError::Invalid {
                what: what.to_string(),
                reason: format!("the gas estimate {estimate} overflows with its margin"),
            })?;
        let fees = self.fees().await.map_err(client_err)?;
        let cost = U256::from(gas_limit).saturating_mul(U256::from(fees.max_per_gas()));
        let balance: U256 = self
            .client
            .call("eth_getBalance", json!([from, "latest"]))
            .await
            .map_err(client_err)?;
        if balance < cost {
            return Err(SendError::Funds {
                what: what.to_string(),
                signer: from.0 .0,
                balance,
                cost,
            });
        }
        let nonce = self.nonce(from).await.map_err(client_err)?;
        let (hash, raw) = sign(
            &self.key,
            Unsigned {
                chain_id: self.chain_id,
                nonce,
                gas_limit,
                fees,
                to: TxKind::Call(Address::from(to)),
                input: input.into(),
            },
        );
        let sent: B256 = self
            .client
            .call("eth_sendRawTransaction", json!([Bytes::from(raw)]))
            .await
            .map_err(client_err)?;
        if sent.0 != hash {
            return Err(SendError::Invalid {
                what: what.to_string(),
                reason: format!(
                    "the node names the transaction {sent}, but its hash is 0x{}",
                    hex::encode(hash)
                ),
            });
        }
        tracing::info!(root_chain = self.client.root_chain(), tx = %format!("0x{}", hex::encode(hash)), nonce, gas_limit, max_fee_per_gas = fees.max_per_gas(), "{what}: sent, waiting for its receipt");
        let receipt = self.wait(hash, what).await?;
        let block = receipt.block_number.unwrap_or(0);
        if receipt.success != Some(true) {
            let now = match self
                .client
                .call_or_revert::<_, Bytes>("eth_call", json!([request, "latest"]))
                .await
            {
                Err(CallError::Reverted { data, message, .. }) => Some(if data.is_empty() {
                    message
                } else {
                    explain(&data)
                }),
                _ => None,
            };
            return Err(SendError::Reverted {
                what: what.to_string(),
                tx_hash: hash,
                block,
                reason: now,
            });
        }
        Ok(Mined {
            tx_hash: hash,
            block_number: block,
            gas_limit,
            logs: receipt.logs,
        })
    }

    async fn wait(&self, hash: [u8; 32], what: &str) -> Result<crate::Receipt, SendError> {
        let start = tokio::time::Instant::now();
        loop {
            match self.client.receipt(hash).await {
                Ok(Some(r)) if r.block_number.is_some() => return Ok(r),
                Ok(_) => {}
                Err(e) => tracing::debug!(
                    root_chain = self.client.root_chain(),
                    "{what}: receipt not readable yet: {e}"
                ),
            }
            let waited = start.elapsed();
            if waited >= self.config.receipt_timeout {
                return Err(SendError::NotMined {
                    what: what.to_string(),
                    tx_hash: hash,
                    waited,
                });
            }
            tokio::time::sleep(self.config.receipt_poll).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_consensus::transaction::SignerRecoverable as _;
    use alloy_consensus::Transaction as _;
    use alloy_consensus::TxEnvelope;
    use alloy_eips::eip2718::Decodable2718 as _;

    #[test]
    fn both_kinds_decode_back_with_their_sender_fees_and_hash() {
        let key = SecretKey::from_bytes(&[9; 32]).unwrap();
        for fees in [
            Fees::Eip1559 {
                max_fee: 16,
                tip: 2,
            },
            Fees::Legacy { gas_price: 11 },
        ] {
            let (hash, raw) = sign(
                &key,
                Unsigned {
                    chain_id: 31_337,
                    nonce: 4,
                    gas_limit: 50_000,
                    fees,
                    to: TxKind::Call(Address::repeat_byte(1)),
                    input: vec![1, 2, 3].into(),
                },
            );
            let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
            assert_eq!(tx.tx_hash().0, hash);
            assert_eq!(tx.recover_signer().unwrap().0 .0, key.address().0);
            assert_eq!(tx.chain_id(), Some(31_337));
            assert_eq!((tx.nonce(), tx.gas_limit()), (4, 50_000));
            assert_eq!(tx.max_fee_per_gas(), fees.max_per_gas());
            assert_eq!(tx.is_legacy(), matches!(fees, Fees::Legacy { .. }));
            assert_eq!(tx.input().as_ref(), &[1, 2, 3]);
        }
    }
}
