//! Which addresses a webhook may be sent to. Only `https://` URLs, without a user or password,
//! and never to an address inside a network — loopback, private (RFC 1918, IPv6 unique
//! local), link-local (where cloud metadata services answer, 169.254.169.254), carrier-grade
//! NAT, unspecified, multicast, broadcast, documentation ranges, and IPv4 written inside IPv6
//! — checked on every address the name resolves to at the moment of sending, so a name that
//! later points inside is refused then. A named setting allows `http://` and inside addresses
//! for local receivers in development and tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an address may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the address is not a URL")]
    NotAUrl,
    #[error("webhooks are sent over https:// only")]
    NotHttps,
    #[error("a webhook URL may not carry a user name or password")]
    Credentials,
    #[error("the address has no host")]
    NoHost,
    #[error("the address is inside a private network ({0}), which webhooks may not reach")]
    Inside(IpAddr),
    #[error("the host name does not resolve")]
    Unresolved,
}

/// Whether an IP address is inside a network rather than on the public internet.
pub fn inside(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => inside_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => inside_v4(v4),
            None => inside_v6(v6),
        },
    }
}

fn inside_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn inside_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 of any IPv4
}

/// A URL a webhook may be registered for: `https://`, no credentials, a host; with
/// `allow_private`, `http://` too. An IP literal is checked at once; a name when it is called.
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, TargetError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| TargetError::NotAUrl)?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(TargetError::NotHttps),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let ip = match parsed.host().ok_or(TargetError::NoHost)? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    };
    if let Some(ip) = ip.filter(|ip| !allow_private && inside(*ip)) {
        return Err(TargetError::Inside(ip));
    }
    Ok(parsed)
}

/// The addresses `url` may be called at now: every address its host resolves to, each outside
/// every network (unless `allow_private`); one inside refuses the whole name, since the client
/// could pick it.
pub async fn resolve(url: &reqwest::Url, allow_private: bool) -> Result<Vec<SocketAddr>, TargetError> {
    let host = url.host_str().ok_or(TargetError::NoHost)?;
    let port = url.port_or_known_default().ok_or(TargetError::NoHost)?;
    resolve_host(host.trim_start_matches('[').trim_end_matches(']'), port, allow_private).await
}

/// The addresses `host` may be called at now (as [`resolve`]).
pub async fn resolve_host(host: &str, port: u16, allow_private: bool) -> Result<Vec<SocketAddr>, TargetError> {
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|_| TargetError::Unresolved)?.collect();
    if addrs.is_empty() {
        return Err(TargetError::Unresolved);
    }
    if let Some(a) = addrs.iter().find(|a| !allow_private && inside(a.ip())) {
        return Err(TargetError::Inside(a.ip()));
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_networks_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
        ] {
            assert!(inside(ip.parse().expect("an address")), "{ip}");
        }
        for ip in ["8.8.8.8", "203.0.114.1", "2606:4700::1111", "::ffff:1.1.1.1", "100.128.0.1"] {
            assert!(!inside(ip.parse().expect("an address")), "{ip}");
        }
    }

    #[test]
    fn only_https_urls_outside_networks_are_taken_unless_allowed() {
        assert!(check_url("https://hooks.example.com/redress", false).is_ok());
        assert_eq!(check_url("http://hooks.example.com/", false), Err(TargetError::NotHttps));
        assert_eq!(check_url("ftp://hooks.example.com/", true), Err(TargetError::NotHttps));
        assert_eq!(check_url("not a url", false), Err(TargetError::NotAUrl));
        assert_eq!(check_url("https://u:p@hooks.example.com/", false), Err(TargetError::Credentials));
        for inner in [
            "https://127.0.0.1/",
            "https://10.0.0.5:8443/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
        ] {
            assert!(matches!(check_url(inner, false), Err(TargetError::Inside(_))), "{inner}");
            assert!(check_url(inner, true).is_ok(), "{inner} allowed by the setting");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused_when_called() {
        let url = check_url("https://localhost:8443/hook", false).expect("a name is checked when called");
        assert!(matches!(resolve(&url, false).await, Err(TargetError::Inside(_))));
        assert!(resolve(&url, true).await.is_ok_and(|a| !a.is_empty()));
    }
}
