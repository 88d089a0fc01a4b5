//! HTTP helpers shared by the routes: content hashes for ETags, conditional requests,
//! `Accept-Encoding` and the public base URL.

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// FNV-1a, 64 bits: a content hash that is the same on every machine and build, so that every
/// server behind a load balancer gives the same ETag for the same bytes.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A strong ETag for content with hash `hash`, with an optional suffix naming the
/// representation (`"…-identity"` for a decompressed tile).
pub fn etag(hash: u64, suffix: &str) -> HeaderValue {
    let text = format!("\"{hash:016x}{suffix}\"");
    // Hex digits and an ASCII suffix: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// Whether `If-None-Match` names `etag` (or `*`): the client's copy is current. Weak
/// comparison, as RFC 9110 prescribes for `If-None-Match`.
pub fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let want = strip_weak(etag.as_bytes());
    headers.get_all(header::IF_NONE_MATCH).iter().any(|v| {
        v.as_bytes().split(|&b| b == b',').any(|t| {
            let t = t.trim_ascii();
            t == b"*" || strip_weak(t) == want
        })
    })
}

fn strip_weak(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

/// Whether the client accepts gzip: `Accept-Encoding` names `gzip` (or `*`) with a non-zero
/// quality.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().any(|v| {
        v.as_bytes().split(|&b| b == b',').any(|item| {
            let mut parts = item.split(|&b| b == b';');
            let coding = parts.next().unwrap_or_default().trim_ascii();
            if !(coding.eq_ignore_ascii_case(b"gzip")
                || coding.eq_ignore_ascii_case(b"x-gzip")
                || coding == b"*")
            {
                return false;
            }
            // `q=0` (or 0.0, 0.00…) refuses the coding.
            !parts.any(|p| {
                let p = p.trim_ascii();
                p.len() >= 2
                    && p[..2].eq_ignore_ascii_case(b"q=")
                    && p[2..].iter().all(|&c| c == b'0' || c == b'.')
            })
        })
    })
}

/// A 304 Not Modified carrying the ETag and cache policy of the representation.
pub fn not_modified_response(etag: HeaderValue, cache_control: HeaderValue) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    let h = res.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache_control);
    res
}

/// The base URL (`scheme://host[:port][/prefix]`, no trailing slash) clients reach this server
/// at: the configured public URL; else, with `trust_proxy` only, `X-Forwarded-Proto`,
/// `X-Forwarded-Host` and `X-Forwarded-Prefix`; else `Host` of the request; else `fallback` (the
/// bound address). Host values with characters a host name cannot have, and prefixes with
/// characters a path segment should not have, are ignored, so a request cannot inject text
/// into the URLs the server hands out.
pub fn base_url(
    public: Option<&str>,
    trust_proxy: bool,
    headers: &HeaderMap,
    uri: &Uri,
    fallback: &str,
) -> String {
    if let Some(p) = public {
        return p.trim_end_matches('/').to_string();
    }
    let valid = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
    };
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_string())
    };
    let forwarded = |name: &str| get(name).filter(|_| trust_proxy);
    let host = forwarded("x-forwarded-host")
        .filter(|h| valid(h))
        .or_else(|| get("host").filter(|h| valid(h)))
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| fallback.to_string());
    let scheme = forwarded("x-forwarded-proto")
        .filter(|p| p == "https" || p == "http")
        .unwrap_or_else(|| "http".to_string());
    let prefix = forwarded("x-forwarded-prefix")
        .filter(|p| {
            p.starts_with('/')
                && !p.contains("//")
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b))
        })
        .map(|p| p.trim_end_matches('/').to_string())
        .unwrap_or_default();
    format!("{scheme}://{host}{prefix}")
}

/// The `Vary` of a response whose body holds [`base_url`]: the request headers it was made
/// from (none with a public URL).
pub fn base_url_vary(public: Option<&str>, trust_proxy: bool) -> Option<HeaderValue> {
    match (public, trust_proxy) {
        (Some(_), _) => None,
        (None, false) => Some(HeaderValue::from_static("Host")),
        (None, true) => Some(HeaderValue::from_static(
            "Host, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Prefix",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn gzip_acceptance_follows_quality_values() {
        assert!(accepts_gzip(&headers(&[("accept-encoding", "gzip")])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1.0, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip; q=0.000"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&headers(&[])));
        assert!(accepts_gzip(&headers(&[
            ("accept-encoding", "deflate"),
            ("accept-encoding", "gzip")
        ])));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let tag = etag(0xabc, "");
        assert_eq!(tag, "\"0000000000000abc\"");
        assert!(not_modified(
            &headers(&[("if-none-match", "\"x\", W/\"0000000000000abc\"")]),
            &tag
        ));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), &tag));
        assert!(!not_modified(
            &headers(&[("if-none-match", "\"0000000000000abd\"")]),
            &tag
        ));
        assert!(!not_modified(&headers(&[]), &tag));
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        // FNV-1a 64 test vectors from the FNV specification.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn base_url_prefers_config_then_forwarded_then_host() {
        let uri: Uri = "/tiles.json".parse().unwrap();
        let h = headers(&[("host", "example.org:8080")]);
        assert_eq!(
            base_url(Some("https://cdn.nl/atlas/"), true, &h, &uri, "x"),
            "https://cdn.nl/atlas"
        );
        assert_eq!(
            base_url(None, false, &h, &uri, "x"),
            "http://example.org:8080"
        );
        let f = headers(&[
            ("host", "a"),
            ("x-forwarded-host", "maps.nl"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-prefix", "/mdi/"),
        ]);
        assert_eq!(base_url(None, true, &f, &uri, "x"), "https://maps.nl/mdi");
        assert_eq!(base_url(None, false, &f, &uri, "x"), "http://a");
        let evil = headers(&[("host", "a\"><script>")]);
        assert_eq!(
            base_url(None, false, &evil, &uri, "127.0.0.1:1"),
            "http://127.0.0.1:1"
        );
        let bad_prefix = headers(&[("host", "a"), ("x-forwarded-prefix", "/x\"><b>")]);
        assert_eq!(base_url(None, true, &bad_prefix, &uri, "x"), "http://a");
    }
}
