//! Which API base URLs the client accepts.
//!
//! HTTPS anywhere; plain HTTP only on loopback (127.0.0.0/8, ::1, `localhost`), which is where
//! the mock server and demos live. The API key travels in every request, so it must never go
//! over an unencrypted network link.

use reqwest::Url;

use crate::error::Error;

/// BlazeMeter's public API host.
pub const DEFAULT_BASE_URL: &str = "https://a.blazemeter.com";

/// Parses and checks a base URL; the result has no query and ends without a `/`.
pub fn parse_base_url(text: &str) -> Result<Url, Error> {
    let invalid = |reason: &str| Error::InvalidBaseUrl {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                "plain http:// is only allowed for loopback addresses (127.0.0.1, ::1, \
                 localhost); use https:// so the API key is not sent in clear text",
            ))
        }
        _ => {
            return Err(invalid(
                "the scheme must be https:// (or http:// on loopback)",
            ))
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL has no ?query or #fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "do not put credentials in the URL; use the API key settings",
        ));
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere() {
        let url = parse_base_url("https://a.blazemeter.com/").unwrap();
        assert_eq!(url.as_str(), "https://a.blazemeter.com/");
        assert!(parse_base_url("https://10.1.2.3:8443").is_ok());
    }

    #[test]
    fn http_on_loopback_only() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.5.6.7",
            "http://[::1]:9000/",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://a.blazemeter.com",
            "http://10.0.0.1",
            "http://192.168.1.5:8080",
            "http://128.0.0.1",
            "http://[::2]",
            "http://localhost.evil.com",
        ] {
            let err = parse_base_url(bad).unwrap_err().to_string();
            assert!(err.contains("only allowed for loopback"), "{bad}: {err}");
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_rejected() {
        assert!(parse_base_url("ftp://127.0.0.1").is_err());
        assert!(parse_base_url("a.blazemeter.com").is_err());
        assert!(parse_base_url("https://a.blazemeter.com/?x=1").is_err());
        assert!(parse_base_url("https://id:secret@a.blazemeter.com").is_err());
    }

    #[test]
    fn path_prefix_is_kept_without_trailing_slash() {
        let url = parse_base_url("http://127.0.0.1:80/bzm/").unwrap();
        assert_eq!(url.path(), "/bzm");
    }
}
