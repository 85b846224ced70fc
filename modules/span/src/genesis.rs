//! Span genesis: params, the validator list, and (in an export) the spans, replacements, the
//! failover clock and the missed-slot counters.
//!
//! A new chain lists params and validators only; [`SpanModule::init_genesis`] then creates the
//! genesis span 0 over BTTC blocks `1..=sprint_length * first_span_sprints`, its producers drawn
//! from the public [`crate::select::genesis_seed`], and starts the clock at BTTC block 1. An
//! export carries everything, and importing it reproduces the module's state byte for byte. A
//! genesis with no validators leaves the module dormant (no span; BTTC blocks are refused).

use std::collections::BTreeSet;

use delivery_module::{ExecError, Module};
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SpanError};
use crate::params::Params;
use crate::schedule;
use crate::select::{genesis_seed, select_producers};
use crate::state::{self, MissedCount, Slot};
use crate::types::{validate_validators, Replacement, Span, SpanValidator};

/// The span section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Params (mainnet defaults when omitted).
    #[serde(default)]
    pub params: Params,
    /// The validator list (id, signer, power): until a staking module exists, the source of
    /// signer addresses. Empty = dormant module.
    #[serde(default)]
    pub validators: Vec<SpanValidator>,
    /// Spans by id from 0 (export only; a new chain leaves this empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<Span>,
    /// Replacements by span, in order (export only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement>,
    /// The failover clock (export only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<Slot>,
    /// Non-zero missed-slot counters (export only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missed: Vec<MissedCount>,
}

/// The genesis span for `validators` under `params`: id 0, BTTC blocks
/// `1..=first_span_length`, producers drawn from the genesis seed.
pub fn genesis_span(params: &Params, validators: &[SpanValidator]) -> Result<Span> {
    let seed = genesis_seed();
    Ok(Span {
        id: 0,
        start_block: 1,
        end_block: params.first_span_length()?,
        sprint_length: params.sprint_length,
        validators: validate_validators(validators)?,
        producers: select_producers(validators, &seed, params.producer_count)?,
        seed,
        created_at: 0,
    })
}

fn bad<T>(m: String) -> Result<T> {
    Err(SpanError::InvalidGenesis(m))
}

/// Checks a genesis section (see the module doc for what is required).
pub fn validate(genesis: &Genesis) -> Result<()> {
    genesis.params.validate()?;
    let exported = !genesis.spans.is_empty()
        || !genesis.replacements.is_empty()
        || genesis.slot.is_some()
        || !genesis.missed.is_empty();
    if genesis.validators.is_empty() {
        if exported {
            return bad("spans, replacements, slot or missed counters without validators".into());
        }
        return Ok(());
    }
    validate_validators(&genesis.validators)?;
    if !exported {
        genesis_span(&genesis.params, &genesis.validators)?;
        return Ok(());
    }
    let mut previous: Option<&Span> = None;
    for (index, span) in genesis.spans.iter().enumerate() {
        if u64::try_from(index).ok() != Some(span.id) {
            return bad(format!("span at position {index} has id {}", span.id));
        }
        span.validate()?;
        if let Some(prev) = previous {
            if prev.end_block.checked_add(1) != Some(span.start_block) {
                return bad(format!(
                    "span {} starts at {}, expected {} (right after span {})",
                    span.id,
                    span.start_block,
                    prev.end_block.saturating_add(1),
                    prev.id
                ));
            }
        }
        previous = Some(span);
    }
    let (Some(first), Some(last)) = (genesis.spans.first(), genesis.spans.last()) else {
        return bad("an export must list the spans".into());
    };
    let Some(slot) = genesis.slot else {
        return bad("an export must carry the slot".into());
    };
    if slot.next_height < first.start_block || slot.next_height > last.end_block {
        return bad(format!(
            "slot next_height {} is outside the spans' blocks {}..={}",
            slot.next_height, first.start_block, last.end_block
        ));
    }
    let mut applied: Vec<Replacement> = Vec::new();
    for r in &genesis.replacements {
        let span = genesis
            .spans
            .get(usize::try_from(r.span_id).unwrap_or(usize::MAX))
            .ok_or_else(|| {
                SpanError::InvalidGenesis(format!("replacement in unknown span {}", r.span_id))
            })?;
        if let Some(prev) = applied.last() {
            if (prev.span_id, prev.from_block) > (r.span_id, r.from_block) {
                return bad("replacements are not ordered by span and from_block".into());
            }
        }
        if r.from_block <= span.start_block || r.from_block > span.end_block {
            return bad(format!(
                "replacement from block {} is outside span {}'s blocks {}..={}",
                r.from_block,
                span.id,
                span.start_block.saturating_add(1),
                span.end_block
            ));
        }
        let before = schedule::producers_in_force(span, &applied, r.from_block.saturating_sub(1));
        let slot_index = usize::try_from(r.slot).unwrap_or(usize::MAX);
        if before.get(slot_index) != Some(&r.replaced) {
            return bad(format!(
                "replacement in span {} slot {}: {} was not producing there",
                span.id, r.slot, r.replaced.id
            ));
        }
        if !span.validators.contains(&r.replacement) || before.contains(&r.replacement) {
            return bad(format!(
                "replacement {} in span {} is not a standby of the span",
                r.replacement.id, span.id
            ));
        }
        applied.push(*r);
    }
    let mut ids = BTreeSet::new();
    for m in &genesis.missed {
        if m.missed == 0 || !ids.insert(m.validator_id) {
            return bad(format!(
                "missed counter for validator {} is zero or listed twice",
                m.validator_id
            ));
        }
    }
    Ok(())
}

/// Writes a validated genesis section.
pub fn init<S: StateWrite + ?Sized>(state: &mut S, genesis: &Genesis) -> Result<()> {
    validate(genesis)?;
    state::set_params(state, &genesis.params)?;
    if genesis.validators.is_empty() {
        return Ok(());
    }
    state::set_validators(state, &genesis.validators)?;
    if genesis.spans.is_empty() {
        let span = genesis_span(&genesis.params, &genesis.validators)?;
        state::put_span(state, &span);
        state::set_latest_span_id(state, span.id);
        state::set_slot(
            state,
            &Slot {
                next_height: span.start_block,
                waiting_since: 0,
            },
        );
        return Ok(());
    }
    for span in &genesis.spans {
        state::put_span(state, span);
        state::set_latest_span_id(state, span.id);
    }
    for r in &genesis.replacements {
        state::push_replacement(state, r)?;
    }
    if let Some(slot) = &genesis.slot {
        state::set_slot(state, slot);
    }
    for m in &genesis.missed {
        state::set_missed(state, m.validator_id, m.missed);
    }
    Ok(())
}

/// Reads the module's state back as a genesis section.
pub fn export<S: StateRead + ?Sized>(state: &S) -> Result<Genesis> {
    Ok(Genesis {
        params: state::params(state)?,
        validators: state::validators(state)?,
        spans: state::spans(state)?,
        replacements: state::all_replacements(state)?,
        slot: state::slot(state)?,
        missed: state::all_missed(state)?,
    })
}

/// The span module.
pub struct SpanModule;

impl Module for SpanModule {
    const NAME: &'static str = "span";
    type Genesis = Genesis;

    fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
        validate(genesis).map_err(|e| e.to_string())
    }

    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
        init(state, genesis).map_err(ExecError::from)
    }

    fn export_genesis<S: StateRead>(state: &S) -> Result<Genesis, ExecError> {
        export(state).map_err(ExecError::from)
    }

    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError> {
        crate::query::handle(state, path, data)
    }
}
