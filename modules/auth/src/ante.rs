//! The checks every transaction passes before its messages run.

use delivery_module::error::sdk;
use delivery_module::{Context, ExecError, TxError};
use delivery_store::StateWrite;

use crate::params::Params;
use crate::state::{self, Account};
use crate::tx::DecodedTx;

fn reject(code: u32, log: String) -> ExecError {
    ExecError::Rejected(TxError::new(sdk::CODESPACE, code, log))
}

/// Checks the chain id, the signer's account, sequence and signature, and the fee floor; then
/// bumps the sequence and records the public key. Paying the fee is the caller's next step.
/// Runs on the transaction's overlay, so a later failure discards these writes too.
pub fn ante<S: StateWrite>(
    ctx: &Context<'_>,
    state: &mut S,
    tx: &DecodedTx,
    params: &Params,
) -> Result<Account, ExecError> {
    if let Some(hint) = &tx.chain_id_hint {
        if hint != &ctx.block.chain_id {
            return Err(reject(
                sdk::WRONG_CHAIN_ID,
                format!(
                    "tx was signed for chain-id {hint:?}, this chain is {:?}",
                    ctx.block.chain_id
                ),
            ));
        }
    }
    let Some(mut account) = state::account(state, &tx.signer)? else {
        return Err(reject(
            sdk::UNKNOWN_ADDRESS,
            format!(
                "account {} does not exist: it must receive BTT before it can send a tx",
                tx.signer
            ),
        ));
    };
    if tx.sequence != account.sequence {
        return Err(reject(
            sdk::WRONG_SEQUENCE,
            format!(
                "account sequence mismatch for {}: expected {}, got {}",
                tx.signer, account.sequence, tx.sequence
            ),
        ));
    }
    tx.verify_signature(&ctx.block.chain_id, account.account_number)?;
    if tx.fee < params.min_fee {
        return Err(reject(
            sdk::INSUFFICIENT_FEE,
            format!(
                "fee {} abtt is below the minimum {} abtt",
                tx.fee, params.min_fee
            ),
        ));
    }
    account.sequence = account.sequence.checked_add(1).ok_or_else(|| {
        reject(
            sdk::WRONG_SEQUENCE,
            format!("sequence of {} overflows", tx.signer),
        )
    })?;
    if account.pub_key.is_empty() {
        account.pub_key = tx.pubkey.to_compressed().to_vec();
    }
    state::set_account(state, &account)?;
    Ok(account)
}
