//! Query-string parameters of `/api/search` and `/api/export`: decoding, and turning
//! them into a search request, refusing what is too large or unknown with a 400 that
//! says which parameter and why.

use crate::api::{Refusal, client_error};
use axum::http::StatusCode;
use voc_index::{MAX_QUERY_CHARS, SearchRequest, Sort};

/// Largest page of hits.
pub const MAX_PAGE_SIZE: usize = 200;
/// Deepest offset a page may start at; deeper paging is what exports are for.
pub const MAX_OFFSET: usize = 10_000;

/// Filter parameters of `/api/search` and `/api/export`, each a field of the query
/// language; `from` and `to` are the two ends of a date range.
const FILTER_PARAMS: &[&str] = &[
    "channel",
    "region",
    "business",
    "category",
    "sentiment",
    "risk",
    "week",
    "last",
    "date",
    "topic",
];
const OTHER_PARAMS: &[&str] = &[
    "q", "offset", "page", "size", "sort", "facets", "from", "to", "format",
];

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn number(
    params: &[(String, String)],
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Refusal> {
    let Some(text) = param(params, name) else {
        return Ok(default);
    };
    let value: usize = text.trim().parse().map_err(|_| {
        Refusal::new(client_error(
            StatusCode::BAD_REQUEST,
            format!("parameter '{name}' must be a whole number, found '{text}'"),
        ))
    })?;
    if value > max {
        return Err(Refusal::new(client_error(
            StatusCode::BAD_REQUEST,
            format!("parameter '{name}' is {value}; at most {max} is allowed"),
        )));
    }
    Ok(value)
}

/// Turns query-string parameters into a search request, refusing what is too large
/// or unknown with a message that says which parameter and why.
pub(crate) fn build_request(
    params: &[(String, String)],
    paged: bool,
) -> Result<SearchRequest, Refusal> {
    for (key, _) in params {
        if !FILTER_PARAMS.contains(&key.as_str()) && !OTHER_PARAMS.contains(&key.as_str()) {
            let mut known: Vec<&str> = OTHER_PARAMS.to_vec();
            known.extend(FILTER_PARAMS);
            return Err(Refusal::new(client_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "unknown parameter '{key}'; known parameters: {}",
                    known.join(", ")
                ),
            )));
        }
    }
    let query = param(params, "q").unwrap_or("");
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(Refusal::new(client_error(
            StatusCode::BAD_REQUEST,
            format!("the query is {chars} characters long; at most {MAX_QUERY_CHARS} are allowed"),
        )));
    }
    let mut request = SearchRequest::new(query);
    if paged {
        request.limit = number(params, "size", 20, MAX_PAGE_SIZE)?;
        request.offset = match param(params, "page") {
            Some(_) => number(params, "page", 1, MAX_OFFSET)?.saturating_sub(1) * request.limit,
            None => number(params, "offset", 0, MAX_OFFSET)?,
        };
        if request.offset > MAX_OFFSET {
            return Err(Refusal::new(client_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "pages deeper than {MAX_OFFSET} hits are not served; narrow the query or export"
                ),
            )));
        }
        request.facets = !matches!(param(params, "facets"), Some("0" | "false" | "no"));
    }
    if let Some(sort) = param(params, "sort") {
        request.sort = sort
            .parse::<Sort>()
            .map_err(|e| Refusal::new(client_error(StatusCode::BAD_REQUEST, e)))?;
    }
    for (key, value) in params {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if FILTER_PARAMS.contains(&key.as_str()) {
            request.filters.push((key.clone(), value.to_string()));
        }
    }
    let from = param(params, "from")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let to = param(params, "to").map(str::trim).filter(|s| !s.is_empty());
    if from.is_some() || to.is_some() {
        let bound = |s: Option<&str>| s.unwrap_or("*").replace([' ', ']', '['], "");
        request
            .filters
            .push(("date".into(), format!("[{} TO {}]", bound(from), bound(to))));
    }
    Ok(request)
}

/// Decodes `a=1&b=%E5%B9%BF` (with `+` as space); invalid UTF-8 is a 400.
pub(crate) fn parse_params(query: &str) -> Result<Vec<(String, String)>, Refusal> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((percent_decode(key)?, percent_decode(value)?));
    }
    Ok(out)
}

fn percent_decode(text: &str) -> Result<String, Refusal> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        Refusal::new(client_error(
            StatusCode::BAD_REQUEST,
            "the request's parameters are not valid UTF-8",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        let decoded = |s: &str| percent_decode(s).ok().unwrap_or_default();
        assert_eq!(decoded("%E5%B9%BF%E4%B8%9C"), "广东");
        assert_eq!(decoded("a+b%20c"), "a b c");
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("%zz%4"), "%zz%4");
        assert!(percent_decode("%FF").is_err());
    }
}
