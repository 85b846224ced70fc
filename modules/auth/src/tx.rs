//! The transaction envelope: Cosmos SDK `cosmos.tx.v1beta1.TxRaw` with SIGN_MODE_DIRECT and one
//! secp256k1 signer whose account address is the Ethereum address of its key.
//!
//! This is the only place that touches cosmrs' protobuf types (prost 0.13); everything outside
//! sees [`DecodedTx`] and [`AnyMsg`].

use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::mode_info::{Single, Sum};
use cosmrs::proto::cosmos::tx::v1beta1::{
    AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmrs::proto::prost::Message as _;
use delivery_module::crypto::{sha256, Address, PublicKey, SecretKey};
use delivery_module::error::sdk;
use delivery_module::TxError;

use crate::params::Params;

/// The type URL of the secp256k1 public key in `SignerInfo`.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";
/// The type URL of the chain-id hint carried in `non_critical_extension_options`.
pub const CHAIN_ID_HINT_TYPE_URL: &str = "/delivery.auth.v1.ChainIdHint";
/// The fee denomination: atto-BTT (10^-18 BTT).
pub const FEE_DENOM: &str = "abtt";

/// A message packed in an `Any`: its type URL and protobuf bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyMsg {
    /// e.g. `/delivery.bank.v1.MsgSend`.
    pub type_url: String,
    /// The encoded message.
    pub value: Vec<u8>,
}

impl AnyMsg {
    /// Packs a message.
    pub fn pack<M: delivery_module::Msg>(msg: &M) -> Self {
        Self {
            type_url: M::TYPE_URL.to_string(),
            value: prost::Message::encode_to_vec(msg),
        }
    }
}

/// A transaction that passed every check that needs no state.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    /// The messages, in order.
    pub msgs: Vec<AnyMsg>,
    /// The memo.
    pub memo: String,
    /// The signer's public key.
    pub pubkey: PublicKey,
    /// The signer's address (derived from `pubkey`).
    pub signer: Address,
    /// The signer's sequence the transaction claims.
    pub sequence: u64,
    /// The fee offered, in [`FEE_DENOM`].
    pub fee: u128,
    /// The gas limit (informational: Delivery charges a flat fee per transaction).
    pub gas_limit: u64,
    /// The chain id the client says it signed for, if it said.
    pub chain_id_hint: Option<String>,
    /// `TxRaw.body_bytes`, exactly as signed.
    pub body_bytes: Vec<u8>,
    /// `TxRaw.auth_info_bytes`, exactly as signed.
    pub auth_info_bytes: Vec<u8>,
    /// The 64-byte signature.
    pub signature: [u8; 64],
    /// `sha256` of the raw bytes: CometBFT's transaction hash.
    pub hash: [u8; 32],
}

fn reject(code: u32, log: impl Into<String>) -> TxError {
    TxError::new(sdk::CODESPACE, code, log)
}

/// The chain-id hint (`string chain_id = 1`). It is our own message, so it uses our prost; an
/// `Any` carries only its bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct ChainIdHint {
    #[prost(string, tag = "1")]
    chain_id: String,
}

/// Decodes and checks a transaction without state: size, protobuf structure, exactly one
/// SIGN_MODE_DIRECT secp256k1 signer, one well-formed signature, fee denomination, memo length,
/// message count and no unknown critical extensions.
pub fn decode_tx(bytes: &[u8], params: &Params) -> Result<DecodedTx, TxError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > params.max_tx_bytes {
        return Err(reject(
            sdk::TX_TOO_LARGE,
            format!("tx is {size} bytes, the maximum is {}", params.max_tx_bytes),
        ));
    }
    if bytes.is_empty() {
        return Err(reject(sdk::TX_DECODE, "empty tx"));
    }
    let raw = TxRaw::decode(bytes).map_err(|e| {
        let why = e.to_string();
        // prost reports a frame cut short as a buffer underflow: say so plainly.
        if why.contains("buffer underflow") {
            reject(
                sdk::TX_DECODE,
                format!("tx is truncated: not a whole TxRaw ({why})"),
            )
        } else {
            reject(sdk::TX_DECODE, format!("not a TxRaw: {why}"))
        }
    })?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| reject(sdk::TX_DECODE, format!("bad tx body: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| reject(sdk::TX_DECODE, format!("bad auth info: {e}")))?;

    if body.messages.is_empty() {
        return Err(reject(sdk::INVALID_REQUEST, "tx has no messages"));
    }
    let max_msgs = usize::try_from(params.max_msgs_per_tx).unwrap_or(usize::MAX);
    if body.messages.len() > max_msgs {
        return Err(reject(
            sdk::INVALID_REQUEST,
            format!(
                "tx has {} messages, the maximum is {max_msgs}",
                body.messages.len()
            ),
        ));
    }
    if body.memo.chars().count() > usize::try_from(params.max_memo_chars).unwrap_or(usize::MAX) {
        return Err(reject(
            sdk::INVALID_REQUEST,
            format!("memo is longer than {} characters", params.max_memo_chars),
        ));
    }
    if let Some(ext) = body.extension_options.first() {
        return Err(reject(
            sdk::INVALID_REQUEST,
            format!("unknown critical extension option {}", ext.type_url),
        ));
    }
    let mut chain_id_hint = None;
    for ext in &body.non_critical_extension_options {
        if ext.type_url == CHAIN_ID_HINT_TYPE_URL {
            let hint = <ChainIdHint as prost::Message>::decode(ext.value.as_slice())
                .map_err(|e| reject(sdk::TX_DECODE, format!("bad chain-id hint: {e}")))?;
            chain_id_hint = Some(hint.chain_id);
        }
    }

    let [signer_info] = auth_info.signer_infos.as_slice() else {
        return Err(reject(
            sdk::INVALID_REQUEST,
            format!(
                "tx must have exactly 1 signer, it has {}",
                auth_info.signer_infos.len()
            ),
        ));
    };
    let pubkey_any = signer_info
        .public_key
        .as_ref()
        .ok_or_else(|| reject(sdk::INVALID_PUBKEY, "signer info has no public key"))?;
    if pubkey_any.type_url != SECP256K1_PUBKEY_TYPE_URL {
        return Err(reject(
            sdk::INVALID_PUBKEY,
            format!(
                "public key type {} is not {SECP256K1_PUBKEY_TYPE_URL}",
                pubkey_any.type_url
            ),
        ));
    }
    let pk = PubKey::decode(pubkey_any.value.as_slice())
        .map_err(|e| reject(sdk::INVALID_PUBKEY, format!("bad public key: {e}")))?;
    if pk.key.len() != 33 {
        return Err(reject(
            sdk::INVALID_PUBKEY,
            format!(
                "public key must be 33 compressed bytes, got {}",
                pk.key.len()
            ),
        ));
    }
    let pubkey =
        PublicKey::from_sec1(&pk.key).map_err(|e| reject(sdk::INVALID_PUBKEY, e.to_string()))?;
    match signer_info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(Sum::Single(Single { mode })) if *mode == SignMode::Direct as i32 => {}
        _ => {
            return Err(reject(
                sdk::INVALID_REQUEST,
                "only SIGN_MODE_DIRECT with a single signer is accepted",
            ))
        }
    }

    let fee = auth_info
        .fee
        .as_ref()
        .ok_or_else(|| reject(sdk::INSUFFICIENT_FEE, "tx has no fee"))?;
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        return Err(reject(
            sdk::INVALID_REQUEST,
            "fee payer and granter are not supported",
        ));
    }
    let fee_amount = match fee.amount.as_slice() {
        [] => 0,
        [coin] if coin.denom == FEE_DENOM => coin.amount.parse::<u128>().map_err(|_| {
            reject(
                sdk::INVALID_REQUEST,
                format!("fee amount {:?} is not a whole number", coin.amount),
            )
        })?,
        [coin] => {
            return Err(reject(
                sdk::INVALID_REQUEST,
                format!("fee denom {:?} is not {FEE_DENOM}", coin.denom),
            ))
        }
        _ => return Err(reject(sdk::INVALID_REQUEST, "fee must be a single coin")),
    };

    let [signature] = raw.signatures.as_slice() else {
        return Err(reject(
            sdk::UNAUTHORIZED,
            format!(
                "tx must carry exactly 1 signature, it has {}",
                raw.signatures.len()
            ),
        ));
    };
    let signature: [u8; 64] = signature.as_slice().try_into().map_err(|_| {
        reject(
            sdk::UNAUTHORIZED,
            format!("signature must be 64 bytes, got {}", signature.len()),
        )
    })?;

    Ok(DecodedTx {
        msgs: body
            .messages
            .into_iter()
            .map(|m| AnyMsg {
                type_url: m.type_url,
                value: m.value,
            })
            .collect(),
        memo: body.memo,
        signer: pubkey.address(),
        pubkey,
        sequence: signer_info.sequence,
        fee: fee_amount,
        gas_limit: fee.gas_limit,
        chain_id_hint,
        body_bytes: raw.body_bytes,
        auth_info_bytes: raw.auth_info_bytes,
        signature,
        hash: sha256(bytes),
    })
}

/// The SIGN_MODE_DIRECT sign bytes: the encoded `SignDoc`.
pub fn sign_doc_bytes(
    body_bytes: &[u8],
    auth_info_bytes: &[u8],
    chain_id: &str,
    account_number: u64,
) -> Vec<u8> {
    SignDoc {
        body_bytes: body_bytes.to_vec(),
        auth_info_bytes: auth_info_bytes.to_vec(),
        chain_id: chain_id.to_string(),
        account_number,
    }
    .encode_to_vec()
}

impl DecodedTx {
    /// Verifies the signature for this chain and account number.
    pub fn verify_signature(&self, chain_id: &str, account_number: u64) -> Result<(), TxError> {
        let doc = sign_doc_bytes(
            &self.body_bytes,
            &self.auth_info_bytes,
            chain_id,
            account_number,
        );
        self.pubkey.verify(&doc, &self.signature).map_err(|e| {
            reject(
                sdk::UNAUTHORIZED,
                format!(
                    "signature verification failed for {} (chain-id {chain_id}, account number \
                     {account_number}, sequence {}): {e}",
                    self.signer, self.sequence
                ),
            )
        })
    }
}

/// What a client needs to sign a transaction.
#[derive(Debug, Clone)]
pub struct SignerData {
    /// The chain the transaction is for.
    pub chain_id: String,
    /// The signer's account number.
    pub account_number: u64,
    /// The signer's next sequence.
    pub sequence: u64,
}

/// Builds and signs a transaction; returns the `TxRaw` bytes to broadcast.
pub fn build_signed_tx(
    key: &SecretKey,
    signer: &SignerData,
    msgs: &[AnyMsg],
    fee: u128,
    gas_limit: u64,
    memo: &str,
) -> Vec<u8> {
    let hint = ChainIdHint {
        chain_id: signer.chain_id.clone(),
    };
    let body = TxBody {
        messages: msgs
            .iter()
            .map(|m| cosmrs::Any {
                type_url: m.type_url.clone(),
                value: m.value.clone(),
            })
            .collect(),
        memo: memo.to_string(),
        timeout_height: 0,
        extension_options: Vec::new(),
        non_critical_extension_options: vec![cosmrs::Any {
            type_url: CHAIN_ID_HINT_TYPE_URL.to_string(),
            value: prost::Message::encode_to_vec(&hint),
        }],
    };
    let pubkey = PubKey {
        key: key.public_key().to_compressed().to_vec(),
    };
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(cosmrs::Any {
                type_url: SECP256K1_PUBKEY_TYPE_URL.to_string(),
                value: pubkey.encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(Sum::Single(Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: signer.sequence,
        }],
        fee: Some(Fee {
            amount: vec![Coin {
                denom: FEE_DENOM.to_string(),
                amount: fee.to_string(),
            }],
            gas_limit,
            payer: String::new(),
            granter: String::new(),
        }),
        ..Default::default()
    };
    let body_bytes = body.encode_to_vec();
    let auth_info_bytes = auth_info.encode_to_vec();
    let doc = sign_doc_bytes(
        &body_bytes,
        &auth_info_bytes,
        &signer.chain_id,
        signer.account_number,
    );
    let signature = key.sign(&doc);
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature.to_vec()],
    }
    .encode_to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn msg() -> AnyMsg {
        AnyMsg {
            type_url: "/x.Msg".into(),
            value: vec![1, 2, 3],
        }
    }

    fn signer() -> SignerData {
        SignerData {
            chain_id: "delivery-1".into(),
            account_number: 4,
            sequence: 7,
        }
    }

    #[test]
    fn a_signed_tx_decodes_and_verifies_only_for_its_chain_and_account() {
        let key = SecretKey::generate();
        let bytes = build_signed_tx(&key, &signer(), &[msg()], 5, 100, "hi");
        let tx = decode_tx(&bytes, &Params::default()).unwrap();
        assert_eq!(tx.signer, key.address());
        assert_eq!((tx.sequence, tx.fee, tx.gas_limit), (7, 5, 100));
        assert_eq!(tx.chain_id_hint.as_deref(), Some("delivery-1"));
        assert_eq!(tx.msgs, vec![msg()]);
        tx.verify_signature("delivery-1", 4).unwrap();
        assert_eq!(
            tx.verify_signature("delivery-2", 4).unwrap_err().code,
            sdk::UNAUTHORIZED
        );
        assert_eq!(
            tx.verify_signature("delivery-1", 5).unwrap_err().code,
            sdk::UNAUTHORIZED
        );
    }

    #[test]
    fn bad_bytes_get_distinct_codes() {
        let key = SecretKey::generate();
        let bytes = build_signed_tx(&key, &signer(), &[msg()], 5, 100, "");
        let params = Params::default();
        assert_eq!(decode_tx(b"", &params).unwrap_err().code, sdk::TX_DECODE);
        assert_eq!(
            decode_tx(b"\xff\xfe garbage", &params).unwrap_err().code,
            sdk::TX_DECODE
        );
        assert_eq!(
            decode_tx(&bytes[..bytes.len() / 2], &params)
                .unwrap_err()
                .code,
            sdk::TX_DECODE
        );
        let small = Params {
            max_tx_bytes: 256,
            ..Params::default()
        };
        let big = build_signed_tx(
            &key,
            &signer(),
            &[AnyMsg {
                type_url: "/x".into(),
                value: vec![0; 300],
            }],
            5,
            1,
            "",
        );
        assert_eq!(decode_tx(&big, &small).unwrap_err().code, sdk::TX_TOO_LARGE);
        let mut raw = TxRaw::decode(bytes.as_slice()).unwrap();
        raw.signatures[0].pop();
        assert_eq!(
            decode_tx(&raw.encode_to_vec(), &params).unwrap_err().code,
            sdk::UNAUTHORIZED
        );
        raw.signatures.clear();
        assert_eq!(
            decode_tx(&raw.encode_to_vec(), &params).unwrap_err().code,
            sdk::UNAUTHORIZED
        );
        let no_msgs = build_signed_tx(&key, &signer(), &[], 5, 1, "");
        assert_eq!(
            decode_tx(&no_msgs, &params).unwrap_err().code,
            sdk::INVALID_REQUEST
        );
    }

    #[test]
    fn a_tampered_body_fails_the_signature() {
        let key = SecretKey::generate();
        let bytes = build_signed_tx(&key, &signer(), &[msg()], 5, 100, "");
        let mut raw = TxRaw::decode(bytes.as_slice()).unwrap();
        let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
        body.memo = "tampered".into();
        raw.body_bytes = body.encode_to_vec();
        let tx = decode_tx(&raw.encode_to_vec(), &Params::default()).unwrap();
        assert_eq!(
            tx.verify_signature("delivery-1", 4).unwrap_err().code,
            sdk::UNAUTHORIZED
        );
    }
}
