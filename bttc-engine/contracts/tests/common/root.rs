//! The token bridge's root side, deployed on an in-process engine.

use alloy_primitives::Address;
use bttc_engine_contracts::abi::{IRootChainManager, IStateSender, IERC20};
use bttc_engine_contracts::{
    root_chain_manager_init_code, state_sender, test_token_init_code, CHILD_CHAIN_MANAGER_ADDRESS,
};

use super::chain::{tokens, Chain};
use super::{genesis, key};

/// Deploys a StateSender owned by key 1.
pub fn state_sender_on(chain: &mut Chain) -> Address {
    chain.deploy(&key(1), state_sender().unwrap().bytecode.clone())
}

/// The token bridge's root side: a token (key 1 holds it, key 2 has some), a StateSender, a
/// RootChainManager registered as the ChildChainManager's sender.
pub struct Bridge {
    pub chain: Chain,
    pub token: Address,
    pub ss: Address,
    pub rcm: Address,
    pub predicate: Address,
}

/// Deploys the root side (owner: key 1); `register` registers the manager as the
/// ChildChainManager's sender.
pub fn bridge(register: bool) -> Bridge {
    let mut chain = Chain::new(&genesis(&[]), false);
    let owner = key(1);
    let token = chain.deploy(
        &owner,
        test_token_init_code("Test Token", "TT", tokens(1_000_000)).unwrap(),
    );
    chain.exec(
        &owner,
        token,
        IERC20::transferCall {
            to: key(2).address(),
            value: tokens(10),
        },
    );
    let ss = state_sender_on(&mut chain);
    let rcm = chain.deploy(&owner, root_chain_manager_init_code(ss).unwrap());
    let predicate = chain.view(rcm, IRootChainManager::predicateCall {});
    if register {
        chain.exec(
            &owner,
            ss,
            IStateSender::registerCall {
                sender: rcm,
                receiver: CHILD_CHAIN_MANAGER_ADDRESS,
            },
        );
    }
    Bridge {
        chain,
        token,
        ss,
        rcm,
        predicate,
    }
}
