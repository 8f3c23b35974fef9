//! Bearer-token authorisation with tokens scoped to programs and to read or write.

use axum::http::HeaderMap;
use axum::http::StatusCode;

use crate::config::{Access, AuthConfig};
use crate::error::ApiError;

/// Who is calling: the token's scope, or nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No (or no valid) token was presented.
    Anonymous,
    /// A configured token.
    Token {
        /// Programs it may access (`*` = all).
        programs: Vec<String>,
        /// Its access.
        access: Access,
    },
}

impl Caller {
    /// Identifies the caller from the `Authorization` header. A header that is present but
    /// malformed or unknown is refused (401) rather than treated as anonymous.
    pub fn from_headers(headers: &HeaderMap, auth: &AuthConfig) -> Result<Self, ApiError> {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller::Anonymous);
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
        let token = auth
            .tokens
            .iter()
            .find(|t| constant_time_eq(t.token.as_bytes(), presented.as_bytes()))
            .ok_or_else(|| unauthorized("unknown token"))?;
        Ok(Caller::Token {
            programs: token.programs.clone(),
            access: token.access,
        })
    }

    fn covers(&self, program: Option<&str>) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Token { programs, .. } => programs
                .iter()
                .any(|p| p == "*" || Some(p.as_str()) == program),
        }
    }

    /// Whether this caller may read `program` (`None` = every program, e.g. `/metrics`).
    pub fn may_read(&self, program: Option<&str>, auth: &AuthConfig) -> bool {
        !auth.require_token_for_reads || self.covers(program)
    }

    /// Fails unless the caller may read `program`.
    pub fn require_read(&self, program: Option<&str>, auth: &AuthConfig) -> Result<(), ApiError> {
        if self.may_read(program, auth) {
            return Ok(());
        }
        Err(self.refusal(program, "read"))
    }

    /// Fails unless the caller may write `program`.
    pub fn require_write(&self, program: &str) -> Result<(), ApiError> {
        match self {
            Caller::Token {
                access: Access::Write,
                ..
            } if self.covers(Some(program)) => Ok(()),
            _ => Err(self.refusal(Some(program), "write")),
        }
    }

    fn refusal(&self, program: Option<&str>, what: &str) -> ApiError {
        match self {
            Caller::Anonymous => unauthorized("a bearer token is required"),
            Caller::Token { .. } => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this token may not {what} {}",
                    program.map_or("every program".to_owned(), |p| format!("program `{p}`"))
                ),
            ),
        }
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// Compares secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenConfig;

    fn auth() -> AuthConfig {
        AuthConfig {
            require_token_for_reads: true,
            tokens: vec![
                TokenConfig {
                    token: "icu-writer-token".into(),
                    programs: vec!["icu".into()],
                    access: Access::Write,
                },
                TokenConfig {
                    token: "all-reader-token".into(),
                    programs: vec!["*".into()],
                    access: Access::Read,
                },
            ],
        }
    }

    fn caller(token: &str) -> Result<Caller, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        Caller::from_headers(&headers, &auth())
    }

    #[test]
    fn scopes_limit_programs_and_access() {
        let auth = auth();
        let writer = caller("icu-writer-token").unwrap();
        assert!(writer.require_write("icu").is_ok());
        assert_eq!(
            writer.require_write("er").unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert!(writer.require_read(Some("icu"), &auth).is_ok());
        assert!(writer.require_read(Some("er"), &auth).is_err());
        assert!(writer.require_read(None, &auth).is_err());
        let reader = caller("all-reader-token").unwrap();
        assert!(reader.require_read(Some("er"), &auth).is_ok());
        assert!(reader.require_read(None, &auth).is_ok());
        assert!(reader.require_write("er").is_err());
    }

    #[test]
    fn unknown_or_malformed_tokens_are_refused() {
        assert_eq!(
            caller("nope-nope-nope").unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::AUTHORIZATION,
            "Basic abc".parse().unwrap(),
        );
        assert!(Caller::from_headers(&headers, &auth()).is_err());
        let anonymous = Caller::from_headers(&HeaderMap::new(), &auth()).unwrap();
        assert_eq!(
            anonymous
                .require_read(Some("icu"), &auth())
                .unwrap_err()
                .status,
            StatusCode::UNAUTHORIZED
        );
        let open = AuthConfig {
            require_token_for_reads: false,
            ..auth()
        };
        assert!(anonymous.require_read(Some("icu"), &open).is_ok());
        assert!(anonymous.require_write("icu").is_err());
    }
}
