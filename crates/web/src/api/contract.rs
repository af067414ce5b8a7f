//! What every operation can answer besides its own outcomes, added to the OpenAPI document
//! from what the operation takes: each answer below is one its extractors or the store give
//! (`extract.rs`, `error.rs`), so the document lists every status a client can receive.
//!
//! - signed in (any security requirement): 401 without a valid token; 403 when the operation
//!   is for buyers only or for staff only and another kind of account calls it;
//! - a path parameter: 404 for a value that names nothing (malformed ones included, so
//!   numbers cannot be probed by their shape);
//! - query parameters: 422 for a value that does not parse or is out of range;
//! - a body: 400 when it cannot be read as its content type (not JSON, a broken multipart
//!   form), 413 when it is too large, 415 with another content type, 422 when a field is
//!   missing, unknown or invalid;
//! - everything that reads the database: 503 when it is saturated or down (`busy`,
//!   `not-ready`).

use serde_json::{Value, json};

/// The standard answers, each with why.
const WHY: &[(&str, &str)] = &[
    ("400", "The body cannot be read as its content type says (not well-formed JSON, a broken multipart form)."),
    ("401", "No valid session or token."),
    ("403", "The account is not allowed this operation."),
    ("404", "Nothing of that name that this caller may see."),
    ("413", "The body is too large."),
    ("415", "The body's content type is not accepted."),
    ("422", "A parameter or field is missing or invalid; every problem is listed in `fields`."),
    ("503", "The database is saturated or unavailable; try again shortly."),
];

/// Operations that read nothing from the database.
const NO_DATABASE: &[&str] = &["/healthz", "/api/openapi.json"];

/// Adds the standard answers to every operation of `doc` (an OpenAPI document as JSON).
pub fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let codes = standard_codes(path, op);
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for code in codes {
                responses.entry(code.to_owned()).or_insert_with(|| error_response(code));
            }
        }
    }
}

fn standard_codes(path: &str, op: &Value) -> Vec<&'static str> {
    let mut codes = vec![];
    let schemes: Vec<String> = op["security"]
        .as_array()
        .map(|alts| alts.iter().filter_map(Value::as_object).flat_map(|o| o.keys().cloned()).collect())
        .unwrap_or_default();
    if !schemes.is_empty() {
        codes.push("401");
        let both_kinds = schemes.iter().any(|s| s == "buyer_session") && schemes.iter().any(|s| s == "staff_session");
        if schemes.iter().any(|s| s.ends_with("_session")) && !both_kinds {
            codes.push("403");
        }
    }
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    if params.iter().any(|p| p["in"] == "path") {
        codes.push("404");
    }
    if params.iter().any(|p| p["in"] == "query") {
        codes.push("422");
    }
    if op["requestBody"]["content"].is_object() {
        codes.extend(["400", "413", "415", "422"]);
    }
    if !NO_DATABASE.contains(&path) {
        codes.push("503");
    }
    codes
}

fn error_response(code: &str) -> Value {
    let why = WHY.iter().find(|(c, _)| *c == code).map_or("Error.", |(_, w)| w);
    json!({
        "description": why,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_gets_what_its_inputs_can_refuse() {
        let mut doc = json!({"paths": {
            "/a/{no}": {"post": {
                "security": [{"buyer_session": []}],
                "parameters": [{"in": "path", "name": "no"}],
                "requestBody": {"content": {"application/json": {}}},
                "responses": {"200": {"description": "ok"}, "404": {"description": "own"}}
            }},
            "/b": {"get": {
                "security": [{"buyer_session": []}, {"staff_session": []}],
                "parameters": [{"in": "query", "name": "limit"}],
                "responses": {"200": {"description": "ok"}}
            }},
            "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}}
        }});
        complete(&mut doc);
        let keys = |p: &str, m: &str| {
            doc["paths"][p][m]["responses"].as_object().map(|r| r.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(
            keys("/a/{no}", "post").expect("a"),
            ["200", "400", "401", "403", "404", "413", "415", "422", "503"]
        );
        assert_eq!(doc["paths"]["/a/{no}"]["post"]["responses"]["404"]["description"], "own", "its own answer is kept");
        assert_eq!(keys("/b", "get").expect("b"), ["200", "401", "422", "503"]);
        assert_eq!(keys("/healthz", "get").expect("h"), ["200"]);
    }
}
