//! API keys and rate limits.
//!
//! A key comes as `Authorization: Bearer KEY` or `X-API-Key: KEY`. Admin keys may do
//! everything; read keys may read, ask for recommendations and chat. Without read keys
//! configured, reading and chatting are open (any key or none is accepted there, as OpenAI
//! clients always send one); writes and admin always need an admin key.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::{AuthConfig, LimitsConfig};
use crate::error::ApiError;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Reading, recommendations, conversations.
    Read,
    /// Writes and administration.
    Admin,
}

/// The keys and the per-client limiter.
pub struct Guard {
    admin_keys: Vec<String>,
    read_keys: Vec<String>,
    limiter: Option<RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>>,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Caller {
    Admin(String),
    Reader(String),
    UnknownKey(String),
    Anonymous,
}

impl Guard {
    pub fn new(auth: &AuthConfig, limits: &LimitsConfig) -> Self {
        let limiter = NonZeroU32::new(limits.rate_per_second).map(|rate| {
            let burst = NonZeroU32::new(limits.rate_burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Guard {
            admin_keys: auth.admin_keys.clone(),
            read_keys: auth.read_keys.clone(),
            limiter,
        }
    }

    fn caller(&self, headers: &HeaderMap) -> Caller {
        let Some(key) = presented_key(headers) else {
            return Caller::Anonymous;
        };
        if self.admin_keys.iter().any(|k| constant_time_eq(k, &key)) {
            Caller::Admin(key)
        } else if self.read_keys.iter().any(|k| constant_time_eq(k, &key)) {
            Caller::Reader(key)
        } else {
            Caller::UnknownKey(key)
        }
    }

    /// Whether `caller` may use a route of `scope`.
    fn authorize(&self, caller: &Caller, scope: Scope) -> Result<(), ApiError> {
        let unauthorized = |message: &str| {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                message,
            ))
        };
        match (scope, caller) {
            (_, Caller::Admin(_)) => Ok(()),
            (Scope::Read, Caller::Reader(_)) => Ok(()),
            (Scope::Read, _) if self.read_keys.is_empty() => Ok(()),
            (Scope::Admin, Caller::Reader(_)) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this key may only read and chat; writes and administration need an admin key",
            )),
            (Scope::Admin, _) if self.admin_keys.is_empty() => unauthorized(
                "writes and administration are turned off: the server has no admin key \
                 (set auth.admin_keys or CHATREC_ADMIN_KEYS)",
            ),
            (_, Caller::UnknownKey(_)) => unauthorized("the API key is not valid"),
            (_, Caller::Anonymous) => unauthorized(
                "an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`",
            ),
        }
    }

    /// Spends one request of the caller's allowance (per key, else per client address).
    fn admit(&self, caller: &Caller, peer: Option<SocketAddr>) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let bucket = match caller {
            Caller::Admin(key) | Caller::Reader(key) => format!("key:{}", fingerprint(key)),
            Caller::UnknownKey(_) | Caller::Anonymous => match peer {
                Some(peer) => format!("ip:{}", peer.ip()),
                None => "ip:unknown".to_owned(),
            },
        };
        limiter.check_key(&bucket).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests for this key; slow down and retry after the time in Retry-After",
            );
            error.retry_after = Some(wait.as_secs().max(1));
            error
        })
    }

    /// Drops limiter state of clients not seen lately (bounded memory).
    pub fn forget_idle_clients(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
        }
    }
}

fn presented_key(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let key = bearer.or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))?;
    let key = key.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// Compares keys without stopping at the first differing byte, so response times do not
/// tell how much of a guessed key was right.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A short stand-in for a key in limiter buckets, so keys are not kept verbatim.
fn fingerprint(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

async fn check(guard: &Guard, scope: Scope, request: Request, next: Next) -> Response {
    let caller = guard.caller(request.headers());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    if let Err(error) = guard
        .authorize(&caller, scope)
        .and_then(|()| guard.admit(&caller, peer))
    {
        return error.into_response();
    }
    next.run(request).await
}

/// Middleware for read-scope routes.
pub async fn require_read(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    check(&guard, Scope::Read, request, next).await
}

/// Middleware for admin-scope routes.
pub async fn require_admin(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    check(&guard, Scope::Admin, request, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(admin: &[&str], read: &[&str]) -> Guard {
        Guard::new(
            &AuthConfig {
                admin_keys: admin.iter().map(|k| k.to_string()).collect(),
                read_keys: read.iter().map(|k| k.to_string()).collect(),
            },
            &LimitsConfig {
                rate_per_second: 1,
                rate_burst: 2,
                ..LimitsConfig::default()
            },
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header"));
        }
        map
    }

    #[test]
    fn keys_are_read_from_either_header() {
        let g = guard(&["admin-key"], &["read-key"]);
        assert_eq!(
            g.caller(&headers(&[("authorization", "Bearer admin-key")])),
            Caller::Admin("admin-key".into())
        );
        assert_eq!(
            g.caller(&headers(&[("x-api-key", "read-key")])),
            Caller::Reader("read-key".into())
        );
        assert_eq!(g.caller(&headers(&[])), Caller::Anonymous);
    }

    #[test]
    fn scopes_decide_who_may_do_what() {
        let g = guard(&["admin-key"], &["read-key"]);
        let admin = Caller::Admin("admin-key".into());
        let reader = Caller::Reader("read-key".into());
        let stranger = Caller::UnknownKey("guess".into());
        assert!(g.authorize(&admin, Scope::Admin).is_ok());
        assert!(g.authorize(&reader, Scope::Read).is_ok());
        assert_eq!(
            g.authorize(&reader, Scope::Admin).map_err(|e| e.status),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            g.authorize(&stranger, Scope::Read).map_err(|e| e.status),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            g.authorize(&Caller::Anonymous, Scope::Read)
                .map_err(|e| e.status),
            Err(StatusCode::UNAUTHORIZED)
        );

        // Without read keys, reading is open; writing never is.
        let open = guard(&["admin-key"], &[]);
        assert!(open.authorize(&Caller::Anonymous, Scope::Read).is_ok());
        assert!(open.authorize(&stranger, Scope::Read).is_ok());
        assert!(open.authorize(&Caller::Anonymous, Scope::Admin).is_err());
        assert!(open.authorize(&stranger, Scope::Admin).is_err());
        let no_admin = guard(&[], &[]);
        assert!(no_admin.authorize(&stranger, Scope::Admin).is_err());
    }

    #[test]
    fn each_key_has_its_own_allowance() {
        let g = guard(&["admin-key"], &["read-key"]);
        let admin = Caller::Admin("admin-key".into());
        let reader = Caller::Reader("read-key".into());
        assert!(g.admit(&admin, None).is_ok());
        assert!(g.admit(&admin, None).is_ok());
        let refused = g.admit(&admin, None).expect_err("burst spent");
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.retry_after.is_some());
        assert!(g.admit(&reader, None).is_ok(), "another key is not limited");
    }
}
