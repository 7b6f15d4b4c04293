//! [`Listener`]: one `NAME://host:port` endpoint of `listeners` / `advertised.listeners`.
//!
//! Syntax, as Kafka reads it: a comma-separated list (blanks around commas and empty
//! entries ignored) of `NAME://HOST:PORT`, where NAME is a listener name (upper-cased, as
//! Kafka normalises them), HOST is empty (all interfaces), a host name, an IPv4 literal or an
//! IPv6 literal in brackets, and PORT is 0–65535 (0: any free port).

use std::net::IpAddr;

/// One endpoint the broker listens on or advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The listener name, upper-cased (e.g. `PLAINTEXT`); its security protocol comes from
    /// `listener.security.protocol.map`.
    pub name: String,
    /// Host name or IP literal, IPv6 without its brackets; `None` binds all interfaces.
    pub host: Option<String>,
    /// The port; 0 asks the OS for a free one.
    pub port: u16,
}

impl Listener {
    /// Parses a `listeners`-style list; the error says what is wrong (the caller adds the
    /// key and value). Listener names must be distinct.
    pub fn parse_list(value: &str) -> Result<Vec<Listener>, String> {
        let mut listeners: Vec<Listener> = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let listener = Listener::parse_one(entry)?;
            if listeners.iter().any(|seen| seen.name == listener.name) {
                return Err(format!(
                    "Each listener must have a different name; {} appears more than once",
                    listener.name
                ));
            }
            listeners.push(listener);
        }
        Ok(listeners)
    }

    /// Parses one `NAME://HOST:PORT` entry.
    fn parse_one(entry: &str) -> Result<Listener, String> {
        let unparsable = || format!("Unable to parse {entry} to a broker endpoint");
        let (name, address) = entry.split_once("://").ok_or_else(unparsable)?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(unparsable());
        }
        let (host, port) = match address.strip_prefix('[') {
            Some(bracketed) => {
                let (host, rest) = bracketed.split_once(']').ok_or_else(unparsable)?;
                let port = rest.strip_prefix(':').ok_or_else(unparsable)?;
                // Brackets are for IPv6 literals only, with an optional `%zone` suffix.
                let address = host
                    .split_once('%')
                    .map_or(host, |(address, _zone)| address);
                if !matches!(address.parse::<IpAddr>(), Ok(IpAddr::V6(_))) {
                    return Err(unparsable());
                }
                (host, port)
            }
            None => {
                let (host, port) = address.rsplit_once(':').ok_or_else(unparsable)?;
                // An IPv6 literal needs brackets, or its last group would read as the port.
                let host_chars_ok = host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '%'));
                if !host_chars_ok {
                    return Err(unparsable());
                }
                (host, port)
            }
        };
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("{}: port {port} is not 0-65535", unparsable()))?;
        Ok(Listener {
            name: name.to_ascii_uppercase(),
            host: (!host.is_empty()).then(|| host.to_owned()),
            port,
        })
    }

    /// The host as an IP address, when it is a literal.
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        self.host.as_deref().and_then(|host| host.parse().ok())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn listener(name: &str, host: Option<&str>, port: u16) -> Listener {
        Listener {
            name: name.to_owned(),
            host: host.map(str::to_owned),
            port,
        }
    }

    #[test]
    fn parses_names_hosts_and_ports() {
        assert_eq!(
            Listener::parse_list("PLAINTEXT://:9092, SSL://broker-1.example.com:9093").unwrap(),
            vec![
                listener("PLAINTEXT", None, 9092),
                listener("SSL", Some("broker-1.example.com"), 9093),
            ]
        );
        assert_eq!(
            Listener::parse_list("INTERNAL://0.0.0.0:0").unwrap(),
            vec![listener("INTERNAL", Some("0.0.0.0"), 0)]
        );
    }

    #[test]
    fn ipv6_literals_are_bracketed_and_stored_without_brackets() {
        let parsed = Listener::parse_list("PLAINTEXT://[::1]:9092,SSL://[fe80::1%eth0]:9093");
        assert_eq!(
            parsed.unwrap(),
            vec![
                listener("PLAINTEXT", Some("::1"), 9092),
                listener("SSL", Some("fe80::1%eth0"), 9093),
            ]
        );
        assert_eq!(
            Listener::parse_list("PLAINTEXT://[::]:9092").unwrap()[0].ip(),
            Some("::".parse().unwrap())
        );
        assert!(Listener::parse_list("PLAINTEXT://::1:9092").is_err());
        assert!(Listener::parse_list("PLAINTEXT://[localhost]:9092").is_err());
        assert!(Listener::parse_list("PLAINTEXT://[::1]9092").is_err());
    }

    #[test]
    fn names_are_upper_cased_and_empty_entries_skipped() {
        assert_eq!(
            Listener::parse_list(" plaintext://:9092 ,, ").unwrap(),
            vec![listener("PLAINTEXT", None, 9092)]
        );
        assert_eq!(Listener::parse_list("").unwrap(), vec![]);
    }

    #[test]
    fn malformed_entries_are_rejected_with_kafkas_words() {
        for bad in [
            "localhost:9092",
            "PLAINTEXT://localhost",
            "://:9092",
            "PLAIN TEXT://:9092",
            "PLAINTEXT://host name:9092",
        ] {
            let error = Listener::parse_list(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("Unable to parse {bad} to a broker endpoint")),
                "{bad}: {error}"
            );
        }
        let error = Listener::parse_list("PLAINTEXT://:70000").unwrap_err();
        assert!(error.contains("port 70000 is not 0-65535"), "{error}");
        assert!(Listener::parse_list("PLAINTEXT://:-1").is_err());
    }

    #[test]
    fn duplicate_names_are_rejected_whatever_their_case() {
        let error = Listener::parse_list("PLAINTEXT://:9092,plaintext://:9093").unwrap_err();
        assert_eq!(
            error,
            "Each listener must have a different name; PLAINTEXT appears more than once"
        );
    }
}
