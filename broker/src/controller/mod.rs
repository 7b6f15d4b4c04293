//! The controller: one broker of the cluster, elected through the ephemeral `/controller`
//! node, that elects partition leaders and carries out topic deletions.
//!
//! Election ([`try_elect`]), as Kafka does it: read `/controller_epoch` (created as `0` when
//! missing), then `multi[create /controller (ephemeral, ControllerRecord), setData
//! /controller_epoch = epoch + 1 at the version read]`; NODEEXISTS or BADVERSION means another
//! broker won. The epoch node's new version fences every later controller write
//! ([`execute`]): each is `multi[check /controller_epoch version, write]`, and a failed check
//! means the controller moved ([`ClusterError::ControllerMoved`]).
//!
//! What to write is decided by [`plan::plan`] from the metadata image (no I/O). The
//! controller runs inside [`crate::cluster`]'s refresh loop: after every refresh in which
//! this broker holds the controllership, the plan is computed and executed, and the watches
//! bring the result back into the image. Requests to the controller plan with
//! [`election`] (ElectLeaders, the automatic preferred leader rebalance) and [`reassign`]
//! (partition reassignments), and execute here under the same lock
//! ([`crate::cluster::Cluster::controller`]).

pub mod election;
pub mod plan;
pub mod reassign;

use common::zk_layout::{paths, ControllerEpochRecord, ControllerRecord};
use zookeeper_client::{Client, MultiWriteError, MultiWriteResult};

use crate::cluster::error::ClusterError;
use crate::cluster::zk::{ephemeral, persistent};
use crate::cluster::{Cluster, MetadataImage};
pub use plan::{plan, ControllerAction};

/// This broker's controllership: the epoch it won and the epoch node's version after the
/// win (the fence of every controller write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controllership {
    pub epoch: i32,
    pub epoch_zk_version: i32,
}

/// Why a request for the controller was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ControllerRequestError {
    /// This broker is not the controller (or stopped being it during the writes).
    #[error("This is not the correct controller for this cluster.")]
    NotController,
    #[error(transparent)]
    Failed(#[from] ClusterError),
}

/// Runs one controller decision for a request (ElectLeaders, reassignments): with the
/// controller state locked, `decide` plans from the current image and the writes are
/// executed under the controllership; the lock is released before returning and a refresh
/// is asked for, so callers wait for the image without holding it.
pub async fn decide_and_execute<T>(
    cluster: &Cluster,
    decide: impl FnOnce(&MetadataImage, Controllership) -> (T, Vec<ControllerAction>),
) -> Result<T, ControllerRequestError> {
    let mut state = cluster.controller().await;
    let Some(controllership) = state.controllership else {
        return Err(ControllerRequestError::NotController);
    };
    let client = cluster.client()?;
    let image = cluster.image();
    let (decided, actions) = decide(&image, controllership);
    if actions.is_empty() {
        return Ok(decided);
    }
    let still_controller = execute_or_resign(
        &client,
        cluster.broker_id(),
        &mut state.controllership,
        actions,
    )
    .await?;
    if !still_controller {
        return Err(ControllerRequestError::NotController);
    }
    drop(state);
    cluster.refresh();
    Ok(decided)
}

/// Carries out `actions` as the controller in `controllership`. When another controller
/// has taken over meanwhile (the epoch check failed), this broker resigns: the slot is
/// cleared and `Ok(false)` returned.
pub async fn execute_or_resign(
    client: &Client,
    broker_id: i32,
    controllership: &mut Option<Controllership>,
    actions: Vec<ControllerAction>,
) -> Result<bool, ClusterError> {
    let Some(current) = *controllership else {
        return Ok(false);
    };
    match execute(client, current, actions).await {
        Ok(()) => Ok(true),
        Err(ClusterError::ControllerMoved { epoch }) => {
            tracing::info!(
                "[Controller id={broker_id}] Controller moved (was epoch {epoch}); resigning"
            );
            *controllership = None;
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// Tries to become controller; `Ok(None)` when another broker is (or just became) it.
pub async fn try_elect(
    client: &Client,
    broker_id: i32,
    now_ms: i64,
) -> Result<Option<Controllership>, ClusterError> {
    let epoch_path = paths::CONTROLLER_EPOCH;
    let (epoch, version) = match client.get_data(epoch_path).await {
        Ok((data, stat)) => {
            let record = ControllerEpochRecord::from_json(&data)
                .map_err(ClusterError::layout(epoch_path))?;
            (record.epoch, stat.version)
        }
        Err(zookeeper_client::Error::NoNode) => {
            let initial = ControllerEpochRecord { epoch: 0 };
            match client
                .create(epoch_path, &initial.to_json(), &persistent())
                .await
            {
                Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
                Err(source) => return Err(ClusterError::zookeeper("create", epoch_path)(source)),
            }
            // Read back: another broker may have created (and bumped) it first.
            let (data, stat) = client
                .get_data(epoch_path)
                .await
                .map_err(ClusterError::zookeeper("get", epoch_path))?;
            let record = ControllerEpochRecord::from_json(&data)
                .map_err(ClusterError::layout(epoch_path))?;
            (record.epoch, stat.version)
        }
        Err(source) => return Err(ClusterError::zookeeper("get", epoch_path)(source)),
    };
    let new_epoch = epoch.saturating_add(1);
    let record = ControllerRecord::zookeeper_mode(broker_id, now_ms);
    let mut multi = client.new_multi_writer();
    multi
        .add_create(paths::CONTROLLER, &record.to_json(), &ephemeral())
        .and_then(|()| {
            multi.add_set_data(
                epoch_path,
                &ControllerEpochRecord { epoch: new_epoch }.to_json(),
                Some(version),
            )
        })
        .map_err(ClusterError::zookeeper("elect", paths::CONTROLLER))?;
    match multi.commit().await {
        Ok(results) => {
            let epoch_zk_version = results
                .iter()
                .find_map(|result| match result {
                    MultiWriteResult::SetData { stat } => Some(stat.version),
                    _ => None,
                })
                .unwrap_or(version.saturating_add(1));
            Ok(Some(Controllership {
                epoch: new_epoch,
                epoch_zk_version,
            }))
        }
        Err(MultiWriteError::OperationFailed {
            source: zookeeper_client::Error::NodeExists | zookeeper_client::Error::BadVersion,
            ..
        }) => Ok(None),
        Err(error) => Err(ClusterError::zookeeper("elect", paths::CONTROLLER)(
            error.into(),
        )),
    }
}

/// Carries out `actions` under the fence of `controllership`. Stops at the first failure
/// other than a lost race on one node (the next refresh plans again).
pub async fn execute(
    client: &Client,
    controllership: Controllership,
    actions: Vec<ControllerAction>,
) -> Result<(), ClusterError> {
    for action in actions {
        match action {
            ControllerAction::CreatePartitionState {
                topic,
                partition,
                state,
            } => {
                let parent = paths::topic_partition(&topic, partition);
                match client.mkdir(&parent, &persistent()).await {
                    Ok(()) => {}
                    // The topic was deleted meanwhile.
                    Err(zookeeper_client::Error::NoNode) => continue,
                    Err(source) => return Err(ClusterError::zookeeper("create", &parent)(source)),
                }
                let path = paths::partition_state(&topic, partition);
                let outcome = fenced(client, controllership, &path, |multi| {
                    multi.add_create(&path, &state.to_json(), &persistent())
                })
                .await;
                match outcome {
                    Ok(()) => tracing::info!(
                        "[Controller id={}] Elected leader {} for new partition {topic}-{partition} (leader epoch {}, ISR {:?})",
                        controllership.epoch, state.leader, state.leader_epoch, state.isr
                    ),
                    Err(ClusterError::Zookeeper {
                        source: zookeeper_client::Error::NodeExists,
                        ..
                    }) => {}
                    Err(error) => return Err(error),
                }
            }
            ControllerAction::UpdatePartitionState {
                topic,
                partition,
                state,
                expected_version,
            } => {
                let path = paths::partition_state(&topic, partition);
                let outcome = fenced(client, controllership, &path, |multi| {
                    multi.add_set_data(&path, &state.to_json(), Some(expected_version))
                })
                .await;
                match outcome {
                    Ok(()) => tracing::info!(
                        "Partition {topic}-{partition}: new leader {} (leader epoch {}, ISR {:?})",
                        state.leader,
                        state.leader_epoch,
                        state.isr
                    ),
                    Err(ClusterError::Zookeeper {
                        source:
                            zookeeper_client::Error::BadVersion | zookeeper_client::Error::NoNode,
                        ..
                    }) => {}
                    Err(error) => return Err(error),
                }
            }
            ControllerAction::DeleteTopic { topic } => {
                delete_topic(client, controllership, &topic).await?;
                tracing::info!("Deletion of topic {topic} successfully completed");
            }
            ControllerAction::RemoveDeletionMarker { topic } => {
                delete_if_exists(client, &paths::delete_topic(&topic)).await?;
            }
            ControllerAction::WriteAssignment {
                topic,
                record,
                expected_version,
                states,
            } => {
                let path = paths::topic(&topic);
                let state_paths: Vec<(String, &reassign::StateUpdate)> = states
                    .iter()
                    .map(|update| (paths::partition_state(&topic, update.partition), update))
                    .collect();
                let outcome = fenced(client, controllership, &path, |multi| {
                    multi.add_set_data(&path, &record.to_json(), Some(expected_version))?;
                    for (state_path, update) in &state_paths {
                        multi.add_set_data(
                            state_path,
                            &update.state.to_json(),
                            Some(update.expected_version),
                        )?;
                    }
                    Ok(())
                })
                .await;
                match outcome {
                    Ok(()) => {
                        tracing::info!(
                            "[Controller id={}] Wrote the assignment of topic {topic}: replicas {:?}, adding {:?}, removing {:?}",
                            controllership.epoch,
                            record.partitions,
                            record.adding_replicas,
                            record.removing_replicas
                        );
                        for update in &states {
                            tracing::info!(
                                "Partition {topic}-{}: leader {} (leader epoch {}, ISR {:?})",
                                update.partition,
                                update.state.leader,
                                update.state.leader_epoch,
                                update.state.isr
                            );
                        }
                    }
                    // Someone changed the topic or a partition meanwhile: plan again.
                    Err(ClusterError::Zookeeper {
                        source:
                            zookeeper_client::Error::BadVersion | zookeeper_client::Error::NoNode,
                        ..
                    }) => {}
                    Err(error) => return Err(error),
                }
            }
        }
    }
    Ok(())
}

/// Deletes `/brokers/topics/<t>` with everything below it (the topic node last, fenced),
/// then `/config/topics/<t>`, then the marker.
async fn delete_topic(
    client: &Client,
    controllership: Controllership,
    topic: &str,
) -> Result<(), ClusterError> {
    let partitions_path = paths::topic_partitions(topic);
    let partitions = match client.list_children(&partitions_path).await {
        Ok(children) => children,
        Err(zookeeper_client::Error::NoNode) => Vec::new(),
        Err(source) => return Err(ClusterError::zookeeper("list", &partitions_path)(source)),
    };
    for partition in partitions {
        let partition_path = format!("{partitions_path}/{partition}");
        delete_if_exists(client, &format!("{partition_path}/state")).await?;
        delete_if_exists(client, &partition_path).await?;
    }
    delete_if_exists(client, &partitions_path).await?;
    let topic_path = paths::topic(topic);
    let outcome = fenced(client, controllership, &topic_path, |multi| {
        multi.add_delete(&topic_path, None)
    })
    .await;
    match outcome {
        Ok(())
        | Err(ClusterError::Zookeeper {
            source: zookeeper_client::Error::NoNode,
            ..
        }) => {}
        Err(error) => return Err(error),
    }
    delete_if_exists(client, &paths::topic_config(topic)).await?;
    delete_if_exists(client, &paths::delete_topic(topic)).await
}

async fn delete_if_exists(client: &Client, path: &str) -> Result<(), ClusterError> {
    match client.delete(path, None).await {
        Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(()),
        Err(source) => Err(ClusterError::zookeeper("delete", path)(source)),
    }
}

/// Runs `multi[check /controller_epoch, <op>]`.
async fn fenced<F>(
    client: &Client,
    controllership: Controllership,
    path: &str,
    add: F,
) -> Result<(), ClusterError>
where
    F: FnOnce(&mut zookeeper_client::MultiWriter<'_>) -> Result<(), zookeeper_client::Error>,
{
    let mut multi = client.new_multi_writer();
    multi
        .add_check_version(paths::CONTROLLER_EPOCH, controllership.epoch_zk_version)
        .and_then(|()| add(&mut multi))
        .map_err(ClusterError::zookeeper("controller write", path))?;
    match multi.commit().await {
        Ok(_) => Ok(()),
        Err(MultiWriteError::OperationFailed { index: 0, .. }) => {
            Err(ClusterError::ControllerMoved {
                epoch: controllership.epoch,
            })
        }
        Err(error) => Err(ClusterError::zookeeper("controller write", path)(
            error.into(),
        )),
    }
}
