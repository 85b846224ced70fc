//! The REST API of a running node: four validators on the conductor; node 0 is restarted with
//! app.toml `[rest] enabled = true`; its REST answers follow the chain (the status height
//! advances), agree with `deliveryd query` over ABCI at the same height (a balance, the gov
//! params), serve every module (the validator set of 4, the latest span, checkpoint params),
//! read past heights, describe themselves at `/openapi.json`, and refuse a bad address with a
//! JSON 400.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::time::{Duration, Instant};

use common::{rest_get, BttcNet};

fn height_of(v: &serde_json::Value) -> u64 {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_answers_for_the_modules_of_a_running_node() {
    let mut net = BttcNet::start(4, 300).await;
    net.wait_bttc(&[1], 3, Duration::from_secs(120)).await;
    let rest = net.enable_rest(0).await;

    // The status follows the chain: the restarted node catches up and keeps committing.
    let (code, first) = rest_get(&format!("{rest}/status")).await;
    assert_eq!(code, 200, "{first}");
    let start = height_of(&first["result"]["latest_height"]);
    assert_eq!(height_of(&first["height"]), start, "{first}");
    assert_eq!(
        first["result"]["app_hash"].as_str().unwrap().len(),
        64,
        "{first}"
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let now = loop {
        let (_, status) = rest_get(&format!("{rest}/status")).await;
        let h = height_of(&status["result"]["latest_height"]);
        if h >= start + 5 {
            break h;
        }
        assert!(
            Instant::now() < deadline,
            "node 0's height stuck at {h} (from {start})"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // A past height: the envelope and the app hash are that height's.
    let (code, past) = rest_get(&format!("{rest}/status?height={start}")).await;
    assert_eq!(code, 200, "{past}");
    assert_eq!(height_of(&past["height"]), start);
    assert_eq!(past["result"]["app_hash"], first["result"]["app_hash"]);
    let (code, future) = rest_get(&format!("{rest}/status?height={}", now + 1_000_000)).await;
    assert_eq!(code, 400, "{future}");

    // A balance: what `deliveryd query balance --height H` answers over ABCI.
    let signer = net.nodes[0]["signer_address"].as_str().unwrap().to_string();
    let (code, balance) = rest_get(&format!("{rest}/bank/balances/{signer}")).await;
    assert_eq!(code, 200, "{balance}");
    let at = balance["height"].as_str().unwrap().to_string();
    let cli = net.query(&["balance", &signer, "--height", &at]);
    assert_eq!(
        balance["result"], cli,
        "REST and ABCI disagree at height {at}"
    );
    assert!(
        balance["result"]["amount"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
            > 0,
        "{balance}"
    );

    // Staking: the active set of four, its total power.
    let (code, set) = rest_get(&format!("{rest}/staking/validator-set")).await;
    assert_eq!(code, 200, "{set}");
    assert_eq!(
        set["result"]["validators"].as_array().unwrap().len(),
        4,
        "{set}"
    );
    let (_, power) = rest_get(&format!("{rest}/staking/totalpower")).await;
    assert!(power["result"]["result"].as_i64().unwrap() > 0, "{power}");
    let (code, validator) = rest_get(&format!("{rest}/staking/signer/{signer}")).await;
    assert_eq!(code, 200, "{validator}");

    // Spans: the latest, and the same span by id at the same height.
    let (code, latest) = rest_get(&format!("{rest}/bor/latest-span")).await;
    assert_eq!(code, 200, "{latest}");
    let id = latest["result"]["span"]["id"].as_u64().unwrap();
    let (code, by_id) = rest_get(&format!(
        "{rest}/bor/span/{id}?height={}",
        latest["height"].as_str().unwrap()
    ))
    .await;
    assert_eq!(code, 200, "{by_id}");
    assert_eq!(by_id["result"], latest["result"]);
    let (code, params) = rest_get(&format!("{rest}/bor/params")).await;
    assert_eq!(code, 200, "{params}");

    // Gov: the params `deliveryd query gov params` prints, and heimdall's voting group.
    let (code, gov) = rest_get(&format!("{rest}/gov/params")).await;
    assert_eq!(code, 200, "{gov}");
    assert_eq!(gov["result"], net.query(&["gov", "params"]));
    let (_, voting) = rest_get(&format!("{rest}/gov/parameters/voting")).await;
    assert_eq!(
        voting["result"],
        serde_json::json!({ "voting_period": gov["result"]["voting_period"] })
    );
    let (code, proposals) = rest_get(&format!("{rest}/gov/proposals")).await;
    assert_eq!(code, 200, "{proposals}");

    // Checkpoints and clerk answer too.
    let (code, checkpoint_params) = rest_get(&format!("{rest}/checkpoints/params")).await;
    assert_eq!(code, 200, "{checkpoint_params}");
    let (code, records) = rest_get(&format!("{rest}/clerk/event-record/list")).await;
    assert_eq!(code, 200, "{records}");

    // The OpenAPI description parses and lists the routes.
    let (code, doc) = rest_get(&format!("{rest}/openapi.json")).await;
    assert_eq!(code, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/status",
        "/bank/balances/{address}",
        "/staking/validator-set",
        "/bor/latest-span",
        "/gov/proposals/{id}/votes/{voter}",
        "/checkpoints/{root_chain}/latest",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is not in /openapi.json"
        );
    }

    // A bad address is a JSON 400 saying what was expected; an unknown path a JSON 404.
    let (code, bad) = rest_get(&format!("{rest}/bank/balances/0x12")).await;
    assert_eq!(code, 400, "{bad}");
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("expected a 0x address"),
        "{bad}"
    );
    let (code, missing) = rest_get(&format!("{rest}/no/such/route")).await;
    assert_eq!(code, 404, "{missing}");
}
