//! ISR changes written by the partition leader, as Kafka's ZooKeeper-mode leaders do:
//! `setData /brokers/topics/<t>/partitions/<p>/state` with the new ISR, the leader, leader
//! epoch and controller epoch unchanged, conditional on the node version the leader last saw;
//! then a `/isr_change_notification/isr_change_<seq>` node naming the partition (the
//! controller clears them; every broker already watches the state nodes).
//!
//! A version mismatch means the controller (or an earlier write of ours) changed the state:
//! the proposal is dropped and the next image tells the leader where it stands. This is the
//! fence that keeps a deposed leader from shrinking the ISR to itself.

use common::zk_layout::{paths, IsrChangeNotification, LeaderRecoveryState, PartitionState};

use super::{ReplicaManager, Role};
use crate::cluster::zk;
use crate::log::TopicPartition;

/// Writes `isr` as the ISR of `partition` (which this broker leads, with the change pending).
pub async fn write(manager: &ReplicaManager, partition: &TopicPartition, isr: Vec<i32>) {
    let broker_id = manager.broker_id();
    let snapshot = manager.with_partition(partition, |replica| match &replica.role {
        Role::Leader(state) => Some((state.leader_epoch, state.controller_epoch, state.zk_version)),
        Role::Follower { .. } => None,
    });
    let Some(Some((leader_epoch, controller_epoch, zk_version))) = snapshot else {
        return;
    };
    let state = PartitionState {
        leader: broker_id,
        leader_epoch,
        controller_epoch,
        isr: isr.clone(),
        leader_recovery_state: LeaderRecoveryState::Recovered,
    };
    let path = paths::partition_state(&partition.topic, partition.partition);
    let client = match manager.cluster().client() {
        Ok(client) => client,
        Err(_) => {
            manager.with_partition(partition, |replica| replica.isr_write_failed());
            return;
        }
    };
    match client
        .set_data(&path, &state.to_json(), Some(zk_version))
        .await
    {
        Ok(stat) => {
            let moved = manager
                .with_partition(partition, |replica| {
                    let current = replica.leader_state().map(|state| state.zk_version);
                    // An image applied meanwhile may already carry a newer version.
                    if current.is_some_and(|current| current < stat.version) {
                        replica.isr_written(isr.clone(), stat.version)
                    } else {
                        replica.isr_write_failed();
                        false
                    }
                })
                .unwrap_or(false);
            if moved {
                manager.storage().notify_append();
            }
            let notification = IsrChangeNotification {
                partitions: vec![common::zk_layout::TopicPartition {
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                }],
            };
            let prefix = paths::isr_change_notification_prefix();
            if let Err(error) = client
                .create(
                    &prefix,
                    &notification.to_json(),
                    &zk::persistent_sequential(),
                )
                .await
            {
                tracing::debug!(%error, "ISR change notification not written");
            }
            manager.cluster().refresh();
        }
        Err(error) => {
            tracing::info!(
                "[Partition {partition} broker={broker_id}] Cached zkVersion {zk_version} not equal to that in the coordinator, skip updating ISR ({error})"
            );
            manager.with_partition(partition, |replica| replica.isr_write_failed());
            manager.cluster().refresh();
        }
    }
}
