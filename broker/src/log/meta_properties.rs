//! `meta.properties`: which broker and which cluster a log dir belongs to.
//!
//! Each log dir holds one, written at start-up once the cluster id is known, in the Java
//! properties format Kafka's ZooKeeper-mode brokers use (version 0):
//!
//! ```text
//! #
//! #Sun Nov 22 10:15:02 UTC 2026
//! cluster.id=Hq4rWdsQT8K3vy8yq9T8Yw
//! version=0
//! broker.id=0
//! ```
//!
//! A dir that already has one must name the configured `broker.id` and the cluster found in
//! the coordinator; otherwise start-up stops with Kafka's message (data of another broker or
//! another cluster is never mixed in). The file is replaced atomically: written to
//! `meta.properties.tmp`, fsynced, renamed, and the dir fsynced.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::properties::Properties;

/// The file's name inside a log dir.
pub const FILE_NAME: &str = "meta.properties";

/// What a log dir's `meta.properties` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    pub broker_id: i32,
    /// Absent in files written before the broker first reached the coordinator.
    pub cluster_id: Option<String>,
}

/// Why a log dir cannot be used by this broker.
#[derive(Debug, thiserror::Error)]
pub enum MetaPropertiesError {
    #[error("reading {path:?}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("writing {path:?}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path:?} is not a valid meta.properties: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "Configured broker.id {configured} doesn't match stored broker.id Some({stored}) in \
         meta.properties. If you moved your data, make sure your configured broker.id matches. \
         If you intend to create a new broker, you should remove all data in your data \
         directories (log.dirs)."
    )]
    InconsistentBrokerId { configured: i32, stored: i32 },
    #[error(
        "The Cluster ID {cluster} doesn't match stored clusterId Some({stored}) in \
         meta.properties. The broker is trying to join the wrong cluster. Configured \
         zookeeper.connect may be wrong."
    )]
    InconsistentClusterId { cluster: String, stored: String },
}

/// Reads `dir/meta.properties`; `Ok(None)` when the dir has none yet.
pub fn read(dir: &Path) -> Result<Option<MetaProperties>, MetaPropertiesError> {
    let path = dir.join(FILE_NAME);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(MetaPropertiesError::Read {
                path,
                reason: error.to_string(),
            })
        }
    };
    let properties = Properties::parse(&text).map_err(|error| MetaPropertiesError::Read {
        path: path.clone(),
        reason: error.to_string(),
    })?;
    let invalid = |reason: String| MetaPropertiesError::Invalid {
        path: path.clone(),
        reason,
    };
    match properties.get("version") {
        Some("0") => {}
        Some(other) => return Err(invalid(format!("unsupported version {other}"))),
        None => return Err(invalid("no version".to_owned())),
    }
    let broker_id = properties
        .get("broker.id")
        .ok_or_else(|| invalid("no broker.id".to_owned()))?;
    let broker_id = broker_id
        .trim()
        .parse::<i32>()
        .map_err(|_| invalid(format!("broker.id {broker_id:?} is not a number")))?;
    let cluster_id = properties
        .get("cluster.id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    Ok(Some(MetaProperties {
        broker_id,
        cluster_id,
    }))
}

/// Writes `dir/meta.properties` atomically; `now_header` is the date line's text.
pub fn write(
    dir: &Path,
    meta: &MetaProperties,
    now_header: &str,
) -> Result<(), MetaPropertiesError> {
    let path = dir.join(FILE_NAME);
    let temp = dir.join(format!("{FILE_NAME}.tmp"));
    let mut text = format!("#\n#{now_header}\n");
    if let Some(cluster_id) = &meta.cluster_id {
        text.push_str(&format!("cluster.id={cluster_id}\n"));
    }
    text.push_str(&format!("version=0\nbroker.id={}\n", meta.broker_id));
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MetaPropertiesError::Write { path, source }
    };
    let mut file = fs::File::create(&temp).map_err(write_error(&temp))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_error(&temp))?;
    drop(file);
    fs::rename(&temp, &path).map_err(write_error(&path))?;
    fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(write_error(dir))?;
    Ok(())
}

/// Checks every log dir against the configured broker id and the coordinator's cluster id,
/// then writes the file where it is missing or lacks the cluster id. Nothing is written
/// unless every dir passes.
pub fn check_and_write(
    dirs: &[PathBuf],
    broker_id: i32,
    cluster_id: &str,
    now_header: &str,
) -> Result<(), MetaPropertiesError> {
    let mut to_write = Vec::new();
    for dir in dirs {
        match read(dir)? {
            Some(stored) => {
                check(&stored, broker_id, cluster_id)?;
                if stored.cluster_id.is_none() {
                    to_write.push(dir);
                }
            }
            None => to_write.push(dir),
        }
    }
    let meta = MetaProperties {
        broker_id,
        cluster_id: Some(cluster_id.to_owned()),
    };
    for dir in to_write {
        write(dir, &meta, now_header)?;
    }
    Ok(())
}

/// Kafka's two consistency checks on a stored file.
fn check(
    stored: &MetaProperties,
    broker_id: i32,
    cluster_id: &str,
) -> Result<(), MetaPropertiesError> {
    if stored.broker_id != broker_id {
        return Err(MetaPropertiesError::InconsistentBrokerId {
            configured: broker_id,
            stored: stored.broker_id,
        });
    }
    match &stored.cluster_id {
        Some(stored_cluster) if stored_cluster != cluster_id => {
            Err(MetaPropertiesError::InconsistentClusterId {
                cluster: cluster_id.to_owned(),
                stored: stored_cluster.clone(),
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const HEADER: &str = "Sun Nov 22 10:15:02 UTC 2026";

    #[test]
    fn written_file_reads_back_in_kafkas_format() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = vec![dir.path().to_path_buf()];
        check_and_write(&dirs, 3, "Hq4rWdsQT8K3vy8yq9T8Yw", HEADER).unwrap();
        let text = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(
            text,
            "#\n#Sun Nov 22 10:15:02 UTC 2026\ncluster.id=Hq4rWdsQT8K3vy8yq9T8Yw\nversion=0\nbroker.id=3\n"
        );
        assert_eq!(
            read(dir.path()).unwrap(),
            Some(MetaProperties {
                broker_id: 3,
                cluster_id: Some("Hq4rWdsQT8K3vy8yq9T8Yw".to_owned())
            })
        );
        assert!(!dir.path().join("meta.properties.tmp").exists());
        // The same broker and cluster again: accepted.
        check_and_write(&dirs, 3, "Hq4rWdsQT8K3vy8yq9T8Yw", HEADER).unwrap();
    }

    #[test]
    fn another_broker_id_is_refused_with_kafkas_message() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = vec![dir.path().to_path_buf()];
        check_and_write(&dirs, 0, "cluster-a", HEADER).unwrap();
        let error = check_and_write(&dirs, 1, "cluster-a", HEADER).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("Configured broker.id 1 doesn't match stored broker.id Some(0)"));
    }

    #[test]
    fn another_cluster_is_refused_and_nothing_is_written() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        check_and_write(&[first.path().to_path_buf()], 0, "cluster-a", HEADER).unwrap();
        let dirs = vec![second.path().to_path_buf(), first.path().to_path_buf()];
        let error = check_and_write(&dirs, 0, "cluster-b", HEADER).unwrap_err();
        assert!(matches!(
            error,
            MetaPropertiesError::InconsistentClusterId { ref cluster, ref stored }
                if cluster == "cluster-b" && stored == "cluster-a"
        ));
        assert!(!second.path().join(FILE_NAME).exists());
    }

    #[test]
    fn a_file_without_cluster_id_gets_one() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "version=0\nbroker.id=0\n").unwrap();
        check_and_write(&[dir.path().to_path_buf()], 0, "cluster-a", HEADER).unwrap();
        assert_eq!(
            read(dir.path()).unwrap().unwrap().cluster_id.as_deref(),
            Some("cluster-a")
        );
    }

    #[test]
    fn damaged_files_are_errors_not_defaults() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["broker.id=0\n", "version=1\nbroker.id=0\n", "version=0\nbroker.id=x\n"] {
            fs::write(dir.path().join(FILE_NAME), text).unwrap();
            assert!(
                matches!(read(dir.path()), Err(MetaPropertiesError::Invalid { .. })),
                "{text:?}"
            );
        }
    }
}
