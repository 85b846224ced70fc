//! The REST router over a real app: a `DeliveryApp` on a temp store, InitChain with four
//! staking validators, two root chains and localnet gov params, then two blocks; requests go
//! through the router with `oneshot`, as a client's would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use delivery_abci::Application as _;
use delivery_app::side::NoRootChain;
use delivery_app::DeliveryApp;
use delivery_module::{Address, SecretKey};
use delivery_store::{Storage, StorageConfig};
use serde_json::{json, Value};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci as pb;
use tower::ServiceExt as _;

use super::openapi;
use super::reader::{status_of, Class};
use super::routes::{In, ROUTES};

const BTT: u128 = 1_000_000_000_000_000_000;

struct Node {
    app: DeliveryApp,
    funded: Address,
    signers: Vec<Address>,
    _dir: tempfile::TempDir,
}

fn time(height: i64) -> Timestamp {
    Timestamp {
        seconds: 1_700_000_000 + height,
        nanos: 0,
    }
}

fn root_chains() -> Value {
    let chain = |name: &str, byte: u8, staking: bool| {
        let hex = |b: u8| format!("0x{}", hex::encode([b; 20]));
        let mut c = json!({
            "name": name, "kind": "eth", "chain_id": 31_337 + u64::from(byte),
            "state_sender": hex(byte),
            "root_chain_manager": hex(byte + 1),
            "root_chain_contract": hex(byte + 2),
            "confirmations": 2,
        });
        if staking {
            c["stake_manager"] = hex(byte + 3).into();
        }
        c
    };
    json!({"params": {
        "chains": [chain("tron", 0x10, true), chain("eth", 0x20, false)],
        "staking_chain": "tron",
    }})
}

/// A node after InitChain and blocks 1 and 2.
fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let app = DeliveryApp::new(storage, Arc::new(NoRootChain)).unwrap();
    let consensus: Vec<ed25519_dalek::SigningKey> = (0..4u8)
        .map(|i| ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    let signers: Vec<SecretKey> = (0..4u8)
        .map(|i| SecretKey::from_bytes(&[i + 0x41; 32]).unwrap())
        .collect();
    let funded = SecretKey::from_bytes(&[0x33; 32]).unwrap().address();
    let mut state = delivery_app::genesis::default_app_state(&[(funded, 1_000 * BTT)]);
    let staking = delivery_staking::Genesis {
        validators: signers
            .iter()
            .zip(&consensus)
            .zip(1u64..)
            .map(|((s, c), id)| delivery_staking::Validator {
                id,
                signer: s.address(),
                signer_pubkey: s.public_key().to_uncompressed(),
                consensus_pubkey: c.verifying_key().to_bytes(),
                stake: 1_000 * BTT,
                start_epoch: 1,
                end_epoch: 0,
                nonce: 1,
            })
            .collect(),
        ..delivery_staking::Genesis::default()
    };
    state["staking"] = serde_json::to_value(&staking).unwrap();
    state["rootchain"] = root_chains();
    state["gov"] = json!({ "params": delivery_gov::Params::localnet() });
    let validators = consensus
        .iter()
        .map(|k| pb::ValidatorUpdate {
            pub_key: Some(tendermint_proto::v0_38::crypto::PublicKey {
                sum: Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(
                    k.verifying_key().to_bytes().to_vec(),
                )),
            }),
            power: 1,
        })
        .collect();
    app.init_chain(pb::RequestInitChain {
        time: Some(time(0)),
        chain_id: "rest-test".into(),
        consensus_params: Some(tendermint_proto::v0_38::types::ConsensusParams {
            abci: Some(tendermint_proto::v0_38::types::AbciParams {
                vote_extensions_enable_height: 1,
            }),
            ..Default::default()
        }),
        validators,
        app_state_bytes: serde_json::to_vec(&state).unwrap().into(),
        initial_height: 1,
    })
    .unwrap();
    for height in 1..=2 {
        app.finalize_block(pb::RequestFinalizeBlock {
            txs: vec![],
            decided_last_commit: None,
            misbehavior: vec![],
            hash: vec![height as u8; 32].into(),
            height,
            time: Some(time(height)),
            next_validators_hash: vec![].into(),
            proposer_address: vec![].into(),
        })
        .unwrap();
        app.commit(pb::RequestCommit {}).unwrap();
    }
    Node {
        app,
        funded,
        signers: signers.iter().map(SecretKey::address).collect(),
        _dir: dir,
    }
}

async fn send(storage: &Storage, method: &str, uri: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = super::router(storage.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{uri}: {status} body is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "{uri}: {status}"
    );
    (status, body)
}

async fn get(storage: &Storage, uri: &str) -> (StatusCode, Value) {
    send(storage, "GET", uri).await
}

/// `uri` answers 200; its `result`.
async fn ok(storage: &Storage, uri: &str) -> Value {
    let (status, body) = get(storage, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert_eq!(body["height"], "2", "{uri}: {body}");
    body["result"].clone()
}

/// `uri` answers `expected` with an error message containing `words`.
async fn fails(storage: &Storage, uri: &str, expected: StatusCode, words: &str) {
    let (status, body) = get(storage, uri).await;
    assert_eq!(status, expected, "{uri}: {body}");
    let message = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{uri}: {body}"));
    assert!(
        message.contains(words),
        "{uri}: {message:?} lacks {words:?}"
    );
    assert_eq!(body.as_object().unwrap().len(), 1, "{uri}: {body}");
}

/// What the ABCI query `path` answers, as JSON.
fn abci(storage: &Storage, path: &str, data: &[u8], height: i64) -> Value {
    let answer = delivery_app::query::handle(
        storage,
        pb::RequestQuery {
            data: data.to_vec().into(),
            path: path.into(),
            height,
            prove: false,
        },
    )
    .unwrap();
    assert_eq!(answer.code, 0, "{path}: {}", answer.log);
    serde_json::from_slice(&answer.value).unwrap()
}

#[tokio::test]
async fn status_and_balances_answer_what_abci_query_answers() {
    let node = node();
    let s = node.app.storage();
    let status = ok(s, "/status").await;
    let (latest, root) = s.latest().unwrap();
    assert_eq!(latest, 2);
    assert_eq!(status["latest_height"], "2");
    assert_eq!(status["earliest_height"], "1");
    assert_eq!(status["app_hash"], hex::encode_upper(root));

    let address = node.funded.to_string();
    let balance = ok(s, &format!("/bank/balances/{address}")).await;
    assert_eq!(
        balance,
        abci(s, "custom/bank/balance", address.as_bytes(), 0)
    );
    assert_eq!(balance["amount"], (1_000 * BTT).to_string());
    assert_eq!(
        ok(s, "/bank/supply").await,
        abci(s, "custom/bank/supply", &[], 0)
    );
    assert_eq!(
        ok(s, "/auth/params").await,
        abci(s, "custom/auth/params", &[], 0)
    );

    // A past height: the envelope says which; the app hash is that height's.
    let (status, body) = get(s, "/status?height=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["height"], "1");
    assert_eq!(
        body["result"]["app_hash"],
        hex::encode_upper(s.root_at(1).unwrap())
    );
    let (_, body) = get(s, &format!("/bank/balances/{address}?height=1")).await;
    assert_eq!(body["height"], "1");
    assert_eq!(
        body["result"],
        abci(s, "custom/bank/balance", address.as_bytes(), 1)
    );
    // ?height=0 is the latest, as in ABCI.
    let (_, body) = get(s, "/status?height=0").await;
    assert_eq!(body["height"], "2");
    fails(
        s,
        "/status?height=3",
        StatusCode::BAD_REQUEST,
        "above the latest committed height 2",
    )
    .await;
    fails(
        s,
        "/status?height=-1",
        StatusCode::BAD_REQUEST,
        "expected a decimal number",
    )
    .await;
    fails(
        s,
        "/status?height=1&height=2",
        StatusCode::BAD_REQUEST,
        "given twice",
    )
    .await;
    fails(
        s,
        "/status?heigth=1",
        StatusCode::BAD_REQUEST,
        "unknown query parameter \"heigth\"",
    )
    .await;
}

#[tokio::test]
async fn staking_routes_answer_the_active_set() {
    let node = node();
    let s = node.app.storage();
    let set = ok(s, "/staking/validator-set").await;
    assert_eq!(set, abci(s, "custom/staking/validator-set", &[], 0));
    assert_eq!(set["validators"].as_array().unwrap().len(), 4);
    let power = ok(s, "/staking/totalpower").await;
    assert_eq!(power, json!({ "result": set["total_power"] }));
    assert!(set["total_power"].as_i64().unwrap() > 0);

    let one = ok(s, "/staking/validator/1").await;
    assert_eq!(one["id"], 1);
    let signer = node.signers[0].to_string();
    assert_eq!(ok(s, &format!("/staking/signer/{signer}")).await, one);
    assert_eq!(
        ok(s, &format!("/staking/validator-status/{signer}")).await,
        json!({ "result": true })
    );
    assert_eq!(
        ok(s, &format!("/staking/validator-status/{}", node.funded)).await,
        json!({ "result": false })
    );
    assert_eq!(
        ok(s, "/staking/validators").await["validators"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // The checkpoint module keeps its proposer set once BTTC blocks are made (none here).
    assert_eq!(
        ok(s, "/checkpoints/proposer").await,
        json!({ "proposer": null, "validators": [] })
    );
    fails(
        s,
        "/staking/current-proposer",
        StatusCode::NOT_FOUND,
        "no proposer yet",
    )
    .await;
    ok(s, "/staking/params").await;
    ok(s, "/staking/epoch").await;
    ok(s, "/app/validators").await;

    fails(s, "/staking/validator/99", StatusCode::NOT_FOUND, "99").await;
    fails(
        s,
        "/staking/validator/abc",
        StatusCode::BAD_REQUEST,
        "id \"abc\": expected a decimal number",
    )
    .await;
    fails(
        s,
        "/staking/validator/18446744073709551616",
        StatusCode::BAD_REQUEST,
        "expected a decimal number",
    )
    .await;
    fails(
        s,
        &format!("/staking/signer/{}", node.funded),
        StatusCode::NOT_FOUND,
        "",
    )
    .await;
    fails(
        s,
        "/staking/signer/0x12",
        StatusCode::BAD_REQUEST,
        "expected a 0x address",
    )
    .await;
}

#[tokio::test]
async fn bad_addresses_unknown_routes_and_methods_are_json_errors() {
    let node = node();
    let s = node.app.storage();
    fails(
        s,
        "/bank/balances/nothex",
        StatusCode::BAD_REQUEST,
        "address \"nothex\": expected a 0x address",
    )
    .await;
    fails(
        s,
        &format!("/auth/accounts/0x{}", "z".repeat(40)),
        StatusCode::BAD_REQUEST,
        "40 hex digits",
    )
    .await;
    fails(
        s,
        &format!("/auth/accounts/{}", Address([9; 20])),
        StatusCode::NOT_FOUND,
        "does not exist",
    )
    .await;
    fails(s, "/nope", StatusCode::NOT_FOUND, "no route GET /nope").await;
    fails(s, "/bank/balances", StatusCode::NOT_FOUND, "no route").await;
    let (status, body) = send(s, "POST", "/status").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("GET only"),
        "{body}"
    );
    fails(
        s,
        "/openapi.json?x=1",
        StatusCode::BAD_REQUEST,
        "takes none",
    )
    .await;
    // Odd bytes in a path segment: a 400, never a panic or a 500.
    for uri in [
        "/staking/validator/%2F..%2F",
        "/staking/validator/%FF",
        "/gov/proposals/1/votes/%00",
        "/checkpoints/TRON/count",
        "/checkpoints/a%2Fb/latest",
        "/gov/upgrade/applied/..%2Fx",
        "/gov/parameters/%F0%9F%98%80",
        "/clerk/event-record/list?page=%FF",
    ] {
        let (status, body) = get(s, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
    let long = format!("/staking/validator/{}", "9".repeat(10_000));
    let (status, body) = get(s, &long).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().len() < 300, "{body}");
}

#[tokio::test]
async fn checkpoint_routes_answer_per_root_chain_and_for_the_staking_chain() {
    let node = node();
    let s = node.app.storage();
    fails(
        s,
        "/checkpoints/latest",
        StatusCode::NOT_FOUND,
        "no checkpoint on tron is acked yet",
    )
    .await;
    fails(
        s,
        "/checkpoints/eth/latest",
        StatusCode::NOT_FOUND,
        "no checkpoint on eth",
    )
    .await;
    assert_eq!(ok(s, "/checkpoints/count").await, json!({ "result": 0 }));
    let count = ok(s, "/checkpoints/eth/count").await;
    assert_eq!(count, abci(s, "custom/checkpoint/count/eth", &[], 0));
    assert_eq!(count["root_chain"], "eth");
    assert_eq!(ok(s, "/checkpoints/buffer").await, Value::Null);
    assert_eq!(ok(s, "/checkpoints/tron/signatures").await, Value::Null);
    fails(s, "/checkpoints/1", StatusCode::NOT_FOUND, "1 on tron").await;
    fails(s, "/checkpoints/eth/7", StatusCode::NOT_FOUND, "7 on eth").await;
    fails(
        s,
        "/checkpoints/bsc/count",
        StatusCode::NOT_FOUND,
        "unknown root chain \"bsc\": this chain knows eth, tron",
    )
    .await;
    fails(
        s,
        "/checkpoints/eth/x",
        StatusCode::BAD_REQUEST,
        "number \"x\"",
    )
    .await;
    let chains = ok(s, "/checkpoints/chains").await;
    assert_eq!(chains.as_array().unwrap().len(), 2);
    ok(s, "/checkpoints/params").await;
    ok(s, "/checkpoints/proposer").await;
    let registry = ok(s, "/rootchain/params").await;
    assert_eq!(registry["staking_chain"], "tron");
    assert_eq!(ok(s, "/rootchain/chains/eth").await["name"], "eth");
    fails(s, "/rootchain/chains/bsc", StatusCode::NOT_FOUND, "bsc").await;
}

#[tokio::test]
async fn gov_clerk_bor_and_bttc_routes_answer_or_say_why_not() {
    let node = node();
    let s = node.app.storage();
    let params = ok(s, "/gov/params").await;
    assert_eq!(params, abci(s, "custom/gov/params", &[], 0));
    assert_eq!(
        ok(s, "/gov/parameters/voting").await,
        json!({ "voting_period": params["voting_period"] })
    );
    let tallying = ok(s, "/gov/parameters/tallying").await;
    assert_eq!(tallying["quorum"], params["quorum"]);
    assert_eq!(tallying.as_object().unwrap().len(), 4);
    assert_eq!(
        ok(s, "/gov/parameters/deposit").await["min_deposit"],
        params["min_deposit"]
    );
    fails(
        s,
        "/gov/parameters/bogus",
        StatusCode::BAD_REQUEST,
        "one of deposit, voting, tallying",
    )
    .await;
    assert_eq!(
        ok(s, "/gov/proposals").await,
        json!({ "proposals": [], "next": null })
    );
    assert_eq!(
        ok(s, "/gov/proposals?status=passed&from=3&limit=5").await,
        json!({ "proposals": [], "next": null })
    );
    fails(
        s,
        "/gov/proposals?status=won",
        StatusCode::BAD_REQUEST,
        "one of all, deposit_period",
    )
    .await;
    fails(
        s,
        "/gov/proposals?limit=0",
        StatusCode::BAD_REQUEST,
        "limit 0",
    )
    .await;
    // Lists read the latest height only.
    fails(
        s,
        "/gov/proposals?height=1",
        StatusCode::BAD_REQUEST,
        "drop ?height",
    )
    .await;
    fails(s, "/gov/proposals/1", StatusCode::NOT_FOUND, "1").await;
    fails(s, "/gov/proposals/1/votes", StatusCode::NOT_FOUND, "1").await;
    fails(s, "/gov/proposals/1/votes/2", StatusCode::NOT_FOUND, "1").await;
    fails(
        s,
        "/gov/proposals/1/votes/0xab",
        StatusCode::BAD_REQUEST,
        "validator id (decimal) or a 0x signer address",
    )
    .await;
    fails(s, "/gov/proposals/1/proposer", StatusCode::NOT_FOUND, "1").await;
    fails(s, "/gov/proposals/1/tally", StatusCode::NOT_FOUND, "1").await;
    fails(
        s,
        &format!("/gov/proposals/1/deposits/{}", node.funded),
        StatusCode::NOT_FOUND,
        "no deposit",
    )
    .await;
    assert_eq!(ok(s, "/gov/upgrade/current").await, json!({ "plan": null }));
    assert_eq!(
        ok(s, "/gov/upgrade/applied/v2").await,
        json!({ "name": "v2", "height": null })
    );

    assert_eq!(
        ok(s, "/clerk/event-record/list").await,
        json!({ "records": [] })
    );
    assert_eq!(ok(s, "/clerk/latest-id").await, json!({ "latest_id": 0 }));
    fails(s, "/clerk/event-record/1", StatusCode::NOT_FOUND, "1").await;
    fails(
        s,
        "/clerk/event-record/list?limit=101",
        StatusCode::BAD_REQUEST,
        "limit 101: expected 1..=100",
    )
    .await;
    fails(
        s,
        "/clerk/event-record/list?page=0",
        StatusCode::BAD_REQUEST,
        "page 0",
    )
    .await;
    fails(
        s,
        "/clerk/event-record/list?page=18446744073709551615&limit=2",
        StatusCode::BAD_REQUEST,
        "past",
    )
    .await;
    ok(s, "/clerk/params").await;
    ok(s, "/clerk/last-root/eth").await;
    fails(
        s,
        "/clerk/by-root/eth/1",
        StatusCode::NOT_FOUND,
        "StateSynced id 1",
    )
    .await;

    // No BTTC genesis in this chain: the span module is dormant, Delivery records no blocks.
    fails(s, "/bor/latest-span", StatusCode::NOT_FOUND, "").await;
    fails(s, "/bor/span/0", StatusCode::NOT_FOUND, "").await;
    fails(s, "/bor/span/list", StatusCode::NOT_FOUND, "").await;
    ok(s, "/bor/params").await;
    fails(s, "/bttc/head", StatusCode::NOT_FOUND, "no such BTTC block").await;
    fails(
        s,
        "/bttc/block/1",
        StatusCode::NOT_FOUND,
        "no such BTTC block",
    )
    .await;
}

#[tokio::test]
async fn an_empty_store_answers_503() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    fails(
        &storage,
        "/status",
        StatusCode::SERVICE_UNAVAILABLE,
        "no block committed yet",
    )
    .await;
    let (status, _) = get(&storage, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routed_paths() {
    let node = node();
    let s = node.app.storage();
    let (status, doc) = get(s, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc, openapi::document());
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), ROUTES.len(), "one document path per route");
    let mut operation_ids = std::collections::BTreeSet::new();
    for route in ROUTES {
        let op = &paths
            .get(route.path)
            .unwrap_or_else(|| panic!("{} is not documented", route.path))["get"];
        assert!(operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()));
        assert!(!op["summary"].as_str().unwrap().is_empty());
        // Every `{name}` of the path is a declared path parameter, and the reverse.
        let in_path: Vec<&str> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let declared: Vec<&str> = route
            .params
            .iter()
            .filter(|p| p.location == In::Path)
            .map(|p| p.name)
            .collect();
        assert_eq!(in_path, declared, "{}", route.path);
        let documented: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for p in route.params {
            assert!(documented.contains(&p.name), "{} {}", route.path, p.name);
        }
        assert_eq!(
            documented.contains(&"height"),
            route.enveloped(),
            "{}",
            route.path
        );
    }
    // Every documented path is routed: with its examples filled in, the router answers it
    // (with an answer or a 404 of the route, never the fallback's "no route").
    for (path, item) in paths {
        let mut uri = path.clone();
        for p in item["get"]["parameters"].as_array().unwrap() {
            if p["in"] == "path" {
                let name = p["name"].as_str().unwrap();
                uri = uri.replace(&format!("{{{name}}}"), p["example"].as_str().unwrap());
            }
        }
        assert!(!uri.contains('{'), "{uri}");
        let (status, body) = get(s, &uri).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{uri}: {status} {body}"
        );
        if status == StatusCode::NOT_FOUND {
            assert!(
                !body["error"].as_str().unwrap().starts_with("no route"),
                "{uri} is documented but not routed"
            );
        }
    }
}

#[test]
fn error_codes_map_to_http_statuses() {
    use delivery_module::ErrorCode as _;
    let gov_bad_query = delivery_gov::GovError::BadQuery(String::new());
    assert_eq!(
        super::routes::GOV_NO_DEPOSIT,
        &[("gov", gov_bad_query.code())]
    );
    assert_eq!(
        status_of("gov", gov_bad_query.code(), &[]),
        Class::BadRequest
    );
    assert_eq!(
        status_of("gov", gov_bad_query.code(), super::routes::GOV_NO_DEPOSIT),
        Class::NotFound
    );
    assert_eq!(status_of("staking", 8, &[]), Class::NotFound);
    assert_eq!(status_of("sdk", 9, &[]), Class::NotFound);
    assert_eq!(status_of("sdk", 7, &[]), Class::BadRequest);
    assert_eq!(
        status_of("sdk", 6, &[]),
        Class::Internal,
        "an unknown query path is our bug"
    );
    assert_eq!(status_of("app", 2, &[]), Class::Internal);
}

#[tokio::test]
async fn a_taken_address_is_a_clear_bind_error() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let first = super::RestServer::bind("127.0.0.1:0".parse().unwrap(), storage.clone())
        .await
        .unwrap();
    let taken = first.local_addr().unwrap();
    let error = super::RestServer::bind(taken, storage).await.err().unwrap();
    assert!(
        format!("{error:#}").contains(&format!("the REST API cannot listen on {taken}")),
        "{error:#}"
    );
}

#[tokio::test]
async fn every_route_reads_a_past_height_or_says_it_lists_the_latest_only() {
    let node = node();
    let s = node.app.storage();
    let doc = openapi::document();
    let mut latest_only = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/openapi.json" {
            continue;
        }
        let mut uri = path.clone();
        for p in item["get"]["parameters"].as_array().unwrap() {
            if p["in"] == "path" {
                let name = p["name"].as_str().unwrap();
                uri = uri.replace(&format!("{{{name}}}"), p["example"].as_str().unwrap());
            }
        }
        let (status, body) = get(s, &format!("{uri}?height=1")).await;
        match status {
            StatusCode::OK => assert_eq!(body["height"], "1", "{uri}: {body}"),
            StatusCode::NOT_FOUND => {}
            StatusCode::BAD_REQUEST => {
                assert!(
                    body["error"].as_str().unwrap().contains("drop ?height"),
                    "{uri}: {body}"
                );
                latest_only.push(path.clone());
            }
            other => panic!("{uri}?height=1: {other} {body}"),
        }
    }
    // As docs/rest.md lists them (the signer routes too, but their example signer is unknown
    // here: a 404 before any iteration).
    let expected = vec![
        "/app/validators",
        "/checkpoints/chains",
        "/gov/proposals",
        "/gov/proposals/{id}/tally",
        "/staking/totalpower",
        "/staking/validator-set",
        "/staking/validator/{id}",
        "/staking/validators",
    ];
    assert_eq!(latest_only, expected);
}

#[test]
fn start_rest_takes_an_optional_address() {
    use clap::Parser as _;
    let rest_of = |args: &[&str]| match crate::Cli::try_parse_from(args).map(|c| c.command) {
        Ok(crate::Command::Start(a)) => Ok((a.rest, a.bridge)),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(rest_of(&["deliveryd", "start"]), Ok((None, false)));
    assert_eq!(
        rest_of(&["deliveryd", "start", "--rest"]),
        Ok((Some(None), false))
    );
    assert_eq!(
        rest_of(&["deliveryd", "start", "--rest", "--bridge"]),
        Ok((Some(None), true))
    );
    assert_eq!(
        rest_of(&["deliveryd", "start", "--rest", "0.0.0.0:9000"]),
        Ok((Some(Some("0.0.0.0:9000".parse().unwrap())), false))
    );
    assert!(rest_of(&["deliveryd", "start", "--rest", "localhost"]).is_err());
    assert!(crate::Cli::try_parse_from(["deliveryd", "dev", "--rest"]).is_ok());
    assert!(crate::Cli::try_parse_from(["deliveryd", "dev", "--rest", "127.0.0.1:1"]).is_ok());
}
