//! What every module provides besides its messages: genesis, params and queries.

use delivery_store::{StateRead, StateWrite};

use crate::error::{ExecError, TxError};

/// A module's genesis and query surface.
pub trait Module {
    /// The module name: its genesis key, query path segment and codespace.
    const NAME: &'static str;

    /// The module's section of the app genesis.
    type Genesis: serde::Serialize + serde::de::DeserializeOwned + Default + Clone;

    /// Checks a genesis section before any of it is written.
    fn validate_genesis(genesis: &Self::Genesis) -> Result<(), String>;

    /// Writes a (validated) genesis section.
    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Self::Genesis)
        -> Result<(), ExecError>;

    /// Reads the module's whole state back as a genesis section.
    fn export_genesis<S: StateRead>(state: &S) -> Result<Self::Genesis, ExecError>;

    /// Answers `custom/<module>/<path>` queries. Returns JSON bytes.
    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError>;
}

/// Builds the rejection for an unknown query path.
pub fn unknown_query(module: &str, path: &str) -> ExecError {
    ExecError::Rejected(TxError::new(
        crate::error::sdk::CODESPACE,
        crate::error::sdk::UNKNOWN_MSG,
        format!("unknown query path {path:?} for module {module}"),
    ))
}
