//! Revert data in words: the StakeManager's custom errors, the ERC-20's, and Solidity's
//! `Error(string)` / `Panic(uint256)`.

use alloy_sol_types::{SolError as _, SolInterface as _};
use bttc_engine_contracts::abi::IStakeManager::IStakeManagerErrors as SmError;
use bttc_engine_contracts::abi::IERC20::IERC20Errors as TokenError;

/// A validator status (`StakeManager.Status`) by name.
pub fn status_name(status: u8) -> &'static str {
    match status {
        0 => "none (never staked)",
        1 => "active",
        2 => "unstaking",
        3 => "unstaked (stake claimed)",
        _ => "unknown",
    }
}

/// What a revert with `data` means.
pub fn explain(data: &[u8]) -> String {
    if let Ok(e) = SmError::abi_decode(data) {
        return stake_manager(e);
    }
    // The RootChainManager's exit checks (and its RLP and Merkle-Patricia libraries'): the
    // error's name and fields say what was expected and found.
    if let Ok(e) =
        bttc_engine_contracts::exit::IRootChainManagerExit::IRootChainManagerExitErrors::abi_decode(
            data,
        )
    {
        return format!("the exit was refused: {e:?}");
    }
    if let Ok(e) = TokenError::abi_decode(data) {
        return match e {
            TokenError::ERC20InsufficientBalance(e) => format!(
                "the token balance of {} is {}, {} needed",
                e.sender, e.balance, e.needed
            ),
            TokenError::ERC20InsufficientAllowance(e) => format!(
                "the token allowance of {} is {}, {} needed",
                e.spender, e.allowance, e.needed
            ),
        };
    }
    if data.is_empty() {
        return "reverted without data".to_owned();
    }
    if let Ok(r) = alloy_sol_types::Revert::abi_decode(data) {
        // The reason is the contract's text: keep control characters out of the terminal.
        return format!("reverted: {}", r.reason.escape_debug());
    }
    if let Ok(p) = alloy_sol_types::Panic::abi_decode(data) {
        return match p.kind() {
            Some(kind) => format!("panicked: {}", kind.as_str()),
            None => format!("panicked with code {}", p.code),
        };
    }
    format!(
        "reverted with unknown data 0x{}",
        alloy_primitives::hex::encode(data)
    )
}

fn stake_manager(e: SmError) -> String {
    match e {
        SmError::StakeBelowMinimum(e) => format!(
            "the stake {} is below the StakeManager's minimum stake {}",
            e.amount, e.minStake
        ),
        SmError::ZeroAmount(_) => "the amount must be more than zero".to_owned(),
        SmError::ZeroUser(_) => "the owner must not be the zero address".to_owned(),
        SmError::InvalidSignerPubkey(e) => format!(
            "the StakeManager refused the signer public key: {} bytes starting with {}, \
             expected 65 bytes starting with 0x04",
            e.length, e.prefix
        ),
        SmError::SignerInUse(e) => format!(
            "signer {} already serves validator {}",
            e.signer, e.validatorId
        ),
        SmError::SameSigner(e) => format!("{} is already the validator's signer", e.signer),
        SmError::NotValidatorOwner(e) => format!(
            "only validator {}'s owner {} may do this, not {}",
            e.validatorId, e.owner, e.caller
        ),
        SmError::ValidatorNotActive(e) => format!(
            "validator {} is not active: its status is {}",
            e.validatorId,
            status_name(e.status)
        ),
        SmError::ValidatorNotUnstaking(e) => format!(
            "validator {} is not unstaking: its status is {}",
            e.validatorId,
            status_name(e.status)
        ),
        SmError::WithdrawalDelayNotOver(e) => format!(
            "validator {}'s stake can be claimed from epoch {}; the current epoch is {}",
            e.validatorId, e.claimableEpoch, e.currentEpoch
        ),
        SmError::NotEpochSetter(e) => format!(
            "{} may not set the epoch: only the StakeManager's owner or checkpoint manager may",
            e.caller
        ),
        SmError::EpochNotIncreasing(e) => format!(
            "the epoch only rises: it is {}, and {} is not above it",
            e.currentEpoch, e.proposed
        ),
        SmError::NotOwner(e) => format!(
            "only the StakeManager's owner {} may do this, not {}",
            e.owner, e.caller
        ),
        SmError::ERC721NonexistentToken(e) => format!(
            "there is no validator {} (never staked, or its stake was claimed)",
            e.tokenId
        ),
        SmError::TokenCallFailed(e) => format!(
            "the staking token {} refused the call {} (balance or allowance too low?)",
            e.token, e.selector
        ),
        SmError::TokenHasNoCode(e) => format!("the staking token {} has no code", e.token),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, U256};
    use bttc_engine_contracts::abi::{IStakeManager, IERC20};

    #[test]
    fn custom_errors_read_as_sentences() {
        let claim = IStakeManager::WithdrawalDelayNotOver {
            validatorId: U256::from(5),
            currentEpoch: U256::from(3),
            claimableEpoch: U256::from(4),
        }
        .abi_encode();
        assert_eq!(
            explain(&claim),
            "validator 5's stake can be claimed from epoch 4; the current epoch is 3"
        );
        let owner = IStakeManager::NotValidatorOwner {
            caller: Address::repeat_byte(1),
            validatorId: U256::from(2),
            owner: Address::repeat_byte(2),
        }
        .abi_encode();
        assert!(explain(&owner).starts_with("only validator 2's owner 0x0202"));
        let inactive = IStakeManager::ValidatorNotActive {
            validatorId: U256::from(2),
            status: 2,
        }
        .abi_encode();
        assert_eq!(
            explain(&inactive),
            "validator 2 is not active: its status is unstaking"
        );
        let balance = IERC20::ERC20InsufficientBalance {
            sender: Address::repeat_byte(3),
            balance: U256::from(1),
            needed: U256::from(2),
        }
        .abi_encode();
        assert!(explain(&balance).ends_with("is 1, 2 needed"));
    }

    #[test]
    fn strings_panics_and_unknown_data() {
        let revert = alloy_sol_types::Revert::from("nope").abi_encode();
        assert_eq!(explain(&revert), "reverted: nope");
        let panic = alloy_sol_types::Panic::from(0x11).abi_encode();
        assert!(explain(&panic).contains("overflow"), "{}", explain(&panic));
        assert_eq!(explain(&[]), "reverted without data");
        assert_eq!(explain(&[0xde, 0xad]), "reverted with unknown data 0xdead");
    }
}
