//! Broker endpoints as written in `/brokers/ids/<id>`: `LISTENER://host:port`, an IPv6 host in
//! brackets (`SSL://[::1]:9093`), an empty host for "all interfaces" (`PLAINTEXT://:9092`).
//! The listener name maps to a security protocol through `listener_security_protocol_map`, or,
//! when absent, is itself the protocol's name.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::error::{EndpointProblem, LayoutError};

/// The security protocols Kafka listeners speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    pub const ALL: [SecurityProtocol; 4] = [
        SecurityProtocol::Plaintext,
        SecurityProtocol::Ssl,
        SecurityProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl,
    ];

    /// The protocol's name as Kafka writes it.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Looks a protocol up by name, ignoring case as Kafka's `SecurityProtocol.forName` does.
    pub fn from_name(name: &str) -> Option<SecurityProtocol> {
        SecurityProtocol::ALL
            .into_iter()
            .find(|protocol| protocol.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One advertised listener of a broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndPoint {
    /// Upper-case listener name (`PLAINTEXT`, `CLIENT`, `REPLICATION`, …).
    pub listener_name: String,
    /// Host name or address without brackets; empty means every interface.
    pub host: String,
    pub port: u16,
    pub security_protocol: SecurityProtocol,
}

impl EndPoint {
    pub fn new(
        listener_name: &str,
        host: &str,
        port: u16,
        security_protocol: SecurityProtocol,
    ) -> EndPoint {
        EndPoint {
            listener_name: listener_name.to_ascii_uppercase(),
            host: host.to_string(),
            port,
            security_protocol,
        }
    }

    /// `LISTENER://host:port`, brackets around a host that contains `:`.
    pub fn connection_string(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.listener_name, self.host, self.port)
        } else {
            format!("{}://{}:{}", self.listener_name, self.host, self.port)
        }
    }

    /// Parses `LISTENER://host:port`, taking the security protocol from `protocols` (listener
    /// name → protocol) or, when `protocols` is `None`, from the listener name itself.
    pub fn parse(
        text: &str,
        protocols: Option<&BTreeMap<String, SecurityProtocol>>,
    ) -> Result<EndPoint, LayoutError> {
        let fail = |problem| LayoutError::Endpoint {
            endpoint: text.to_string(),
            problem,
        };
        let (listener, address) = text
            .split_once("://")
            .ok_or(fail(EndpointProblem::MissingScheme))?;
        if listener.is_empty() {
            return Err(fail(EndpointProblem::EmptyListenerName));
        }
        let listener_name = listener.to_ascii_uppercase();
        let (host, port_text) = if let Some(bracketed) = address.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or(fail(EndpointProblem::UnclosedBracket))?;
            let port_text = after
                .strip_prefix(':')
                .ok_or(fail(EndpointProblem::MissingPort))?;
            (host, port_text)
        } else {
            address
                .rsplit_once(':')
                .ok_or(fail(EndpointProblem::MissingPort))?
        };
        if let Some(character) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '%' | '.' | '_' | ':')))
        {
            return Err(fail(EndpointProblem::BadHostCharacter { character }));
        }
        let port = port_text
            .parse::<u16>()
            .ok()
            .filter(|_| port_text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                fail(EndpointProblem::BadPort {
                    text: port_text.to_string(),
                })
            })?;
        let security_protocol = match protocols {
            Some(map) => map.get(&listener_name).copied().ok_or_else(|| {
                fail(EndpointProblem::ListenerNotMapped {
                    listener: listener_name.clone(),
                })
            })?,
            None => SecurityProtocol::from_name(&listener_name).ok_or_else(|| {
                fail(EndpointProblem::UnknownSecurityProtocol {
                    name: listener_name.clone(),
                })
            })?,
        };
        Ok(EndPoint {
            listener_name,
            host: host.to_string(),
            port,
            security_protocol,
        })
    }
}

impl fmt::Display for EndPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.connection_string())
    }
}

impl FromStr for EndPoint {
    type Err = LayoutError;

    /// Parses with the default mapping (listener name = protocol name).
    fn from_str(text: &str) -> Result<EndPoint, LayoutError> {
        EndPoint::parse(text, None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn problem_of(text: &str) -> EndpointProblem {
        match EndPoint::parse(text, None) {
            Err(LayoutError::Endpoint { problem, .. }) => problem,
            other => panic!("expected an endpoint error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_and_formats_plain_ipv6_and_wildcard_hosts() {
        let plain: EndPoint = "PLAINTEXT://broker-1.example:9092".parse().unwrap();
        assert_eq!(plain.host, "broker-1.example");
        assert_eq!(plain.port, 9092);
        assert_eq!(plain.security_protocol, SecurityProtocol::Plaintext);
        assert_eq!(plain.to_string(), "PLAINTEXT://broker-1.example:9092");

        let ipv6: EndPoint = "SSL://[::1]:9093".parse().unwrap();
        assert_eq!(ipv6.host, "::1");
        assert_eq!(ipv6.security_protocol, SecurityProtocol::Ssl);
        assert_eq!(ipv6.to_string(), "SSL://[::1]:9093");

        let wildcard: EndPoint = "sasl_ssl://:9094".parse().unwrap();
        assert_eq!(wildcard.listener_name, "SASL_SSL");
        assert_eq!(wildcard.host, "");
        assert_eq!(wildcard.to_string(), "SASL_SSL://:9094");
    }

    #[test]
    fn custom_listener_names_go_through_the_map() {
        let mut map = BTreeMap::new();
        map.insert("CLIENT".to_string(), SecurityProtocol::SaslSsl);
        let endpoint = EndPoint::parse("client://h:9092", Some(&map)).unwrap();
        assert_eq!(endpoint.listener_name, "CLIENT");
        assert_eq!(endpoint.security_protocol, SecurityProtocol::SaslSsl);
        assert!(matches!(
            EndPoint::parse("REPLICATION://h:9093", Some(&map)),
            Err(LayoutError::Endpoint {
                problem: EndpointProblem::ListenerNotMapped { .. },
                ..
            })
        ));
        assert_eq!(
            problem_of("CLIENT://h:9092"),
            EndpointProblem::UnknownSecurityProtocol {
                name: "CLIENT".to_string()
            }
        );
    }

    #[test]
    fn bad_endpoints_say_why() {
        assert_eq!(problem_of("h:9092"), EndpointProblem::MissingScheme);
        assert_eq!(problem_of("://h:9092"), EndpointProblem::EmptyListenerName);
        assert_eq!(problem_of("PLAINTEXT://h"), EndpointProblem::MissingPort);
        assert_eq!(
            problem_of("PLAINTEXT://h:99999"),
            EndpointProblem::BadPort {
                text: "99999".to_string()
            }
        );
        assert_eq!(
            problem_of("PLAINTEXT://h:+1"),
            EndpointProblem::BadPort {
                text: "+1".to_string()
            }
        );
        assert_eq!(
            problem_of("SSL://[::1:9093"),
            EndpointProblem::UnclosedBracket
        );
        assert_eq!(problem_of("SSL://[::1]9093"), EndpointProblem::MissingPort);
        assert_eq!(
            problem_of("PLAINTEXT://h/x:9092"),
            EndpointProblem::BadHostCharacter { character: '/' }
        );
        let message = "PLAINTEXT://h".parse::<EndPoint>().unwrap_err().to_string();
        assert!(
            message.contains("PLAINTEXT://h") && message.contains("port"),
            "{message}"
        );
    }
}
