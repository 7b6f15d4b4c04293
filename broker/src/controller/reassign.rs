//! Partition reassignment as Kafka 2.4+ does it in ZooKeeper mode (KIP-455), decided from a
//! [`MetadataImage`] alone (no I/O).
//!
//! The request ([`plan_alter`], AlterPartitionReassignments) records the target in the
//! topic znode `/brokers/topics/<t>`: replicas = target followed by the original replicas
//! not in it, `adding_replicas` = target − original, `removing_replicas` = original −
//! target. A null target cancels: replicas go back to the original ones and the entries
//! go. The original replicas of a partition already being reassigned are its replicas
//! minus its adding ones, so a new target replaces the old one.
//!
//! While a reassignment is pending every broker of the union hosts the partition: the
//! added ones create their log and follow the leader. [`plan_reassignments`] (run by
//! [`super::plan::plan`] on every controller pass) completes it once every target replica
//! is in the ISR and the leader is live: a leader outside the target gives way to the
//! first target replica that is live and in the ISR (leader epoch + 1); the ISR shrinks to
//! the target; and the topic znode is rewritten with replicas = target (in target order)
//! and the partition's adding/removing entries gone. Both writes go in one fenced multi,
//! conditional on the topic znode's version and the state node's version
//! ([`ControllerAction::WriteAssignment`]).
//!
//! It also tidies partitions that are not being reassigned but whose live leader or ISR
//! members are no longer replicas (a cancelled reassignment leaves those): the ISR keeps
//! only replicas and a leader that is not a replica gives way to the first replica that is
//! live and in that ISR.

use std::collections::BTreeMap;

use common::zk_layout::PartitionState;

use super::plan::{new_state, ControllerAction};
use crate::cluster::image::{LeaderAndIsr, MetadataImage, PartitionImage, TopicImage};
use crate::log::TopicPartition;

/// A conditional write of one partition's state inside a [`ControllerAction::WriteAssignment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateUpdate {
    pub partition: i32,
    pub state: PartitionState,
    pub expected_version: i32,
}

/// Why a partition's reassignment request is refused (Kafka's controller messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReassignmentError {
    #[error("The partition does not exist.")]
    UnknownTopicOrPartition,
    #[error("Empty replica list specified in partition reassignment.")]
    EmptyReplicaList,
    #[error("Duplicate replica ids in partition reassignment replica list: {}", list(.replicas))]
    DuplicateReplicas { replicas: Vec<i32> },
    #[error("Invalid broker id in replica list: {}", list(.replicas))]
    InvalidBrokerId { replicas: Vec<i32> },
    #[error("Replica assignment has brokers that are not alive. Replica list: {}, live broker list: {}", list(.adding), list(.live))]
    BrokersNotAlive { adding: Vec<i32>, live: Vec<i32> },
    #[error("The replication factor of partition {partition} would change from {from} to {to}, which the request does not allow.")]
    ReplicationFactorChange {
        partition: TopicPartition,
        from: usize,
        to: usize,
    },
    #[error("No partition reassignment is in progress.")]
    NoReassignmentInProgress,
}

fn list(ids: &[i32]) -> String {
    let parts: Vec<String> = ids.iter().map(i32::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// One partition of an AlterPartitionReassignments request: the target replicas, or `None`
/// to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassignmentRequest {
    pub partition: TopicPartition,
    pub target: Option<Vec<i32>>,
}

/// What [`plan_alter`] decided: per partition `Ok` (recorded) or why not, and one
/// topic znode write per topic touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlterPlan {
    pub outcomes: BTreeMap<TopicPartition, Result<(), ReassignmentError>>,
    pub actions: Vec<ControllerAction>,
}

/// The replicas, adding and removing lists of a partition whose original replicas are
/// `original` reassigned to `target` (Kafka's `ReplicaAssignment.reassignTo`).
pub fn reassign_to(original: &[i32], target: &[i32]) -> (Vec<i32>, Vec<i32>, Vec<i32>) {
    let mut replicas: Vec<i32> = Vec::with_capacity(target.len() + original.len());
    for id in target.iter().chain(original) {
        if !replicas.contains(id) {
            replicas.push(*id);
        }
    }
    let adding = replicas
        .iter()
        .copied()
        .filter(|id| !original.contains(id))
        .collect();
    let removing = replicas
        .iter()
        .copied()
        .filter(|id| !target.contains(id))
        .collect();
    (replicas, adding, removing)
}

/// Plans AlterPartitionReassignments. `allow_replication_factor_change` false (v1) refuses
/// targets whose size differs from the original replica count.
pub fn plan_alter(
    image: &MetadataImage,
    requests: Vec<ReassignmentRequest>,
    allow_replication_factor_change: bool,
) -> AlterPlan {
    let mut plan = AlterPlan::default();
    let mut changed: BTreeMap<String, TopicImage> = BTreeMap::new();
    for request in requests {
        let topic_partition = request.partition;
        let outcome = alter_one(
            image,
            &mut changed,
            &topic_partition,
            request.target,
            allow_replication_factor_change,
        );
        plan.outcomes.insert(topic_partition, outcome);
    }
    for (name, topic) in changed {
        plan.actions.push(ControllerAction::WriteAssignment {
            topic: name,
            record: topic.to_assignment(),
            expected_version: topic.zk_version,
            states: Vec::new(),
        });
    }
    plan
}

fn alter_one(
    image: &MetadataImage,
    changed: &mut BTreeMap<String, TopicImage>,
    topic_partition: &TopicPartition,
    target: Option<Vec<i32>>,
    allow_replication_factor_change: bool,
) -> Result<(), ReassignmentError> {
    let name = &topic_partition.topic;
    if image.topics_marked_for_deletion.contains(name) {
        return Err(ReassignmentError::UnknownTopicOrPartition);
    }
    let Some(topic) = image.topic(name) else {
        return Err(ReassignmentError::UnknownTopicOrPartition);
    };
    // An earlier entry of the same request may have changed this partition already.
    let current = changed
        .get(name)
        .and_then(|updated| updated.partitions.get(&topic_partition.partition))
        .or_else(|| topic.partitions.get(&topic_partition.partition));
    let Some(current) = current else {
        return Err(ReassignmentError::UnknownTopicOrPartition);
    };
    let original = current.original_replicas();
    let target = match target {
        Some(target) => {
            validate_target(image, &original, &target)?;
            if !allow_replication_factor_change && target.len() != original.len() {
                return Err(ReassignmentError::ReplicationFactorChange {
                    partition: topic_partition.clone(),
                    from: original.len(),
                    to: target.len(),
                });
            }
            target
        }
        None if current.is_reassigning() => original.clone(),
        None => return Err(ReassignmentError::NoReassignmentInProgress),
    };
    let (replicas, adding, removing) = reassign_to(&original, &target);
    let updated = PartitionImage {
        replicas,
        adding,
        removing,
        state: current.state.clone(),
    };
    changed
        .entry(name.clone())
        .or_insert_with(|| topic.clone())
        .partitions
        .insert(topic_partition.partition, updated);
    Ok(())
}

fn validate_target(
    image: &MetadataImage,
    original: &[i32],
    target: &[i32],
) -> Result<(), ReassignmentError> {
    if target.is_empty() {
        return Err(ReassignmentError::EmptyReplicaList);
    }
    let mut unique = target.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != target.len() {
        return Err(ReassignmentError::DuplicateReplicas {
            replicas: target.to_vec(),
        });
    }
    if target.iter().any(|id| *id < 0) {
        return Err(ReassignmentError::InvalidBrokerId {
            replicas: target.to_vec(),
        });
    }
    let (_, adding, _) = reassign_to(original, target);
    if adding.iter().any(|id| !image.is_live(*id)) {
        return Err(ReassignmentError::BrokersNotAlive {
            adding,
            live: image.live_broker_ids(),
        });
    }
    Ok(())
}

/// The writes that complete pending reassignments and tidy partitions a cancelled one left
/// behind (see the module docs).
pub fn plan_reassignments(image: &MetadataImage, controller_epoch: i32) -> Vec<ControllerAction> {
    let mut actions = Vec::new();
    for (name, topic) in &image.topics {
        if image.topics_marked_for_deletion.contains(name) {
            continue;
        }
        let mut completed = topic.clone();
        let mut states = Vec::new();
        let mut any_completed = false;
        for (index, partition) in &topic.partitions {
            let Some(state) = &partition.state else {
                continue;
            };
            if !(state.leader >= 0 && image.is_live(state.leader)) {
                // A leaderless partition first gets a leader from the ordinary plan.
                continue;
            }
            if partition.is_reassigning() {
                let Some(done) = complete(image, partition, state, controller_epoch) else {
                    continue;
                };
                any_completed = true;
                if let Some(entry) = completed.partitions.get_mut(index) {
                    *entry = PartitionImage {
                        state: entry.state.clone(),
                        ..PartitionImage::new(done.replicas)
                    };
                }
                if let Some(new_state) = done.state {
                    states.push(StateUpdate {
                        partition: *index,
                        state: new_state,
                        expected_version: state.zk_version,
                    });
                }
            } else if let Some(new_state) = tidy(image, partition, state, controller_epoch) {
                actions.push(ControllerAction::UpdatePartitionState {
                    topic: name.clone(),
                    partition: *index,
                    state: new_state,
                    expected_version: state.zk_version,
                });
            }
        }
        if any_completed {
            actions.push(ControllerAction::WriteAssignment {
                topic: name.clone(),
                record: completed.to_assignment(),
                expected_version: topic.zk_version,
                states,
            });
        }
    }
    actions
}

/// A completed reassignment: the final replicas and the new state, if it changes.
struct Completion {
    replicas: Vec<i32>,
    state: Option<PartitionState>,
}

fn complete(
    image: &MetadataImage,
    partition: &PartitionImage,
    state: &LeaderAndIsr,
    controller_epoch: i32,
) -> Option<Completion> {
    let target = partition.target_replicas();
    if target.is_empty() || !target.iter().all(|replica| state.isr.contains(replica)) {
        return None;
    }
    let (leader, leader_epoch) = if target.contains(&state.leader) {
        (state.leader, state.leader_epoch)
    } else {
        let leader = target
            .iter()
            .copied()
            .find(|replica| image.is_live(*replica) && state.isr.contains(replica))?;
        (leader, state.leader_epoch.saturating_add(1))
    };
    let isr: Vec<i32> = state
        .isr
        .iter()
        .copied()
        .filter(|member| target.contains(member))
        .collect();
    let new = (leader != state.leader || isr != state.isr)
        .then(|| new_state(leader, leader_epoch, isr, controller_epoch));
    Some(Completion {
        replicas: target,
        state: new,
    })
}

fn tidy(
    image: &MetadataImage,
    partition: &PartitionImage,
    state: &LeaderAndIsr,
    controller_epoch: i32,
) -> Option<PartitionState> {
    let replicas = &partition.replicas;
    if replicas.contains(&state.leader) && state.isr.iter().all(|id| replicas.contains(id)) {
        return None;
    }
    let isr: Vec<i32> = state
        .isr
        .iter()
        .copied()
        .filter(|member| replicas.contains(member))
        .collect();
    if isr.is_empty() {
        return None;
    }
    let (leader, leader_epoch) = if replicas.contains(&state.leader) {
        (state.leader, state.leader_epoch)
    } else {
        let leader = replicas
            .iter()
            .copied()
            .find(|replica| image.is_live(*replica) && isr.contains(replica))?;
        (leader, state.leader_epoch.saturating_add(1))
    };
    Some(new_state(leader, leader_epoch, isr, controller_epoch))
}

/// The partitions with a pending reassignment (ListPartitionReassignments), optionally
/// only those of `wanted`, in order.
pub fn ongoing(
    image: &MetadataImage,
    wanted: Option<&[TopicPartition]>,
) -> Vec<(TopicPartition, PartitionImage)> {
    let mut found = Vec::new();
    for (name, topic) in &image.topics {
        for (index, partition) in &topic.partitions {
            if !partition.is_reassigning() {
                continue;
            }
            let topic_partition = TopicPartition::new(name.clone(), *index);
            if wanted.is_some_and(|wanted| !wanted.contains(&topic_partition)) {
                continue;
            }
            found.push((topic_partition, partition.clone()));
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cluster::image::live_brokers as image;
    use common::zk_layout::TopicAssignment;

    fn state(leader: i32, isr: &[i32]) -> LeaderAndIsr {
        LeaderAndIsr {
            leader,
            leader_epoch: 5,
            isr: isr.to_vec(),
            controller_epoch: 1,
            zk_version: 11,
        }
    }

    fn add(image: &mut MetadataImage, partition: PartitionImage) {
        let topic = image.topics.entry("t".to_owned()).or_default();
        topic.zk_version = 3;
        let index = i32::try_from(topic.partitions.len()).unwrap();
        topic.partitions.insert(index, partition);
    }

    fn partition(
        replicas: &[i32],
        adding: &[i32],
        removing: &[i32],
        leader: i32,
        isr: &[i32],
    ) -> PartitionImage {
        PartitionImage {
            replicas: replicas.to_vec(),
            adding: adding.to_vec(),
            removing: removing.to_vec(),
            state: Some(state(leader, isr)),
        }
    }

    fn tp(partition: i32) -> TopicPartition {
        TopicPartition::new("t", partition)
    }

    fn request(partition: i32, target: Option<&[i32]>) -> ReassignmentRequest {
        ReassignmentRequest {
            partition: tp(partition),
            target: target.map(<[i32]>::to_vec),
        }
    }

    #[test]
    fn reassign_to_puts_the_target_first_and_names_adding_and_removing() {
        assert_eq!(
            reassign_to(&[0], &[1, 2]),
            (vec![1, 2, 0], vec![1, 2], vec![0])
        );
        assert_eq!(
            reassign_to(&[1, 2, 3], &[3, 4, 1]),
            (vec![3, 4, 1, 2], vec![4], vec![2])
        );
        assert_eq!(reassign_to(&[1, 2], &[2, 1]), (vec![2, 1], vec![], vec![]));
    }

    #[test]
    fn alter_records_the_target_in_the_topic_record() {
        let mut image = image(&[0, 1, 2]);
        add(&mut image, partition(&[0], &[], &[], 0, &[0]));
        add(&mut image, partition(&[1], &[], &[], 1, &[1]));
        let plan = plan_alter(&image, vec![request(0, Some(&[1, 2]))], true);
        assert_eq!(plan.outcomes[&tp(0)], Ok(()));
        let mut record = TopicAssignment::default();
        record.partitions.insert(0, vec![1, 2, 0]);
        record.partitions.insert(1, vec![1]);
        record.adding_replicas.insert(0, vec![1, 2]);
        record.removing_replicas.insert(0, vec![0]);
        assert_eq!(
            plan.actions,
            vec![ControllerAction::WriteAssignment {
                topic: "t".to_owned(),
                record,
                expected_version: 3,
                states: Vec::new(),
            }]
        );
    }

    #[test]
    fn a_new_target_replaces_a_pending_one_and_null_cancels() {
        let mut image = image(&[0, 1, 2, 3]);
        // Pending: original [0], target [1, 2].
        add(&mut image, partition(&[1, 2, 0], &[1, 2], &[0], 0, &[0, 1]));
        let plan = plan_alter(&image, vec![request(0, Some(&[3]))], true);
        let ControllerAction::WriteAssignment { record, .. } = &plan.actions[0] else {
            panic!("{plan:?}");
        };
        assert_eq!(record.partitions[&0], vec![3, 0]);
        assert_eq!(record.adding_replicas[&0], vec![3]);
        assert_eq!(record.removing_replicas[&0], vec![0]);
        let cancel = plan_alter(&image, vec![request(0, None)], true);
        let ControllerAction::WriteAssignment { record, .. } = &cancel.actions[0] else {
            panic!("{cancel:?}");
        };
        assert_eq!(record.partitions[&0], vec![0]);
        assert!(record.adding_replicas.is_empty() && record.removing_replicas.is_empty());
    }

    #[test]
    fn alter_refuses_bad_targets_with_kafkas_messages() {
        let mut image = image(&[0, 1]);
        add(&mut image, partition(&[0], &[], &[], 0, &[0]));
        let plan = plan_alter(
            &image,
            vec![
                request(0, Some(&[])),
                ReassignmentRequest {
                    partition: TopicPartition::new("other", 0),
                    target: Some(vec![1]),
                },
                request(4, Some(&[1])),
            ],
            true,
        );
        assert!(plan.actions.is_empty(), "{plan:?}");
        assert_eq!(
            plan.outcomes[&tp(0)],
            Err(ReassignmentError::EmptyReplicaList)
        );
        assert_eq!(
            plan.outcomes[&TopicPartition::new("other", 0)],
            Err(ReassignmentError::UnknownTopicOrPartition)
        );
        assert_eq!(
            plan.outcomes[&tp(4)],
            Err(ReassignmentError::UnknownTopicOrPartition)
        );
        let messages: Vec<String> = [
            request(0, Some(&[1, 1])),
            request(0, Some(&[-1])),
            request(0, Some(&[0, 7])),
            request(0, None),
        ]
        .into_iter()
        .map(|one| {
            plan_alter(&image, vec![one], true).outcomes[&tp(0)]
                .clone()
                .unwrap_err()
                .to_string()
        })
        .collect();
        assert_eq!(
            messages,
            vec![
                "Duplicate replica ids in partition reassignment replica list: [1, 1]",
                "Invalid broker id in replica list: [-1]",
                "Replica assignment has brokers that are not alive. Replica list: [7], live broker list: [0, 1]",
                "No partition reassignment is in progress.",
            ]
        );
        assert!(matches!(
            plan_alter(&image, vec![request(0, Some(&[0, 1]))], false).outcomes[&tp(0)],
            Err(ReassignmentError::ReplicationFactorChange { from: 1, to: 2, .. })
        ));
        assert_eq!(
            plan_alter(&image, vec![request(0, Some(&[1]))], false).outcomes[&tp(0)],
            Ok(())
        );
    }

    #[test]
    fn a_reassignment_waits_until_every_target_replica_is_in_the_isr() {
        let mut image = image(&[0, 1, 2]);
        add(&mut image, partition(&[1, 2, 0], &[1, 2], &[0], 0, &[0, 1]));
        assert!(plan_reassignments(&image, 4).is_empty());
    }

    #[test]
    fn completion_moves_leadership_into_the_target_and_rewrites_the_record() {
        let mut image = image(&[0, 1, 2]);
        add(
            &mut image,
            partition(&[1, 2, 0], &[1, 2], &[0], 0, &[0, 2, 1]),
        );
        add(&mut image, partition(&[2], &[], &[], 2, &[2]));
        let actions = plan_reassignments(&image, 4);
        let mut record = TopicAssignment::default();
        record.partitions.insert(0, vec![1, 2]);
        record.partitions.insert(1, vec![2]);
        assert_eq!(
            actions,
            vec![ControllerAction::WriteAssignment {
                topic: "t".to_owned(),
                record,
                expected_version: 3,
                states: vec![StateUpdate {
                    partition: 0,
                    state: new_state(1, 6, vec![2, 1], 4),
                    expected_version: 11,
                }],
            }]
        );
    }

    #[test]
    fn removing_a_follower_completes_at_once_without_a_leader_change() {
        let mut image = image(&[0, 1, 2]);
        add(&mut image, partition(&[0, 1, 2], &[], &[2], 0, &[0, 1, 2]));
        let actions = plan_reassignments(&image, 4);
        let [ControllerAction::WriteAssignment { record, states, .. }] = &actions[..] else {
            panic!("{actions:?}");
        };
        assert_eq!(record.partitions[&0], vec![0, 1]);
        assert!(record.removing_replicas.is_empty());
        assert_eq!(states[0].state, new_state(0, 5, vec![0, 1], 4));
    }

    #[test]
    fn a_leaderless_partition_waits_for_the_ordinary_election() {
        let mut image = image(&[1, 2]);
        add(
            &mut image,
            partition(&[1, 2, 0], &[1, 2], &[0], 0, &[0, 1, 2]),
        );
        assert!(plan_reassignments(&image, 4).is_empty());
    }

    #[test]
    fn a_cancelled_reassignment_leaves_the_isr_and_leader_to_the_replicas() {
        let mut image = image(&[0, 1, 2]);
        add(&mut image, partition(&[0], &[], &[], 1, &[0, 1]));
        add(&mut image, partition(&[0, 1], &[], &[], 0, &[0, 1, 2]));
        add(&mut image, partition(&[0, 1], &[], &[], 0, &[0, 1]));
        assert_eq!(
            plan_reassignments(&image, 4),
            vec![
                ControllerAction::UpdatePartitionState {
                    topic: "t".to_owned(),
                    partition: 0,
                    state: new_state(0, 6, vec![0], 4),
                    expected_version: 11,
                },
                ControllerAction::UpdatePartitionState {
                    topic: "t".to_owned(),
                    partition: 1,
                    state: new_state(0, 5, vec![0, 1], 4),
                    expected_version: 11,
                },
            ]
        );
    }

    #[test]
    fn ongoing_lists_pending_partitions() {
        let mut image = image(&[0, 1]);
        add(&mut image, partition(&[1, 0], &[1], &[0], 0, &[0]));
        add(&mut image, partition(&[1], &[], &[], 1, &[1]));
        let all = ongoing(&image, None);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, tp(0));
        assert!(ongoing(&image, Some(&[tp(1)])).is_empty());
    }
}
