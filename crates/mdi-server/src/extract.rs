//! [`ApiQuery`]: typed query strings whose rejections are [`ApiError`]s, and the small typed
//! parameter values the routes share.

use std::fmt::Display;
use std::str::FromStr;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};

use crate::error::ApiError;

/// A query string's parameters, as a route takes them.
pub trait QueryParams: DeserializeOwned {
    /// The parameters and what each expects, for error messages: "/api/point takes
    /// {EXPECTED}".
    const EXPECTED: &'static str;
}

/// The query string deserialised into `T`; a query that does not fit is a 400 whose message
/// names the parameter, what was wrong and what the route takes (`lon: `500`: expected a number
/// of degrees between -180 and 180 (WGS84); /api/point takes …`), in the JSON error body of
/// every API error.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: QueryParams, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match Query::<T>::try_from_uri(&parts.uri) {
            Ok(Query(params)) => Ok(ApiQuery(params)),
            Err(rejection) => {
                let text = rejection.body_text();
                // axum's text is "Failed to deserialize query string: <parameter>: <reason>".
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                Err(ApiError::bad_request(format!(
                    "{detail}; {} takes {}",
                    parts.uri.path(),
                    T::EXPECTED
                )))
            }
        }
    }
}

/// Deserialises an optional parameter with [`FromStr`], taking an empty (or blank) value as
/// absent: `year=` is the default year.
///
/// # Errors
/// The value does not parse: the message says what was expected.
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|e| D::Error::custom(format!("`{value}`: {e}"))),
    }
}

/// A year given as a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Year(pub i32);

impl FromStr for Year {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Year, &'static str> {
        s.parse().map(Year).map_err(|_| "expected a year")
    }
}

/// The number of search results asked for: a whole number from 1 to [`Limit::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub usize);

impl Limit {
    /// The most results one search returns.
    pub const MAX: usize = 50;
}

impl Default for Limit {
    fn default() -> Limit {
        Limit(10)
    }
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Limit, String> {
        s.parse::<usize>()
            .ok()
            .filter(|n| (1..=Limit::MAX).contains(n))
            .map(Limit)
            .ok_or_else(|| format!("expected a whole number from 1 to {}", Limit::MAX))
    }
}

/// A WGS84 (EPSG:4326) longitude in degrees, from -180 to 180.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Longitude(pub f64);

/// A WGS84 (EPSG:4326) latitude in degrees, from -90 to 90.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latitude(pub f64);

/// Parses a coordinate in degrees within ±`range`.
fn degrees(s: &str, range: f64) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && x.abs() <= range)
        .ok_or_else(|| format!("expected a number of degrees between -{range} and {range} (WGS84)"))
}

impl FromStr for Longitude {
    type Err = String;

    fn from_str(s: &str) -> Result<Longitude, String> {
        degrees(s, 180.0).map(Longitude)
    }
}

impl FromStr for Latitude {
    type Err = String;

    fn from_str(s: &str) -> Result<Latitude, String> {
        degrees(s, 90.0).map(Latitude)
    }
}

/// Deserialises a required parameter with [`FromStr`] (an empty value is invalid).
///
/// # Errors
/// The value does not parse: the message says what was expected.
pub fn required<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(deserializer)?;
    let value = text.trim();
    value
        .parse()
        .map_err(|e| D::Error::custom(format!("`{value}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Params {
        #[serde(deserialize_with = "required")]
        lon: Longitude,
        #[serde(default, deserialize_with = "optional")]
        year: Option<Year>,
        #[serde(default, deserialize_with = "optional")]
        limit: Option<Limit>,
    }

    impl QueryParams for Params {
        const EXPECTED: &'static str = "`lon`, `year` and `limit`";
    }

    async fn extract(uri: &str) -> Result<Params, ApiError> {
        let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
        ApiQuery::<Params>::from_request_parts(&mut parts, &())
            .await
            .map(|ApiQuery(p)| p)
    }

    #[tokio::test]
    async fn parameters_parse_to_their_types() {
        let p = extract("/x?lon=%205.5&year=2024&limit=3").await.unwrap();
        assert_eq!(p.lon, Longitude(5.5));
        assert_eq!(p.year, Some(Year(2024)));
        assert_eq!(p.limit, Some(Limit(3)));
        let p = extract("/x?lon=-180&year=&limit=").await.unwrap();
        assert_eq!((p.lon, p.year, p.limit), (Longitude(-180.0), None, None));
    }

    #[tokio::test]
    async fn rejections_name_the_parameter_and_what_was_expected() {
        for (uri, parts) in [
            (
                "/x",
                &[
                    "missing field `lon`",
                    "; /x takes `lon`, `year` and `limit`",
                ][..],
            ),
            (
                "/x?lon=181",
                &["lon: `181`: expected a number of degrees between -180 and 180"],
            ),
            ("/x?lon=east", &["lon: `east`: expected a number"]),
            ("/x?lon=NaN", &["lon: `NaN`"]),
            ("/x?lon=1&year=MMXX", &["year: `MMXX`: expected a year"]),
            (
                "/x?lon=1&limit=51",
                &["limit: `51`: expected a whole number from 1 to 50"],
            ),
            ("/x?lon=1&limit=0", &["limit: `0`"]),
        ] {
            let e = extract(uri).await.unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{uri}");
            for part in parts {
                assert!(e.message.contains(part), "{uri}: {}", e.message);
            }
        }
    }
}
