//! The route table: every REST route, its parameters and how it is answered. The router
//! ([`super::router`]) and the OpenAPI document ([`super::openapi`]) are both built from
//! [`ROUTES`], so a route cannot be served undocumented or documented unserved.
//!
//! Most routes are one `custom/...` query of the app ([`Backend::Query`]): the `{name}`s of the
//! query path are the route's validated parameters, and the result is the query's JSON answer
//! unchanged (what `deliveryd query ... --output json` prints). The others ([`Backend::Fn`])
//! combine queries: heimdall's unqualified `/checkpoints/...` (the staking root chain), its
//! `{"result": n}` answers, pages.

use serde_json::{json, Value};

use super::reader::{Reader, RestError};

/// Where a parameter comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment.
    Path,
    /// A query-string parameter.
    Query,
}

/// What a parameter holds; checked before any query runs (a failure is a 400 saying what was
/// expected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A decimal `u64`.
    U64,
    /// A `0x` address: 40 hex digits.
    Address,
    /// A root chain name: 1-16 lowercase letters or digits.
    RootChain,
    /// A validator id (decimal) or signer address (`0x`).
    Voter,
    /// A name: 1-64 ASCII letters, digits, `.`, `_`, `-`.
    Name,
    /// One of these words.
    OneOf(&'static [&'static str]),
}

/// One parameter of a route.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name (the `{name}` of the path, or the query key).
    pub name: &'static str,
    /// Path or query.
    pub location: In,
    /// What it holds.
    pub kind: Kind,
    /// The value when a query parameter is absent (`None`: required for path parameters,
    /// optional for query parameters).
    pub default: Option<&'static str>,
    /// One line for the OpenAPI document.
    pub description: &'static str,
    /// A valid value (the OpenAPI example, and the route-table test's request).
    pub example: &'static str,
}

/// A route's validated parameters: path and query, with defaults filled in.
#[derive(Debug, Clone, Default)]
pub struct Args {
    values: Vec<(&'static str, String)>,
}

impl Args {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a parameter the route declares (a 500 if the table and the handler
    /// disagree).
    pub fn required(&self, name: &str) -> Result<&str, RestError> {
        self.get(name).ok_or_else(|| {
            RestError::Internal(format!("route table bug: parameter {name} is not declared"))
        })
    }

    /// A declared `u64` parameter.
    pub fn u64(&self, name: &str) -> Result<u64, RestError> {
        let text = self.required(name)?;
        text.parse().map_err(|_| {
            RestError::BadRequest(format!("{name} {text:?}: expected a decimal number"))
        })
    }

    pub(super) fn push(&mut self, name: &'static str, value: String) {
        self.values.push((name, value));
    }
}

/// A handler of a combined route: reads through `reader`, answers the envelope's `result`.
pub type Handler = fn(&Args, &Reader) -> Result<Value, RestError>;

/// How a route is answered.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// One app query: `path` with `{name}` replaced by parameter values; `data`, if set, names
    /// the parameter sent as the query's data.
    Query {
        /// The `custom/...` path.
        path: &'static str,
        /// The parameter sent as data.
        data: Option<&'static str>,
    },
    /// A handler.
    Fn(Handler),
    /// The OpenAPI document itself (not enveloped, no `?height`).
    OpenApi,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The path, axum style (`/bor/span/{id}`).
    pub path: &'static str,
    /// The OpenAPI tag (module).
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// heimdall v1's path for the same read, if it has one (for the docs and the OpenAPI
    /// description).
    pub heimdall: Option<&'static str>,
    /// Parameters (besides `height`, which every enveloped route takes).
    pub params: &'static [Param],
    /// How it is answered.
    pub backend: Backend,
    /// Codes this route reads as 404 besides the common ones (see [`super::reader::status_of`]).
    pub not_found: &'static [(&'static str, u32)],
}

impl Route {
    /// Whether the route takes `?height` and answers `{"height", "result"}`.
    pub fn enveloped(&self) -> bool {
        !matches!(self.backend, Backend::OpenApi)
    }
}

const fn path(
    name: &'static str,
    kind: Kind,
    description: &'static str,
    example: &'static str,
) -> Param {
    Param {
        name,
        location: In::Path,
        kind,
        default: None,
        description,
        example,
    }
}

const fn query(
    name: &'static str,
    kind: Kind,
    default: &'static str,
    description: &'static str,
    example: &'static str,
) -> Param {
    Param {
        name,
        location: In::Query,
        kind,
        default: Some(default),
        description,
        example,
    }
}

const EXAMPLE_ADDRESS: &str = "0x0000000000000000000000000000000000000001";

const ADDRESS: Param = path(
    "address",
    Kind::Address,
    "A `0x` address (40 hex digits).",
    EXAMPLE_ADDRESS,
);
const ROOT_CHAIN: Param = path(
    "root_chain",
    Kind::RootChain,
    "A root chain name (`tron`, `eth`, ...): 1-16 lowercase letters or digits.",
    "tron",
);
const PROPOSAL_ID: Param = path("id", Kind::U64, "A proposal id.", "1");

/// The status words `custom/gov/proposals` takes.
const PROPOSAL_STATUSES: &[&str] = &[
    "all",
    "deposit_period",
    "voting_period",
    "passed",
    "rejected",
    "failed",
];

/// The gov parameter groups of heimdall's `/gov/parameters/{type}`.
const GOV_PARAM_GROUPS: &[&str] = &["deposit", "voting", "tallying"];

/// `custom/gov/deposit/<id>/<depositor>` answers "no deposit" with the gov BadQuery code (11,
/// `GovError::BadQuery`; pinned by a test) once both arguments are valid (the REST layer
/// checked them): a 404 here.
pub const GOV_NO_DEPOSIT: &[(&str, u32)] = &[("gov", 11)];

const fn q(path: &'static str) -> Backend {
    Backend::Query { path, data: None }
}

/// Every route.
pub const ROUTES: &[Route] = &[
    // ---- node
    Route {
        path: "/status",
        tag: "node",
        summary: "The latest committed height, the oldest height kept, and the app hash at the \
                  read height (`?height`, default latest).",
        heimdall: Some("/node_info, /status (CometBFT RPC)"),
        params: &[],
        backend: Backend::Fn(status),
        not_found: &[],
    },
    Route {
        path: "/openapi.json",
        tag: "node",
        summary: "This API's OpenAPI 3.0 description (generated from the route table).",
        heimdall: None,
        params: &[],
        backend: Backend::OpenApi,
        not_found: &[],
    },
    Route {
        path: "/app/validators",
        tag: "node",
        summary: "The CometBFT validator set the app gives for the next height \
                  (`custom/app/validators`).",
        heimdall: None,
        params: &[],
        backend: q("custom/app/validators"),
        not_found: &[],
    },
    // ---- auth, bank
    Route {
        path: "/auth/accounts/{address}",
        tag: "auth",
        summary: "An account's number, sequence and public key (`custom/auth/account`).",
        heimdall: Some("/auth/accounts/{address}"),
        params: &[ADDRESS],
        backend: Backend::Query {
            path: "custom/auth/account",
            data: Some("address"),
        },
        not_found: &[],
    },
    Route {
        path: "/auth/params",
        tag: "auth",
        summary: "The auth module's params.",
        heimdall: Some("/auth/params"),
        params: &[],
        backend: q("custom/auth/params"),
        not_found: &[],
    },
    Route {
        path: "/bank/balances/{address}",
        tag: "bank",
        summary: "An address's balance in abtt (`{address, denom, amount}`; 0 for an unknown \
                  address).",
        heimdall: Some("/bank/balances/{address}"),
        params: &[ADDRESS],
        backend: Backend::Query {
            path: "custom/bank/balance",
            data: Some("address"),
        },
        not_found: &[],
    },
    Route {
        path: "/bank/supply",
        tag: "bank",
        summary: "The total supply of abtt.",
        heimdall: Some("/supply/total"),
        params: &[],
        backend: q("custom/bank/supply"),
        not_found: &[],
    },
    // ---- staking
    Route {
        path: "/staking/validator/{id}",
        tag: "staking",
        summary: "A validator by id, with its status, whether it is in the active set and its \
                  power there.",
        heimdall: Some("/staking/validator/{id}"),
        params: &[path("id", Kind::U64, "A validator id.", "1")],
        backend: q("custom/staking/validator/{id}"),
        not_found: &[],
    },
    Route {
        path: "/staking/signer/{address}",
        tag: "staking",
        summary: "The validator whose signer is this address.",
        heimdall: Some("/staking/signer/{address}"),
        params: &[ADDRESS],
        backend: q("custom/staking/signer/{address}"),
        not_found: &[],
    },
    Route {
        path: "/staking/validator-status/{address}",
        tag: "staking",
        summary: "`{\"result\": bool}`: whether the validator with this signer is in the active \
                  set (false for an unknown signer).",
        heimdall: Some("/staking/validator-status/{address}"),
        params: &[ADDRESS],
        backend: Backend::Fn(validator_status),
        not_found: &[],
    },
    Route {
        path: "/staking/validator-set",
        tag: "staking",
        summary: "The active set: epoch, power mode, total power and the members by id.",
        heimdall: Some("/staking/validator-set"),
        params: &[],
        backend: q("custom/staking/validator-set"),
        not_found: &[],
    },
    Route {
        path: "/staking/validators",
        tag: "staking",
        summary: "Every validator ever joined (pending and unstaked ones too), by id.",
        heimdall: None,
        params: &[],
        backend: q("custom/staking/all-validators"),
        not_found: &[],
    },
    Route {
        path: "/staking/totalpower",
        tag: "staking",
        summary: "`{\"result\": n}`: the active set's total power.",
        heimdall: Some("/staking/totalpower"),
        params: &[],
        backend: Backend::Fn(total_power),
        not_found: &[],
    },
    Route {
        path: "/staking/current-proposer",
        tag: "staking",
        summary: "The current checkpoint proposer with its priority (404 before the first \
                  validator set).",
        heimdall: Some("/staking/current-proposer"),
        params: &[],
        backend: Backend::Fn(current_proposer),
        not_found: &[],
    },
    Route {
        path: "/staking/params",
        tag: "staking",
        summary: "The staking module's params.",
        heimdall: None,
        params: &[],
        backend: q("custom/staking/params"),
        not_found: &[],
    },
    Route {
        path: "/staking/epoch",
        tag: "staking",
        summary: "The epoch clock: current epoch, the height it started at, its length.",
        heimdall: None,
        params: &[],
        backend: q("custom/staking/epoch"),
        not_found: &[],
    },
    // ---- bor (the span module)
    Route {
        path: "/bor/span/list",
        tag: "bor",
        summary: "Spans by id ascending: ids `(page-1)*limit ..` up to the latest span.",
        heimdall: Some("/bor/span/list"),
        params: &[
            query("page", Kind::U64, "1", "Page number, from 1.", "1"),
            query("limit", Kind::U64, "10", "Spans per page, 1..=50.", "10"),
        ],
        backend: Backend::Fn(span_list),
        not_found: &[],
    },
    Route {
        path: "/bor/span/{id}",
        tag: "bor",
        summary: "A span by id (`{span, replacements}`); span 0 is the genesis span.",
        heimdall: Some("/bor/span/{id}"),
        params: &[path("id", Kind::U64, "A span id.", "0")],
        backend: Backend::Query {
            path: "custom/span/span",
            data: Some("id"),
        },
        not_found: &[],
    },
    Route {
        path: "/bor/latest-span",
        tag: "bor",
        summary: "The latest span (`{span, replacements}`).",
        heimdall: Some("/bor/latest-span"),
        params: &[],
        backend: q("custom/span/latest-span"),
        not_found: &[],
    },
    Route {
        path: "/bor/params",
        tag: "bor",
        summary: "The span module's params.",
        heimdall: Some("/bor/params"),
        params: &[],
        backend: q("custom/span/params"),
        not_found: &[],
    },
    Route {
        path: "/bor/producer/{bttc_height}",
        tag: "bor",
        summary: "The scheduled producer of a BTTC height, with the failover order when it is \
                  the next height.",
        heimdall: None,
        params: &[path("bttc_height", Kind::U64, "A BTTC block number.", "1")],
        backend: Backend::Query {
            path: "custom/span/producer-at",
            data: Some("bttc_height"),
        },
        not_found: &[],
    },
    // ---- clerk
    Route {
        path: "/clerk/event-record/list",
        tag: "clerk",
        summary: "State-sync records by id ascending (`{records}`): ids from \
                  `(page-1)*limit+1`, at most `limit`.",
        heimdall: Some("/clerk/event-record/list"),
        params: &[
            query("page", Kind::U64, "1", "Page number, from 1.", "1"),
            query("limit", Kind::U64, "50", "Records per page, 1..=100.", "50"),
        ],
        backend: Backend::Fn(record_list),
        not_found: &[],
    },
    Route {
        path: "/clerk/event-record/{id}",
        tag: "clerk",
        summary: "A state-sync record by id.",
        heimdall: Some("/clerk/event-record/{recordId}"),
        params: &[path("id", Kind::U64, "A record id (from 1).", "1")],
        backend: q("custom/clerk/record/{id}"),
        not_found: &[],
    },
    Route {
        path: "/clerk/latest-id",
        tag: "clerk",
        summary: "`{latest_id}`: the last record id (0: none yet).",
        heimdall: None,
        params: &[],
        backend: q("custom/clerk/latest-id"),
        not_found: &[],
    },
    Route {
        path: "/clerk/by-root/{root_chain}/{root_id}",
        tag: "clerk",
        summary: "The record of a root chain's StateSynced event id.",
        heimdall: None,
        params: &[
            ROOT_CHAIN,
            path("root_id", Kind::U64, "The StateSender's event id.", "1"),
        ],
        backend: q("custom/clerk/by-root/{root_chain}/{root_id}"),
        not_found: &[],
    },
    Route {
        path: "/clerk/last-root/{root_chain}",
        tag: "clerk",
        summary: "`{root_chain, last_root_id, next_root_id}`: the StateSynced id the bridge \
                  submits next for that chain.",
        heimdall: None,
        params: &[ROOT_CHAIN],
        backend: q("custom/clerk/last-root/{root_chain}"),
        not_found: &[],
    },
    Route {
        path: "/clerk/params",
        tag: "clerk",
        summary: "The clerk module's params.",
        heimdall: None,
        params: &[],
        backend: q("custom/clerk/params"),
        not_found: &[],
    },
    // ---- checkpoints: heimdall's unqualified routes answer for the staking root chain
    Route {
        path: "/checkpoints/params",
        tag: "checkpoints",
        summary: "The checkpoint module's params.",
        heimdall: Some("/checkpoints/params"),
        params: &[],
        backend: q("custom/checkpoint/params"),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/chains",
        tag: "checkpoints",
        summary: "Per root chain: ack count, last end, next start and the checkpoint in flight.",
        heimdall: Some("/overview"),
        params: &[],
        backend: q("custom/checkpoint/chains"),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/proposer",
        tag: "checkpoints",
        summary: "The checkpoint proposer and the set with priorities.",
        heimdall: None,
        params: &[],
        backend: q("custom/checkpoint/proposer"),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/latest",
        tag: "checkpoints",
        summary: "The staking root chain's last acked checkpoint (404 when none).",
        heimdall: Some("/checkpoints/latest"),
        params: &[],
        backend: Backend::Fn(staking_latest),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/count",
        tag: "checkpoints",
        summary: "`{\"result\": n}`: the staking root chain's acked checkpoint count.",
        heimdall: Some("/checkpoints/count"),
        params: &[],
        backend: Backend::Fn(staking_count),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/buffer",
        tag: "checkpoints",
        summary: "The staking root chain's checkpoint in flight (`null` when none).",
        heimdall: Some("/checkpoints/buffer"),
        params: &[],
        backend: Backend::Fn(staking_buffer),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{number}",
        tag: "checkpoints",
        summary: "An acked checkpoint of the staking root chain by number.",
        heimdall: Some("/checkpoints/{number}"),
        params: &[path(
            "number",
            Kind::U64,
            "A checkpoint number (from 1).",
            "1",
        )],
        backend: Backend::Fn(staking_number),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{root_chain}/latest",
        tag: "checkpoints",
        summary: "A root chain's last acked checkpoint (404 when none).",
        heimdall: None,
        params: &[ROOT_CHAIN],
        backend: Backend::Fn(chain_latest),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{root_chain}/count",
        tag: "checkpoints",
        summary: "A root chain's ack count, last end, next start and next number.",
        heimdall: None,
        params: &[ROOT_CHAIN],
        backend: Backend::Fn(chain_count),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{root_chain}/buffer",
        tag: "checkpoints",
        summary: "A root chain's checkpoint in flight with its sign data and hash (`null` when \
                  none).",
        heimdall: None,
        params: &[ROOT_CHAIN],
        backend: Backend::Fn(chain_buffer),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{root_chain}/signatures",
        tag: "checkpoints",
        summary: "The signatures gathered for a root chain's checkpoint in flight (`null` when \
                  none).",
        heimdall: None,
        params: &[ROOT_CHAIN],
        backend: Backend::Fn(chain_signatures),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{root_chain}/{number}",
        tag: "checkpoints",
        summary: "An acked checkpoint of a root chain by number.",
        heimdall: None,
        params: &[
            ROOT_CHAIN,
            path("number", Kind::U64, "A checkpoint number (from 1).", "1"),
        ],
        backend: Backend::Fn(chain_number),
        not_found: &[],
    },
    Route {
        path: "/checkpoints/{root_chain}/block-proof/{bttc_block}",
        tag: "checkpoints",
        summary: "The checkpoint of a root chain covering a BTTC block and the block's Merkle \
                  proof in it (what an exit payload needs).",
        heimdall: None,
        params: &[
            ROOT_CHAIN,
            path("bttc_block", Kind::U64, "A BTTC block number.", "1"),
        ],
        backend: q("custom/checkpoint/block-proof/{root_chain}/{bttc_block}"),
        not_found: &[],
    },
    // ---- rootchain
    Route {
        path: "/rootchain/params",
        tag: "rootchain",
        summary: "The root-chain registry: the chains, their contracts, the staking chain.",
        heimdall: Some("/chainmanager/params"),
        params: &[],
        backend: q("custom/rootchain/params"),
        not_found: &[],
    },
    Route {
        path: "/rootchain/chains/{root_chain}",
        tag: "rootchain",
        summary: "One root chain's config.",
        heimdall: None,
        params: &[ROOT_CHAIN],
        backend: q("custom/rootchain/chain/{root_chain}"),
        not_found: &[],
    },
    // ---- gov
    Route {
        path: "/gov/proposals",
        tag: "gov",
        summary: "Proposals by id (`{proposals, next}`; `next` is the first id of the next \
                  page).",
        heimdall: Some("/gov/proposals"),
        params: &[
            query(
                "status",
                Kind::OneOf(PROPOSAL_STATUSES),
                "all",
                "Only proposals with this status.",
                "voting_period",
            ),
            query(
                "from",
                Kind::U64,
                "1",
                "The first proposal id to list.",
                "1",
            ),
            query(
                "limit",
                Kind::U64,
                "100",
                "Proposals per page, 1..=100.",
                "100",
            ),
        ],
        backend: q("custom/gov/proposals/{status}/{from}/{limit}"),
        not_found: &[],
    },
    Route {
        path: "/gov/proposals/{id}",
        tag: "gov",
        summary: "A proposal.",
        heimdall: Some("/gov/proposals/{proposal-id}"),
        params: &[PROPOSAL_ID],
        backend: q("custom/gov/proposal/{id}"),
        not_found: &[],
    },
    Route {
        path: "/gov/proposals/{id}/proposer",
        tag: "gov",
        summary: "`{proposal_id, proposer}`.",
        heimdall: Some("/gov/proposals/{proposal-id}/proposer"),
        params: &[PROPOSAL_ID],
        backend: Backend::Fn(proposal_proposer),
        not_found: &[],
    },
    Route {
        path: "/gov/proposals/{id}/votes",
        tag: "gov",
        summary: "`{votes}` of an open proposal by validator id (a finished proposal's votes \
                  are deleted after its tally, kept in `final_tally`).",
        heimdall: Some("/gov/proposals/{proposal-id}/votes"),
        params: &[PROPOSAL_ID],
        backend: q("custom/gov/votes/{id}"),
        not_found: &[],
    },
    Route {
        path: "/gov/proposals/{id}/votes/{voter}",
        tag: "gov",
        summary: "One vote; the voter is a validator id or its signer address.",
        heimdall: Some("/gov/proposals/{proposal-id}/votes/{voter}"),
        params: &[
            PROPOSAL_ID,
            path(
                "voter",
                Kind::Voter,
                "A validator id (decimal) or signer address (`0x`).",
                "1",
            ),
        ],
        backend: q("custom/gov/vote/{id}/{voter}"),
        not_found: &[],
    },
    Route {
        path: "/gov/proposals/{id}/deposits",
        tag: "gov",
        summary: "`{deposits}` of an open proposal by depositor.",
        heimdall: Some("/gov/proposals/{proposal-id}/deposits"),
        params: &[PROPOSAL_ID],
        backend: q("custom/gov/deposits/{id}"),
        not_found: &[],
    },
    Route {
        path: "/gov/proposals/{id}/deposits/{depositor}",
        tag: "gov",
        summary: "One deposit.",
        heimdall: Some("/gov/proposals/{proposal-id}/deposits/{depositor}"),
        params: &[
            PROPOSAL_ID,
            path(
                "depositor",
                Kind::Address,
                "The depositor's `0x` address.",
                EXAMPLE_ADDRESS,
            ),
        ],
        backend: q("custom/gov/deposit/{id}/{depositor}"),
        not_found: GOV_NO_DEPOSIT,
    },
    Route {
        path: "/gov/proposals/{id}/tally",
        tag: "gov",
        summary: "The tally if the proposal were tallied now, over the active set.",
        heimdall: Some("/gov/proposals/{proposal-id}/tally"),
        params: &[PROPOSAL_ID],
        backend: q("custom/gov/tally/{id}"),
        not_found: &[],
    },
    Route {
        path: "/gov/params",
        tag: "gov",
        summary: "All of the gov module's params.",
        heimdall: None,
        params: &[],
        backend: q("custom/gov/params"),
        not_found: &[],
    },
    Route {
        path: "/gov/parameters/{type}",
        tag: "gov",
        summary: "A group of the gov params, as heimdall splits them: deposit (min deposits, \
                  period, burn on expiry), voting (period), tallying (quorum, threshold, veto \
                  threshold, burn on no quorum).",
        heimdall: Some("/gov/parameters/{type}"),
        params: &[path(
            "type",
            Kind::OneOf(GOV_PARAM_GROUPS),
            "deposit, voting or tallying.",
            "voting",
        )],
        backend: Backend::Fn(gov_param_group),
        not_found: &[],
    },
    Route {
        path: "/gov/upgrade/current",
        tag: "gov",
        summary: "`{plan}`: the scheduled software upgrade (`null` when none).",
        heimdall: Some("/upgrade/current (Cosmos SDK)"),
        params: &[],
        backend: q("custom/gov/upgrade"),
        not_found: &[],
    },
    Route {
        path: "/gov/upgrade/applied/{name}",
        tag: "gov",
        summary: "`{name, height}`: the height an upgrade was applied at (`null`: not applied).",
        heimdall: Some("/upgrade/applied/{name} (Cosmos SDK)"),
        params: &[path("name", Kind::Name, "An upgrade plan's name.", "v2")],
        backend: q("custom/gov/upgrade-done/{name}"),
        not_found: &[],
    },
    // ---- bttc
    Route {
        path: "/bttc/head",
        tag: "bttc",
        summary: "Delivery's record of the last finalized BTTC block.",
        heimdall: None,
        params: &[],
        backend: q("custom/bttc/head"),
        not_found: &[],
    },
    Route {
        path: "/bttc/block/{number}",
        tag: "bttc",
        summary: "Delivery's record of a finalized BTTC block.",
        heimdall: None,
        params: &[path("number", Kind::U64, "A BTTC block number.", "1")],
        backend: Backend::Query {
            path: "custom/bttc/block",
            data: Some("number"),
        },
        not_found: &[],
    },
];

// ---------------------------------------------------------------------------------------------
// Handlers

fn status(_: &Args, r: &Reader) -> Result<Value, RestError> {
    let storage = r.storage();
    let root = storage
        .root_at(r.height())
        .map_err(|e| RestError::Internal(format!("app hash at height {}: {e}", r.height())))?;
    let latest = storage.latest().map_or(0, |(h, _)| h);
    Ok(json!({
        "app_hash": hex::encode_upper(root),
        "latest_height": latest.to_string(),
        "earliest_height": storage.earliest().unwrap_or(latest).to_string(),
    }))
}

fn validator_status(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let address = args.required("address")?;
    match r.json(&format!("custom/staking/signer/{address}"), &[]) {
        Ok(v) => Ok(json!({ "result": v.get("in_set").and_then(Value::as_bool).unwrap_or(false) })),
        Err(RestError::NotFound(_)) => Ok(json!({ "result": false })),
        Err(e) => Err(e),
    }
}

fn total_power(_: &Args, r: &Reader) -> Result<Value, RestError> {
    let set = r.json("custom/staking/validator-set", &[])?;
    let power = set.get("total_power").cloned().ok_or_else(|| {
        RestError::Internal("custom/staking/validator-set answered no total_power".into())
    })?;
    Ok(json!({ "result": power }))
}

fn current_proposer(_: &Args, r: &Reader) -> Result<Value, RestError> {
    let answer = r.json("custom/checkpoint/proposer", &[])?;
    match answer.get("proposer") {
        Some(p) if !p.is_null() => Ok(p.clone()),
        _ => Err(RestError::NotFound(
            "no proposer yet: the checkpoint module keeps its proposer set once BTTC blocks \
             are final and a root chain has a RootChain contract"
                .into(),
        )),
    }
}

/// Checks `page` (from 1) and `limit` (1..=max); answers the first index of the page.
fn page_start(args: &Args, max: u64) -> Result<(u64, u64), RestError> {
    let page = args.u64("page")?;
    let limit = args.u64("limit")?;
    if page == 0 {
        return Err(RestError::BadRequest(
            "page 0: expected a page number from 1".into(),
        ));
    }
    if !(1..=max).contains(&limit) {
        return Err(RestError::BadRequest(format!(
            "limit {limit}: expected 1..={max}"
        )));
    }
    let start = page
        .checked_sub(1)
        .and_then(|p| p.checked_mul(limit))
        .ok_or_else(|| {
            RestError::BadRequest(format!("page {page} with limit {limit} is past u64"))
        })?;
    Ok((start, limit))
}

fn span_list(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let (first, limit) = page_start(args, 50)?;
    let latest = r.json("custom/span/latest-span", &[])?;
    let latest_id = latest
        .get("span")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_u64)
        .ok_or_else(|| RestError::Internal("custom/span/latest-span answered no span.id".into()))?;
    let mut spans = Vec::new();
    let mut id = first;
    while id <= latest_id && u64::try_from(spans.len()).unwrap_or(u64::MAX) < limit {
        spans.push(r.json("custom/span/span", id.to_string().as_bytes())?);
        match id.checked_add(1) {
            Some(next) => id = next,
            None => break,
        }
    }
    Ok(Value::Array(spans))
}

fn record_list(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let max = u64::try_from(delivery_clerk::query::MAX_QUERY_RECORDS).unwrap_or(100);
    let (start, limit) = page_start(args, max)?;
    let from = start
        .checked_add(1)
        .ok_or_else(|| RestError::BadRequest("page is past the last record id".into()))?;
    r.json(&format!("custom/clerk/records/{from}/{limit}"), &[])
}

/// The staking root chain's name (404 in a dormant registry).
fn staking_chain(r: &Reader) -> Result<String, RestError> {
    let params = r.json("custom/rootchain/params", &[])?;
    match params.get("staking_chain").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => Ok(name.to_owned()),
        _ => Err(RestError::NotFound(
            "the root-chain registry names no staking chain: use \
             /checkpoints/{root_chain}/... (see /checkpoints/chains)"
                .into(),
        )),
    }
}

/// Checks that `chain` is one the checkpoint module knows (the registry's or one with
/// checkpoint state): a 404 otherwise. The registry is one read, at any height; only a chain
/// outside it needs the list (which reads the latest height only).
fn known_chain(r: &Reader, chain: &str) -> Result<(), RestError> {
    let registry = r.json("custom/rootchain/params", &[])?;
    let registered = registry
        .get("chains")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|c| c.get("name").and_then(Value::as_str) == Some(chain))
        });
    if registered {
        return Ok(());
    }
    let chains = r.json("custom/checkpoint/chains", &[])?;
    let names: Vec<&str> = chains
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| c.get("root_chain").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if names.contains(&chain) {
        Ok(())
    } else {
        Err(RestError::NotFound(format!(
            "unknown root chain {chain:?}: this chain knows {}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )))
    }
}

fn latest_of(r: &Reader, chain: &str) -> Result<Value, RestError> {
    let v = r.json(&format!("custom/checkpoint/latest/{chain}"), &[])?;
    if v.is_null() {
        return Err(RestError::NotFound(format!(
            "no checkpoint on {chain} is acked yet"
        )));
    }
    Ok(v)
}

fn number_of(args: &Args, r: &Reader, chain: &str) -> Result<Value, RestError> {
    let n = args.u64("number")?;
    r.json(&format!("custom/checkpoint/checkpoint/{chain}/{n}"), &[])
}

fn staking_latest(_: &Args, r: &Reader) -> Result<Value, RestError> {
    latest_of(r, &staking_chain(r)?)
}

fn staking_count(_: &Args, r: &Reader) -> Result<Value, RestError> {
    let chain = staking_chain(r)?;
    let count = r.json(&format!("custom/checkpoint/count/{chain}"), &[])?;
    let acks = count.get("ack_count").cloned().ok_or_else(|| {
        RestError::Internal("custom/checkpoint/count answered no ack_count".into())
    })?;
    Ok(json!({ "result": acks }))
}

fn staking_buffer(_: &Args, r: &Reader) -> Result<Value, RestError> {
    let chain = staking_chain(r)?;
    r.json(&format!("custom/checkpoint/buffer/{chain}"), &[])
}

fn staking_number(args: &Args, r: &Reader) -> Result<Value, RestError> {
    number_of(args, r, &staking_chain(r)?)
}

/// The route's `root_chain`, checked to be known.
fn chain_arg<'a>(args: &'a Args, r: &Reader) -> Result<&'a str, RestError> {
    let chain = args.required("root_chain")?;
    known_chain(r, chain)?;
    Ok(chain)
}

fn chain_latest(args: &Args, r: &Reader) -> Result<Value, RestError> {
    latest_of(r, chain_arg(args, r)?)
}

fn chain_count(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let chain = chain_arg(args, r)?;
    r.json(&format!("custom/checkpoint/count/{chain}"), &[])
}

fn chain_buffer(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let chain = chain_arg(args, r)?;
    r.json(&format!("custom/checkpoint/buffer/{chain}"), &[])
}

fn chain_signatures(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let chain = chain_arg(args, r)?;
    r.json(&format!("custom/checkpoint/signatures/{chain}"), &[])
}

fn chain_number(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let chain = chain_arg(args, r)?;
    number_of(args, r, chain)
}

fn proposal_proposer(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let id = args.u64("id")?;
    let proposal = r.json(&format!("custom/gov/proposal/{id}"), &[])?;
    Ok(json!({
        "proposal_id": id.to_string(),
        "proposer": proposal.get("proposer").cloned().unwrap_or(Value::Null),
    }))
}

fn gov_param_group(args: &Args, r: &Reader) -> Result<Value, RestError> {
    let keys: &[&str] = match args.required("type")? {
        "deposit" => &[
            "min_deposit",
            "min_initial_deposit",
            "max_deposit_period",
            "burn_on_deposit_expiry",
        ],
        "voting" => &["voting_period"],
        "tallying" => &["quorum", "threshold", "veto_threshold", "burn_on_no_quorum"],
        other => {
            return Err(RestError::BadRequest(format!(
                "parameter type {other:?}: expected deposit, voting or tallying"
            )))
        }
    };
    let params = r.json("custom/gov/params", &[])?;
    let mut group = serde_json::Map::new();
    for key in keys {
        let value = params
            .get(*key)
            .cloned()
            .ok_or_else(|| RestError::Internal(format!("custom/gov/params answered no {key}")))?;
        group.insert((*key).to_owned(), value);
    }
    Ok(Value::Object(group))
}
