//! The OpenAPI 3.0 document served at `/openapi.json`, generated from [`ROUTES`].

use serde_json::{json, Map, Value};

use super::routes::{In, Kind, Param, Route, ROUTES};

/// The schema of a parameter kind.
fn schema(kind: Kind) -> Value {
    match kind {
        Kind::U64 => json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX }),
        Kind::Address => json!({ "type": "string", "pattern": "^0[xX][0-9a-fA-F]{40}$" }),
        Kind::RootChain => json!({ "type": "string", "pattern": "^[a-z0-9]{1,16}$" }),
        Kind::Voter => json!({
            "type": "string",
            "pattern": "^([0-9]{1,20}|0[xX][0-9a-fA-F]{40})$"
        }),
        Kind::Name => json!({ "type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$" }),
        Kind::OneOf(words) => json!({ "type": "string", "enum": words }),
    }
}

fn parameter(p: &Param) -> Value {
    let mut v = json!({
        "name": p.name,
        "in": match p.location { In::Path => "path", In::Query => "query" },
        "required": p.location == In::Path,
        "description": p.description,
        "schema": schema(p.kind),
        "example": p.example,
    });
    if let (Some(default), Some(schema)) = (p.default, v.get_mut("schema")) {
        if let Some(map) = schema.as_object_mut() {
            map.insert("default".into(), Value::String(default.to_owned()));
        }
    }
    v
}

fn height_parameter() -> Value {
    json!({
        "name": "height",
        "in": "query",
        "required": false,
        "description": "Read the state committed at this height (default, or 0: the latest). \
                        400 above the latest height, 404 below the oldest height the node \
                        keeps; list routes read the latest height only (400).",
        "schema": schema(Kind::U64),
        "example": "1",
    })
}

/// A unique operation id: `get` and the path's words (`/bor/span/{id}` → `get_bor_span_id`).
pub fn operation_id(path: &str) -> String {
    let mut id = String::from("get");
    for word in path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        id.push('_');
        id.push_str(word);
    }
    id
}

fn operation(route: &Route) -> Value {
    let mut parameters: Vec<Value> = route.params.iter().map(parameter).collect();
    let responses = if route.enveloped() {
        parameters.push(height_parameter());
        let error = |what: &str| {
            json!({
                "description": what,
                "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Error" } } }
            })
        };
        json!({
            "200": {
                "description": "`result` is the answer; `height` the height it was read at.",
                "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Envelope" } } }
            },
            "400": error("A malformed path segment or query parameter (the message says what \
                          was expected), or ?height above the latest height."),
            "404": error("No such thing, or the height is pruned."),
            "500": error("The store or the app failed."),
            "503": error("No block committed yet."),
        })
    } else {
        json!({
            "200": {
                "description": "The OpenAPI document.",
                "content": { "application/json": { "schema": { "type": "object" } } }
            }
        })
    };
    let description = match route.heimdall {
        Some(h) => format!("{}\n\nheimdall v1: `{h}`.", route.summary),
        None => format!("{}\n\nNo heimdall v1 counterpart.", route.summary),
    };
    json!({
        "get": {
            "operationId": operation_id(route.path),
            "tags": [route.tag],
            "summary": route.summary,
            "description": description,
            "parameters": parameters,
            "responses": responses,
        }
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        paths.insert(route.path.to_owned(), operation(route));
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Delivery REST API (deliveryd)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only JSON over the node's committed state, answered in process \
                            by the same query handler as ABCI Query. Paths follow heimdall v1's \
                            REST API where it has one; answers are wrapped as \
                            {\"height\": \"<n>\", \"result\": <json>}; errors are \
                            {\"error\": \"...\"}. See docs/rest.md.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Envelope": {
                    "type": "object",
                    "required": ["height", "result"],
                    "properties": {
                        "height": {
                            "type": "string",
                            "description": "The height the answer was read at (decimal)."
                        },
                        "result": { "description": "The answer (the app query's JSON)." }
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "string" } }
                }
            }
        }
    })
}
