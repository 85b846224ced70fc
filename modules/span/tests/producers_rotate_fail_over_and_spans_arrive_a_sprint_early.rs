//! The span module driven the way the app drives it: one `end_block` per Delivery block, with or
//! without a BTTC block, under localnet params (sprint 4, span 16 blocks, genesis span 8).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use delivery_module::crypto::{sha256, Address};
use delivery_module::{ExecError, Module};
use delivery_span::{
    check_bttc_block, eligible_producers, end_block, next_bttc_height, producer_at, span_commit_at,
    span_seed, state, state_key, BlockInput, BttcBlock, Genesis, Params, SpanError, SpanModule,
    SpanValidator,
};
use delivery_store::{EmptyState, StateDelta, StateRead};

type State = StateDelta<EmptyState>;

fn validator(id: u64, power: u64) -> SpanValidator {
    let mut signer = [0u8; 20];
    signer[0] = 0x5a;
    signer[12..].copy_from_slice(&id.to_be_bytes());
    SpanValidator {
        id,
        signer: Address(signer),
        power,
    }
}

/// Six validators; four are drawn per span, two stay on standby.
fn validators() -> Vec<SpanValidator> {
    vec![
        validator(1, 100),
        validator(2, 90),
        validator(3, 80),
        validator(4, 70),
        validator(5, 60),
        validator(6, 50),
    ]
}

struct Chain {
    state: State,
    /// The last Delivery height finalized.
    height: u64,
    events: Vec<delivery_module::Event>,
}

fn block_hash(height: u64) -> [u8; 32] {
    sha256(format!("delivery block {height}").as_bytes())
}

impl Chain {
    fn new(params: Params) -> Self {
        let mut state = StateDelta::new(EmptyState);
        let genesis = Genesis {
            params,
            validators: validators(),
            ..Genesis::default()
        };
        SpanModule::validate_genesis(&genesis).unwrap();
        SpanModule::init_genesis(&mut state, &genesis).unwrap();
        Chain {
            state,
            height: 0,
            events: Vec::new(),
        }
    }

    fn next_delivery_height(&self) -> u64 {
        self.height + 1
    }

    /// Finalizes one Delivery block, carrying a BTTC block sealed by `producer` if given.
    fn finalize(&mut self, producer: Option<Address>) -> Result<(), SpanError> {
        let d = self.next_delivery_height();
        let bttc_block = match producer {
            Some(p) => Some(BttcBlock {
                height: next_bttc_height(&self.state)?,
                producer: p,
            }),
            None => None,
        };
        let vals = state::validators(&self.state)?;
        let hash = block_hash(d);
        let events = end_block(
            &mut self.state,
            &BlockInput {
                delivery_height: d,
                delivery_block_hash: &hash,
                bttc_block,
                validators: &vals,
            },
        )?;
        self.events = events;
        self.height = d;
        Ok(())
    }

    /// The scheduled producer of the next BTTC block seals it in the next Delivery block.
    fn produce_on_schedule(&mut self) {
        let h = next_bttc_height(&self.state).unwrap();
        let p = producer_at(&self.state, h).unwrap().producer.signer;
        self.finalize(Some(p)).unwrap();
    }

    fn empty_block(&mut self) {
        self.finalize(None).unwrap();
    }

    fn event_kinds(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.kind.as_str()).collect()
    }

    fn attr(&self, kind: &str, key: &str) -> String {
        let e = self
            .events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} event in {:?}", self.events));
        e.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{kind} has no {key}"))
    }
}

#[test]
fn the_genesis_span_covers_the_first_blocks_and_rotates_producers_per_sprint() {
    let chain = Chain::new(Params::localnet());
    let span0 = state::require_span(&chain.state, 0).unwrap();
    assert_eq!((span0.start_block, span0.end_block), (1, 8));
    assert_eq!(span0.producers.len(), 4);
    assert_eq!(span0.seed, delivery_span::genesis_seed());
    assert_eq!(next_bttc_height(&chain.state).unwrap(), 1);
    for h in 1..=4 {
        assert_eq!(
            producer_at(&chain.state, h).unwrap().producer,
            span0.producers[0]
        );
    }
    for h in 5..=8 {
        assert_eq!(
            producer_at(&chain.state, h).unwrap().producer,
            span0.producers[1]
        );
    }
    // The genesis span is committed by BTTC block 1; no other block of it carries a commit.
    assert_eq!(
        span_commit_at(&chain.state, 1).unwrap(),
        Some(span0.to_span_commit())
    );
    assert_eq!(span_commit_at(&chain.state, 2).unwrap(), None);
    assert!(matches!(
        producer_at(&chain.state, 9),
        Err(SpanError::NoSpan { height: 9 })
    ));
}

#[test]
fn the_next_span_is_created_a_sprint_ahead_and_follows_the_last_one() {
    let mut chain = Chain::new(Params::localnet());
    // BTTC blocks 1..=3: nothing new.
    for _ in 1..=3 {
        chain.produce_on_schedule();
        assert!(chain.event_kinds().is_empty(), "{:?}", chain.events);
        assert_eq!(state::latest_span_id(&chain.state).unwrap(), Some(0));
    }
    // Finalizing block 4 makes block 5 (the first of span 0's last sprint) the next one: span 1
    // is created now, a whole sprint before it starts.
    chain.produce_on_schedule();
    assert_eq!(chain.event_kinds(), vec!["span.created"]);
    let d = chain.height;
    let span1 = state::require_span(&chain.state, 1).unwrap();
    assert_eq!((span1.id, span1.start_block, span1.end_block), (1, 9, 24));
    assert_eq!(span1.created_at, d);
    assert_eq!(span1.seed, span_seed(1, &block_hash(d)));
    assert_eq!(span1.sprint_length, 4);
    assert_eq!(chain.attr("span.created", "span_id"), "1");
    assert_eq!(chain.attr("span.created", "start_block"), "9");
    assert_eq!(
        span_commit_at(&chain.state, 9).unwrap(),
        Some(span1.to_span_commit())
    );
    // Span 2 appears when block 20 is finalized (span 1's last sprint starts at 21).
    while next_bttc_height(&chain.state).unwrap() <= 19 {
        chain.produce_on_schedule();
        assert!(!chain.event_kinds().contains(&"span.created"));
    }
    chain.produce_on_schedule();
    assert_eq!(next_bttc_height(&chain.state).unwrap(), 21);
    assert_eq!(chain.event_kinds(), vec!["span.created"]);
    let span2 = state::require_span(&chain.state, 2).unwrap();
    assert_eq!((span2.start_block, span2.end_block), (25, 40));
    // The ValidatorSet contract's rules hold: consecutive ids, start after the previous end,
    // non-empty sets.
    let c1 = span1.to_span_commit();
    let c2 = span2.to_span_commit();
    assert_eq!(c2.id, c1.id + 1);
    assert_eq!(c2.start_block, c1.end_block + 1);
    assert!(!c2.validators.is_empty() && !c2.producers.is_empty());
    // Every block up to span 2's end has a producer, with no gap.
    for h in 1..=40 {
        producer_at(&chain.state, h).unwrap();
    }
}

#[test]
fn a_silent_producer_hands_its_slot_to_the_next_after_each_timeout() {
    let params = Params::localnet(); // producer_timeout 3
    let mut chain = Chain::new(params.clone());
    chain.produce_on_schedule(); // BTTC 1 in Delivery 1
    let h = next_bttc_height(&chain.state).unwrap();
    assert_eq!(h, 2);
    let span0 = state::require_span(&chain.state, 0).unwrap();
    let p = span0.producers.clone();
    // The clock for block 2 started at Delivery height 2.
    let waited_since = chain.height + 1;
    for d in waited_since..waited_since + 3 {
        assert_eq!(
            eligible_producers(&chain.state, h, d).unwrap(),
            vec![p[0].signer]
        );
    }
    assert_eq!(
        eligible_producers(&chain.state, h, waited_since + 3).unwrap(),
        vec![p[0].signer, p[1].signer]
    );
    assert_eq!(
        eligible_producers(&chain.state, h, waited_since + 6).unwrap(),
        vec![p[0].signer, p[1].signer, p[2].signer]
    );
    // A backup is refused before its turn, with the eligible list in the error.
    match check_bttc_block(&chain.state, h, &p[1].signer, waited_since + 2) {
        Err(SpanError::NotEligible { eligible, .. }) => assert_eq!(eligible, vec![p[0].signer]),
        other => panic!("expected NotEligible, got {other:?}"),
    }
    // Three empty Delivery blocks (heights 2, 3, 4), then the first backup seals block 2 at 5.
    for _ in 0..3 {
        chain.empty_block();
    }
    assert_eq!(chain.next_delivery_height(), waited_since + 3);
    chain.finalize(Some(p[1].signer)).unwrap();
    assert_eq!(chain.event_kinds(), vec!["span.backup_produced"]);
    assert_eq!(
        chain.attr("span.backup_produced", "scheduled"),
        p[0].signer.to_string()
    );
    assert_eq!(chain.attr("span.backup_produced", "missed_in_a_row"), "1");
    assert_eq!(state::missed(&chain.state, p[0].id).unwrap(), 1);
    // Block 3's clock starts over: only the scheduled producer again.
    assert_eq!(
        eligible_producers(&chain.state, 3, chain.height + 1).unwrap(),
        vec![p[0].signer]
    );
    // The wrong height is refused.
    assert!(matches!(
        eligible_producers(&chain.state, 4, chain.height + 1),
        Err(SpanError::UnexpectedHeight {
            expected: 3,
            found: 4
        })
    ));
}

/// Lets the scheduled producer of the next block stay silent; the first backup seals it after
/// one timeout.
fn miss_one_slot(chain: &mut Chain, timeout: u64) {
    let h = next_bttc_height(&chain.state).unwrap();
    for _ in 0..timeout {
        chain.empty_block();
    }
    let eligible = eligible_producers(&chain.state, h, chain.next_delivery_height()).unwrap();
    assert_eq!(eligible.len(), 2, "one backup after one timeout");
    chain.finalize(Some(eligible[1])).unwrap();
}

#[test]
fn a_producer_missing_max_missed_slots_in_a_row_is_replaced_until_the_span_ends() {
    // max_missed_slots 4, sprint 4; spans of 6 sprints so a slot comes round twice per span.
    let params = Params {
        span_sprints: 6,
        ..Params::localnet()
    };
    let mut chain = Chain::new(params.clone());
    // Go to span 1 (blocks 9..=32) so the replacement has room to last.
    while next_bttc_height(&chain.state).unwrap() < 9 {
        chain.produce_on_schedule();
    }
    let span1 = state::require_span(&chain.state, 1).unwrap();
    let silent = span1.producers[0];
    // The standby: the highest-power validator of the span not drawn as a producer.
    let standby = span1
        .validators
        .iter()
        .filter(|v| !span1.producers.contains(v))
        .max_by(|a, b| a.power.cmp(&b.power).then(b.id.cmp(&a.id)))
        .copied()
        .unwrap();
    // Blocks 9..=11: missed, not yet replaced.
    for missed in 1..=3u64 {
        miss_one_slot(&mut chain, params.producer_timeout);
        assert_eq!(chain.event_kinds(), vec!["span.backup_produced"]);
        assert_eq!(state::missed(&chain.state, silent.id).unwrap(), missed);
    }
    // Block 12: the fourth miss in a row replaces it from block 13.
    miss_one_slot(&mut chain, params.producer_timeout);
    assert_eq!(
        chain.event_kinds(),
        vec!["span.backup_produced", "span.producer_replaced"]
    );
    assert_eq!(
        chain.attr("span.producer_replaced", "replaced"),
        silent.signer.to_string()
    );
    assert_eq!(
        chain.attr("span.producer_replaced", "replacement"),
        standby.signer.to_string()
    );
    assert_eq!(chain.attr("span.producer_replaced", "from_block"), "13");
    assert_eq!(state::missed(&chain.state, silent.id).unwrap(), 0);
    // Slot 0 owns sprints 0 and 4 of span 1 (blocks 9..=12 and 25..=28, with 4 producers): the
    // standby holds sprint 4; history (block 9) still names the drawn producer.
    assert_eq!(producer_at(&chain.state, 9).unwrap().producer, silent);
    for h in 25..=28 {
        let at = producer_at(&chain.state, h).unwrap();
        assert_eq!((at.producer, at.drawn), (standby, silent));
    }
    // The silent producer is last in line now; the replacement is in the rotation.
    let order =
        delivery_span::backup_order(&span1, &state::replacements(&chain.state, 1).unwrap(), 25)
            .unwrap();
    assert_eq!(order[0], standby);
    assert_eq!(*order.last().unwrap(), silent);
    // Produce on schedule to the span's end: the standby seals 25..=28 without a backup event.
    while next_bttc_height(&chain.state).unwrap() <= 32 {
        chain.produce_on_schedule();
        assert!(!chain.event_kinds().contains(&"span.backup_produced"));
    }
    // Span 2 is drawn afresh: its producers are the draw, with no replacement carried over.
    let span2 = state::require_span(&chain.state, 2).unwrap();
    for h in span2.start_block..=span2.end_block {
        let at = producer_at(&chain.state, h).unwrap();
        assert_eq!(at.producer, at.drawn);
    }
}

#[test]
fn a_produced_block_resets_the_missed_counter() {
    let params = Params::localnet();
    let mut chain = Chain::new(params.clone());
    let p0 = state::require_span(&chain.state, 0).unwrap().producers[0];
    miss_one_slot(&mut chain, params.producer_timeout);
    miss_one_slot(&mut chain, params.producer_timeout);
    assert_eq!(state::missed(&chain.state, p0.id).unwrap(), 2);
    chain.produce_on_schedule(); // p0 seals block 3 itself
    assert_eq!(state::missed(&chain.state, p0.id).unwrap(), 0);
    miss_one_slot(&mut chain, params.producer_timeout); // block 4: counting starts over
    assert_eq!(state::missed(&chain.state, p0.id).unwrap(), 1);
    assert!(state::replacements(&chain.state, 0).unwrap().is_empty());
}

#[test]
fn without_a_standby_the_silent_producer_keeps_its_slot_and_backups_keep_the_chain_going() {
    // Four validators, four producers: nobody is on standby.
    let params = Params::localnet();
    let mut state = StateDelta::new(EmptyState);
    let genesis = Genesis {
        params: params.clone(),
        validators: validators()[..4].to_vec(),
        ..Genesis::default()
    };
    SpanModule::init_genesis(&mut state, &genesis).unwrap();
    let mut chain = Chain {
        state,
        height: 0,
        events: Vec::new(),
    };
    for _ in 0..4 {
        miss_one_slot(&mut chain, params.producer_timeout);
    }
    assert!(!chain.event_kinds().contains(&"span.producer_replaced"));
    assert!(state::replacements(&chain.state, 0).unwrap().is_empty());
    let p0 = state::require_span(&chain.state, 0).unwrap().producers[0];
    assert_eq!(state::missed(&chain.state, p0.id).unwrap(), 4);
}

fn module_state(s: &impl StateRead) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.prefix_raw(state_key::MODULE_PREFIX).unwrap()
}

#[test]
fn an_export_imports_into_the_same_state() {
    let params = Params::localnet();
    let mut chain = Chain::new(params.clone());
    // Some history: a replacement in span 1, counters, a clock mid-wait.
    while next_bttc_height(&chain.state).unwrap() < 9 {
        chain.produce_on_schedule();
    }
    for _ in 0..4 {
        miss_one_slot(&mut chain, params.producer_timeout);
    }
    miss_one_slot(&mut chain, params.producer_timeout);
    chain.empty_block();
    let exported = SpanModule::export_genesis(&chain.state).unwrap();
    assert_eq!(exported.spans.len(), 2);
    assert_eq!(exported.replacements.len(), 1);
    assert!(!exported.missed.is_empty());
    // Through JSON, as in a genesis file.
    let json = serde_json::to_string_pretty(&exported).unwrap();
    let reread: Genesis = serde_json::from_str(&json).unwrap();
    assert_eq!(reread, exported);
    SpanModule::validate_genesis(&reread).unwrap();
    let mut fresh = StateDelta::new(EmptyState);
    SpanModule::init_genesis(&mut fresh, &reread).unwrap();
    assert_eq!(module_state(&fresh), module_state(&chain.state));
    assert_eq!(SpanModule::export_genesis(&fresh).unwrap(), exported);
    // A new chain's genesis exports its span 0 and clock and reimports to the same state too.
    let new_chain = Chain::new(params);
    let g = SpanModule::export_genesis(&new_chain.state).unwrap();
    let mut again = StateDelta::new(EmptyState);
    SpanModule::init_genesis(&mut again, &g).unwrap();
    assert_eq!(module_state(&again), module_state(&new_chain.state));
}

#[test]
fn inconsistent_genesis_sections_are_rejected() {
    let chain = Chain::new(Params::localnet());
    let good = SpanModule::export_genesis(&chain.state).unwrap();
    let mut gap = good.clone();
    let mut span1 = gap.spans[0].clone();
    span1.id = 1;
    span1.start_block = 10;
    span1.end_block = 17;
    gap.spans.push(span1);
    assert!(SpanModule::validate_genesis(&gap).is_err());
    let mut no_slot = good.clone();
    no_slot.slot = None;
    assert!(SpanModule::validate_genesis(&no_slot).is_err());
    let mut orphan = good.clone();
    orphan.validators.clear();
    assert!(SpanModule::validate_genesis(&orphan).is_err());
    let zero_power = Genesis {
        validators: vec![validator(1, 0)],
        ..Genesis::default()
    };
    assert!(SpanModule::validate_genesis(&zero_power).is_err());
    // The default (no validators) is a valid, dormant module.
    SpanModule::validate_genesis(&Genesis::default()).unwrap();
}

#[test]
fn a_dormant_module_refuses_bttc_blocks_and_otherwise_does_nothing() {
    let mut state = StateDelta::new(EmptyState);
    SpanModule::init_genesis(&mut state, &Genesis::default()).unwrap();
    let hash = block_hash(1);
    let events = end_block(
        &mut state,
        &BlockInput {
            delivery_height: 1,
            delivery_block_hash: &hash,
            bttc_block: None,
            validators: &[],
        },
    )
    .unwrap();
    assert!(events.is_empty());
    let refused = end_block(
        &mut state,
        &BlockInput {
            delivery_height: 2,
            delivery_block_hash: &hash,
            bttc_block: Some(BttcBlock {
                height: 1,
                producer: validator(1, 1).signer,
            }),
            validators: &[],
        },
    );
    assert!(matches!(refused, Err(SpanError::Dormant)));
    assert!(matches!(next_bttc_height(&state), Err(SpanError::Dormant)));
}

#[test]
fn an_outsider_or_a_wrong_height_never_gets_recorded() {
    let mut chain = Chain::new(Params::localnet());
    let before = module_state(&chain.state);
    let outsider = validator(99, 1).signer;
    assert!(matches!(
        chain.finalize(Some(outsider)),
        Err(SpanError::NotEligible { .. })
    ));
    let p = producer_at(&chain.state, 1).unwrap().producer.signer;
    let hash = block_hash(1);
    let vals = validators();
    let wrong = end_block(
        &mut chain.state,
        &BlockInput {
            delivery_height: 1,
            delivery_block_hash: &hash,
            bttc_block: Some(BttcBlock {
                height: 2,
                producer: p,
            }),
            validators: &vals,
        },
    );
    assert!(matches!(
        wrong,
        Err(SpanError::UnexpectedHeight {
            expected: 1,
            found: 2
        })
    ));
    assert_eq!(module_state(&chain.state), before);
}

fn query(chain: &Chain, path: &str, data: &str) -> serde_json::Value {
    let bytes = SpanModule::query(&chain.state, path, data.as_bytes()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn queries_answer_spans_and_producers_in_json() {
    let mut chain = Chain::new(Params::localnet());
    for _ in 0..4 {
        chain.produce_on_schedule();
    }
    let span0 = query(&chain, "span", "0");
    assert_eq!(span0["span"]["id"], 0);
    assert_eq!(span0["span"]["start_block"], 1);
    assert_eq!(span0["span"]["end_block"], 8);
    assert_eq!(span0["replacements"], serde_json::json!([]));
    let latest = query(&chain, "latest-span", "");
    assert_eq!(latest["span"]["id"], 1);
    assert_eq!(latest["span"]["start_block"], 9);
    let s1 = state::require_span(&chain.state, 1).unwrap();
    assert_eq!(
        latest["span"]["seed"],
        format!("0x{}", hex::encode(s1.seed))
    );
    // The next height (5) carries the failover view; a later one does not.
    let at5 = query(&chain, "producer-at", "5");
    let p5 = producer_at(&chain.state, 5).unwrap();
    assert_eq!(at5["height"], 5);
    assert_eq!(at5["span_id"], 0);
    assert_eq!(at5["sprint"], 1);
    assert_eq!(at5["producer"]["signer"], p5.producer.signer.to_string());
    assert_eq!(at5["next_height"], 5);
    assert_eq!(at5["failover"]["producer_timeout"], 3);
    assert_eq!(at5["failover"]["waiting_since"], chain.height + 1);
    assert_eq!(at5["failover"]["backup_order"].as_array().unwrap().len(), 6);
    let at10 = query(&chain, "producer-at", " 10 ");
    assert_eq!(at10["span_id"], 1);
    assert!(at10["failover"].is_null());
    assert_eq!(query(&chain, "params", "")["sprint_length"], 4);
    assert_eq!(query(&chain, "validators", "").as_array().unwrap().len(), 6);
    // Errors: unknown span, height past the spans, malformed argument, unknown path.
    let code = |path: &str, data: &str| match SpanModule::query(&chain.state, path, data.as_bytes())
    {
        Err(ExecError::Rejected(e)) => (e.codespace, e.code),
        other => panic!("expected a rejection for {path} {data:?}, got {other:?}"),
    };
    assert_eq!(code("span", "7"), ("span", 5));
    assert_eq!(code("producer-at", "25"), ("span", 4));
    assert_eq!(code("producer-at", "x"), ("span", 9));
    assert_eq!(code("span", "-1"), ("span", 9));
    assert_eq!(code("nope", ""), ("sdk", 6));
}
