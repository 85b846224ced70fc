//! ABCI socket addresses in CometBFT's `proxy_app` form.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::AbciError;

/// Where an ABCI app listens: `tcp://host:port` or `unix://path`.
///
/// Parsed like CometBFT's `proxy_app` setting (`cmtnet.ProtocolAndAddress`): the part before
/// `://` is the protocol, and an address without `://` is TCP. `unix:///tmp/app.sock` is the
/// absolute path `/tmp/app.sock`; `unix://app.sock` is relative to the working directory.
/// CometBFT's built-in app names (`kvstore`, `noop`, ...) are not addresses and are rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListenAddr {
    /// A TCP address, `host:port` (the host may be a name, an IPv4 address or `[ipv6]`).
    Tcp(String),
    /// A unix domain socket path.
    Unix(PathBuf),
}

impl ListenAddr {
    /// Parses `tcp://host:port`, `host:port` or `unix://path`.
    pub fn parse(addr: &str) -> Result<Self, AbciError> {
        let invalid = |reason: &str| AbciError::InvalidAddress {
            addr: addr.to_owned(),
            reason: reason.to_owned(),
        };
        let (protocol, rest) = match addr.split_once("://") {
            Some((protocol, rest)) => (protocol, rest),
            None => ("tcp", addr),
        };
        match protocol {
            "tcp" => {
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| invalid("expected host:port after tcp://"))?;
                if host.is_empty() {
                    return Err(invalid("the host is empty (use 0.0.0.0 or 127.0.0.1)"));
                }
                if host.contains('/') {
                    return Err(invalid("the host contains '/'"));
                }
                port.parse::<u16>()
                    .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
                Ok(Self::Tcp(rest.to_owned()))
            }
            "unix" => {
                if rest.is_empty() {
                    return Err(invalid("expected a socket path after unix://"));
                }
                Ok(Self::Unix(PathBuf::from(rest)))
            }
            other => Err(invalid(&format!(
                "unsupported protocol {other:?}: expected tcp:// or unix:// (grpc is not served)"
            ))),
        }
    }
}

impl FromStr for ListenAddr {
    type Err = AbciError;

    fn from_str(s: &str) -> Result<Self, AbciError> {
        Self::parse(s)
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(hostport) => write!(f, "tcp://{hostport}"),
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_cometbft_proxy_app_forms() {
        assert_eq!(
            ListenAddr::parse("tcp://127.0.0.1:26658").unwrap(),
            ListenAddr::Tcp("127.0.0.1:26658".into())
        );
        assert_eq!(
            ListenAddr::parse("0.0.0.0:26658").unwrap(),
            ListenAddr::Tcp("0.0.0.0:26658".into())
        );
        assert_eq!(
            ListenAddr::parse("tcp://[::1]:26658").unwrap(),
            ListenAddr::Tcp("[::1]:26658".into())
        );
        assert_eq!(
            ListenAddr::parse("unix:///tmp/app.sock").unwrap(),
            ListenAddr::Unix("/tmp/app.sock".into())
        );
        assert_eq!(
            ListenAddr::parse("unix://app.sock").unwrap(),
            ListenAddr::Unix("app.sock".into())
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["tcp://localhost:1", "unix:///a/b.sock"] {
            assert_eq!(ListenAddr::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "kvstore",
            "tcp://",
            "tcp://:26658",
            "tcp://host:port",
            "tcp://host:70000",
            "unix://",
            "grpc://127.0.0.1:26658",
            "http://x:1",
        ] {
            let err = ListenAddr::parse(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{bad}: {err}");
        }
    }
}
