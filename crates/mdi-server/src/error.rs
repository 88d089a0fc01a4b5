//! Errors: [`ServerError`] when an atlas cannot be loaded or the server cannot start, and
//! [`ApiError`], the JSON error body of every failed request.

use std::path::PathBuf;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use ts_rs::TS;

/// Why an atlas could not be loaded or the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file could not be read.
    #[error("{action} {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted (`cannot read`).
        action: &'static str,
        /// The cause.
        #[source]
        cause: std::io::Error,
    },
    /// A file of the atlas is not what the server expects.
    #[error("{}: {message}", path.display())]
    Atlas {
        /// The file.
        path: PathBuf,
        /// What was expected.
        message: String,
    },
    /// A file of the atlas (`metadata.json`, `scores.csv`, the tile archive) is invalid, or a
    /// newer major version of the format wrote it.
    #[error(transparent)]
    Format(#[from] mdi_format::FormatError),
    /// `areas.fgb` cannot be read.
    #[error(transparent)]
    Geo(#[from] mdi_geo::GeoError),
    /// A reload could not load the new atlas; the previous one stays served.
    #[error(
        "cannot reload {}: loading the new atlas failed: {cause}; the previous atlas stays served",
        atlas.display()
    )]
    Reload {
        /// The atlas path.
        atlas: PathBuf,
        /// What failed, naming the file.
        #[source]
        cause: Box<ServerError>,
    },
    /// The async runtime cannot be started.
    #[error("cannot start the server's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        cause: std::io::Error,
    },
    /// `mdi-atlas publish` could not make a file of the site (the message names it).
    #[error("publish: {0}")]
    Publish(String),
}

/// The body of every error response: `{"error": {"status": 400, "message": "…"}}`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The status and the reason of an error response.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorDetail {
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong and what was expected.
    pub message: String,
}

/// A failed request: a status and a message saying what was expected.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What was wrong and what was expected.
    pub message: String,
}

impl ApiError {
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// 503 Service Unavailable while the atlas loads: answered with `Retry-After: 1`.
    pub fn loading(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
        }
    }

    /// Any status, e.g. 414, 431 or 416.
    pub fn status(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 500 Internal Server Error.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                status: self.status.as_u16(),
                message: self.message,
            },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        res
    }
}
