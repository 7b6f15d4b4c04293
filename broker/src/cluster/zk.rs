//! The coordinator session and the start-up writes every broker makes, as Kafka's
//! `KafkaZkClient` does them: connect (with the chroot created if missing), create the
//! persistent paths, create-or-read `/cluster/id`, and register `/brokers/ids/<id>`
//! (`multi[create ephemeral, setData json version 0]`; on NODEEXISTS the node's
//! ephemeralOwner is compared with this session — equal means the node is ours).

use std::time::{Duration, Instant};

use common::zk_layout::{paths, BrokerRegistration, ClusterIdRecord};
use zookeeper_client::{
    Acls, Client, CreateMode, CreateOptions, MultiWriteError, MultiWriteResult,
};

use super::error::ClusterError;

/// Pause between connection attempts while the coordinator is unreachable.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// Persistent nodes are open to everyone (Kafka without `zookeeper.set.acl`).
pub fn persistent() -> CreateOptions<'static> {
    CreateMode::Persistent.with_acls(Acls::anyone_all())
}

pub fn ephemeral() -> CreateOptions<'static> {
    CreateMode::Ephemeral.with_acls(Acls::anyone_all())
}

pub fn persistent_sequential() -> CreateOptions<'static> {
    CreateMode::PersistentSequential.with_acls(Acls::anyone_all())
}

/// Splits `host:port,host:port/chroot` into the hosts and the chroot (`None` for none or
/// `/`).
pub fn split_chroot(connect: &str) -> Result<(&str, Option<&str>), ClusterError> {
    let (hosts, chroot) = match connect.find('/') {
        Some(at) => (connect.get(..at).unwrap_or(""), connect.get(at..)),
        None => (connect, None),
    };
    if hosts.trim().is_empty() {
        return Err(ClusterError::BadConnectString {
            connect: connect.to_owned(),
            reason: "no host".to_owned(),
        });
    }
    let chroot = chroot.filter(|path| *path != "/");
    if let Some(path) = chroot {
        if path.ends_with('/') || path.contains("//") {
            return Err(ClusterError::BadConnectString {
                connect: connect.to_owned(),
                reason: format!("invalid chroot path {path:?}"),
            });
        }
    }
    Ok((hosts, chroot))
}

/// Opens a session, retrying until `connection_timeout` passes (then Kafka's "Timed out
/// waiting for connection while in state: CONNECTING"). Creates the chroot if missing and
/// returns a client rooted in it.
pub async fn connect(
    connect: &str,
    session_timeout: Duration,
    connection_timeout: Duration,
) -> Result<Client, ClusterError> {
    let (hosts, chroot) = split_chroot(connect)?;
    let started = Instant::now();
    let deadline = started + connection_timeout;
    let timed_out = || ClusterError::ConnectionTimeout {
        connect: connect.to_owned(),
        waited: started.elapsed(),
    };
    let client = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(timed_out());
        }
        let attempt = Client::connector()
            .with_session_timeout(session_timeout)
            .connect(hosts);
        match tokio::time::timeout(remaining, attempt).await {
            Ok(Ok(client)) => break client,
            Ok(Err(error)) => {
                tracing::debug!(%error, "coordinator connection attempt failed");
                let pause = RETRY_PAUSE.min(deadline.saturating_duration_since(Instant::now()));
                tokio::time::sleep(pause).await;
            }
            Err(_) => return Err(timed_out()),
        }
    };
    let Some(chroot) = chroot else {
        return Ok(client);
    };
    match client.mkdir(chroot, &persistent()).await {
        Ok(()) => {}
        Err(source) => {
            return Err(ClusterError::Zookeeper {
                operation: "create chroot",
                path: chroot.to_owned(),
                source,
            })
        }
    }
    client
        .chroot(chroot)
        .map_err(|_| ClusterError::BadConnectString {
            connect: connect.to_owned(),
            reason: format!("invalid chroot path {chroot:?}"),
        })
}

/// Creates Kafka's persistent paths (parents too) where missing.
pub async fn ensure_persistent_paths(client: &Client) -> Result<(), ClusterError> {
    for path in paths::PERSISTENT_PATHS {
        client
            .mkdir(path, &persistent())
            .await
            .map_err(ClusterError::zookeeper("create", path))?;
    }
    Ok(())
}

/// Reads `/cluster/id`, creating it with a new id when missing.
pub async fn cluster_id(client: &Client) -> Result<String, ClusterError> {
    let path = paths::CLUSTER_ID;
    loop {
        match client.get_data(path).await {
            Ok((data, _)) => {
                let record =
                    ClusterIdRecord::from_json(&data).map_err(ClusterError::layout(path))?;
                return Ok(record.id);
            }
            Err(zookeeper_client::Error::NoNode) => {}
            Err(source) => return Err(ClusterError::zookeeper("get", path)(source)),
        }
        let record = ClusterIdRecord::generate();
        client
            .mkdir(paths::CLUSTER, &persistent())
            .await
            .map_err(ClusterError::zookeeper("create", paths::CLUSTER))?;
        match client.create(path, &record.to_json(), &persistent()).await {
            Ok(_) => return Ok(record.id),
            // Another broker created it first: read theirs.
            Err(zookeeper_client::Error::NodeExists) => {}
            Err(source) => return Err(ClusterError::zookeeper("create", path)(source)),
        }
    }
}

/// Registers this broker; returns the broker epoch (the node's czxid).
///
/// Fails with [`ClusterError::BrokerIdTaken`] when another session owns the node.
pub async fn register_broker(
    client: &Client,
    broker_id: i32,
    registration: &BrokerRegistration,
) -> Result<i64, ClusterError> {
    let path = paths::broker_id(broker_id);
    let json = registration.to_json();
    loop {
        let mut multi = client.new_multi_writer();
        let built = multi
            .add_create(&path, &[], &ephemeral())
            .and_then(|()| multi.add_set_data(&path, &json, Some(0)));
        built.map_err(ClusterError::zookeeper("register", &path))?;
        match multi.commit().await {
            Ok(results) => {
                for result in results {
                    if let MultiWriteResult::SetData { stat } = result {
                        return Ok(stat.czxid);
                    }
                }
                let (_, stat) = client
                    .get_data(&path)
                    .await
                    .map_err(ClusterError::zookeeper("get", &path))?;
                return Ok(stat.czxid);
            }
            Err(MultiWriteError::OperationFailed {
                source: zookeeper_client::Error::NodeExists,
                ..
            }) => {
                let stat = match client.get_data(&path).await {
                    Ok((_, stat)) => stat,
                    // The holder's session ended between the create and this read: the
                    // node is free again.
                    Err(zookeeper_client::Error::NoNode) => continue,
                    Err(error) => return Err(ClusterError::zookeeper("get", &path)(error)),
                };
                let session = client.session_id().0;
                return if stat.ephemeral_owner == session {
                    Ok(stat.czxid)
                } else {
                    Err(ClusterError::BrokerIdTaken {
                        path,
                        owner: stat.ephemeral_owner,
                        session,
                    })
                };
            }
            Err(error) => return Err(ClusterError::zookeeper("register", &path)(error.into())),
        }
    }
}

/// Registers, retrying while another session holds the node for up to `patience` (a
/// previous run of this broker that was killed keeps its node until its session expires).
pub async fn register_broker_patiently(
    client: &Client,
    broker_id: i32,
    registration: &BrokerRegistration,
    patience: Duration,
) -> Result<i64, ClusterError> {
    let deadline = Instant::now() + patience;
    let mut announced = false;
    loop {
        match register_broker(client, broker_id, registration).await {
            Err(ClusterError::BrokerIdTaken {
                path,
                owner,
                session,
            }) => {
                if Instant::now() >= deadline {
                    return Err(ClusterError::BrokerIdTaken {
                        path,
                        owner,
                        session,
                    });
                }
                if !announced {
                    tracing::info!(
                        "{path} is held by session 0x{owner:x}; waiting up to {patience:?} for it to expire before registering"
                    );
                    announced = true;
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn chroot_is_split_from_the_hosts() {
        assert_eq!(
            split_chroot("a:1,b:2/kafka/x").unwrap(),
            ("a:1,b:2", Some("/kafka/x"))
        );
        assert_eq!(split_chroot("a:1").unwrap(), ("a:1", None));
        assert_eq!(split_chroot("a:1/").unwrap(), ("a:1", None));
        assert!(split_chroot("/kafka").is_err());
        assert!(split_chroot("a:1/kafka/").is_err());
    }
}
