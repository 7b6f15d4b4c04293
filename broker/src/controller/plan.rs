//! What the controller must change, decided from a [`MetadataImage`] alone (no I/O). A
//! broker is *eligible* when it is live (registered) and not in controlled shutdown.
//!
//! - a topic under `/admin/delete_topics` is deleted (its assignment, partition states and
//!   config), or only its marker is removed when the topic is already gone; nothing else is
//!   done for it;
//! - a partition without state gets one: leader = the first eligible replica in assignment
//!   order, ISR = the eligible replicas, leader epoch 0 (none is written while no replica is
//!   eligible);
//! - a partition whose leader is not eligible (or that has no leader) gets a new leader: the
//!   first replica in assignment order that is eligible and in the ISR; the ISR shrinks to
//!   its eligible members, keeping the last member when none is (unclean election is off, so
//!   a partition whose whole ISR is down waits with leader -1 for one of them to return). A
//!   leader in controlled shutdown with no eligible ISR member to take over keeps leading;
//!   With `unclean.leader.election.enable` (the topic's, else the broker default the
//!   controller passes), such a partition takes its first eligible replica as leader and
//!   sole ISR member instead, accepting the loss of what only the ISR had;
//! - a partition with an eligible leader loses the ISR members that are not eligible (a
//!   follower died or is shutting down), so acks=all writes stop waiting for them at once;
//! - pending reassignments are completed, and partitions a cancelled one left behind are
//!   tidied ([`super::reassign::plan_reassignments`]).
//!
//! Each change bumps the leader epoch and is written conditionally on the state node's
//! version.

use common::zk_layout::{LeaderRecoveryState, PartitionState, TopicAssignment};

use crate::cluster::image::{LeaderAndIsr, MetadataImage, PartitionImage};

/// One change to make in the coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerAction {
    /// Create `/brokers/topics/<t>/partitions/<p>/state`.
    CreatePartitionState {
        topic: String,
        partition: i32,
        state: PartitionState,
    },
    /// Overwrite the state node if its version is still `expected_version`.
    UpdatePartitionState {
        topic: String,
        partition: i32,
        state: PartitionState,
        expected_version: i32,
    },
    /// Delete the topic's znodes, its config, then its deletion marker.
    DeleteTopic { topic: String },
    /// Remove a deletion marker whose topic does not exist.
    RemoveDeletionMarker { topic: String },
    /// Overwrite `/brokers/topics/<t>` with `record` if its version is still
    /// `expected_version`, together with `states` (each conditional on its own version), in
    /// one write: a reassignment recorded, completed or cancelled.
    WriteAssignment {
        topic: String,
        record: TopicAssignment,
        expected_version: i32,
        states: Vec<super::reassign::StateUpdate>,
    },
}

/// The changes that bring `image` to the state the controller wants;
/// `unclean_default` is the broker's `unclean.leader.election.enable`.
pub fn plan(
    image: &MetadataImage,
    controller_epoch: i32,
    unclean_default: bool,
) -> Vec<ControllerAction> {
    let mut actions = Vec::new();
    for topic in &image.topics_marked_for_deletion {
        if image.topics.contains_key(topic) {
            actions.push(ControllerAction::DeleteTopic {
                topic: topic.clone(),
            });
        } else {
            actions.push(ControllerAction::RemoveDeletionMarker {
                topic: topic.clone(),
            });
        }
    }
    for (name, topic) in &image.topics {
        if image.topics_marked_for_deletion.contains(name) {
            continue;
        }
        for (index, partition) in &topic.partitions {
            let unclean = topic
                .config
                .get("unclean.leader.election.enable")
                .map_or(unclean_default, |value| value.eq_ignore_ascii_case("true"));
            let context = PartitionContext {
                topic: name,
                partition: *index,
                controller_epoch,
                unclean,
            };
            if let Some(action) = plan_partition(image, &context, partition) {
                actions.push(action);
            }
        }
    }
    actions.extend(super::reassign::plan_reassignments(image, controller_epoch));
    actions
}

/// One partition's name and what the plan applies to it.
struct PartitionContext<'a> {
    topic: &'a str,
    partition: i32,
    controller_epoch: i32,
    /// Unclean leader election allowed.
    unclean: bool,
}

fn plan_partition(
    image: &MetadataImage,
    context: &PartitionContext<'_>,
    current: &PartitionImage,
) -> Option<ControllerAction> {
    let PartitionContext {
        topic,
        partition,
        controller_epoch,
        unclean,
    } = *context;
    let live: Vec<i32> = current
        .replicas
        .iter()
        .copied()
        .filter(|replica| image.is_eligible(*replica))
        .collect();
    match &current.state {
        None => {
            let leader = *live.first()?;
            Some(ControllerAction::CreatePartitionState {
                topic: topic.to_owned(),
                partition,
                state: new_state(leader, 0, live, controller_epoch),
            })
        }
        Some(state) => {
            let (leader, isr) = if state.leader >= 0 && image.is_eligible(state.leader) {
                let isr: Vec<i32> = state
                    .isr
                    .iter()
                    .copied()
                    .filter(|member| *member == state.leader || image.is_eligible(*member))
                    .collect();
                (state.leader, isr)
            } else {
                let (leader, isr) =
                    elect_leader(&current.replicas, state, |id| image.is_eligible(id));
                if leader < 0 && state.leader >= 0 && image.is_live(state.leader) {
                    // A leader shutting down with nobody to take over keeps leading.
                    return None;
                }
                match live.first() {
                    Some(first) if leader < 0 && unclean => {
                        tracing::warn!(
                            "Unclean leader election: {topic}-{partition} has no live in-sync replica; {first} leads with what it has"
                        );
                        (*first, vec![*first])
                    }
                    _ => (leader, isr),
                }
            };
            if leader == state.leader && isr == state.isr {
                return None;
            }
            Some(ControllerAction::UpdatePartitionState {
                topic: topic.to_owned(),
                partition,
                state: new_state(
                    leader,
                    state.leader_epoch.saturating_add(1),
                    isr,
                    controller_epoch,
                ),
                expected_version: state.zk_version,
            })
        }
    }
}

/// The new leader (-1 for none) and ISR of a partition whose leader is gone.
pub fn elect_leader(
    replicas: &[i32],
    state: &LeaderAndIsr,
    is_live: impl Fn(i32) -> bool,
) -> (i32, Vec<i32>) {
    let live_isr: Vec<i32> = state
        .isr
        .iter()
        .copied()
        .filter(|member| is_live(*member))
        .collect();
    let leader = replicas
        .iter()
        .copied()
        .find(|replica| live_isr.contains(replica))
        .or_else(|| live_isr.first().copied())
        .unwrap_or(-1);
    let isr = if live_isr.is_empty() {
        // Kafka keeps the last ISR member so that it can lead again when it returns.
        state.isr.iter().copied().take(1).collect()
    } else {
        live_isr
    };
    (leader, isr)
}

/// A partition state written by this controller (leader recovery: recovered).
pub(crate) fn new_state(
    leader: i32,
    leader_epoch: i32,
    isr: Vec<i32>,
    controller_epoch: i32,
) -> PartitionState {
    PartitionState {
        leader,
        leader_epoch,
        controller_epoch,
        isr,
        leader_recovery_state: LeaderRecoveryState::Recovered,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cluster::image::live_brokers as image;

    fn add_partition(image: &mut MetadataImage, replicas: &[i32], state: Option<LeaderAndIsr>) {
        let topic = image.topics.entry("t".to_owned()).or_default();
        let index = i32::try_from(topic.partitions.len()).unwrap();
        topic.partitions.insert(
            index,
            PartitionImage {
                state,
                ..PartitionImage::new(replicas.to_vec())
            },
        );
    }

    fn state(leader: i32, epoch: i32, isr: &[i32]) -> LeaderAndIsr {
        LeaderAndIsr {
            leader,
            leader_epoch: epoch,
            isr: isr.to_vec(),
            controller_epoch: 1,
            zk_version: 4,
        }
    }

    #[test]
    fn new_partitions_get_the_first_live_replica_as_leader() {
        let mut image = image(&[2, 3]);
        add_partition(&mut image, &[1, 2, 3], None);
        let actions = plan(&image, 7, false);
        assert_eq!(
            actions,
            vec![ControllerAction::CreatePartitionState {
                topic: "t".to_owned(),
                partition: 0,
                state: new_state(2, 0, vec![2, 3], 7),
            }]
        );
    }

    #[test]
    fn partitions_without_live_replicas_wait() {
        let mut image = image(&[5]);
        add_partition(&mut image, &[1, 2], None);
        assert!(plan(&image, 1, false).is_empty());
    }

    #[test]
    fn a_dead_leader_is_replaced_from_the_isr_with_a_bumped_epoch() {
        let mut image = image(&[2, 3]);
        add_partition(&mut image, &[1, 3, 2], Some(state(1, 4, &[1, 2, 3])));
        let actions = plan(&image, 2, false);
        assert_eq!(
            actions,
            vec![ControllerAction::UpdatePartitionState {
                topic: "t".to_owned(),
                partition: 0,
                state: new_state(3, 5, vec![2, 3], 2),
                expected_version: 4,
            }]
        );
    }

    #[test]
    fn a_live_leader_is_left_alone() {
        let mut image = image(&[1]);
        add_partition(&mut image, &[1], Some(state(1, 0, &[1])));
        assert!(plan(&image, 1, false).is_empty());
    }

    #[test]
    fn without_a_live_isr_member_the_leader_becomes_none_and_the_isr_keeps_one() {
        let (leader, isr) = elect_leader(&[1, 2], &state(1, 0, &[1, 2]), |_| false);
        assert_eq!((leader, isr), (-1, vec![1]));
        // Once the partition shows leader -1 and ISR [1], nothing changes until 1 returns.
        let mut waiting = image(&[2]);
        add_partition(&mut waiting, &[1, 2], Some(state(-1, 1, &[1])));
        assert!(plan(&waiting, 1, false).is_empty());
        let mut back = image(&[1, 2]);
        add_partition(&mut back, &[1, 2], Some(state(-1, 1, &[1])));
        assert!(matches!(
            &plan(&back, 1, false)[..],
            [ControllerAction::UpdatePartitionState { state, .. }] if state.leader == 1 && state.leader_epoch == 2
        ));
    }

    #[test]
    fn dead_followers_leave_the_isr_with_an_epoch_bump() {
        let mut image = image(&[1, 2]);
        add_partition(&mut image, &[1, 2, 3], Some(state(1, 4, &[1, 2, 3])));
        assert_eq!(
            plan(&image, 2, false),
            vec![ControllerAction::UpdatePartitionState {
                topic: "t".to_owned(),
                partition: 0,
                state: new_state(1, 5, vec![1, 2], 2),
                expected_version: 4,
            }]
        );
    }

    #[test]
    fn a_broker_shutting_down_hands_over_leadership_and_leaves_isrs() {
        let mut image = image(&[1, 2, 3]);
        image.shutting_down.insert(1);
        add_partition(&mut image, &[1, 2, 3], Some(state(1, 4, &[1, 2, 3])));
        add_partition(&mut image, &[2, 1], Some(state(2, 0, &[2, 1])));
        add_partition(&mut image, &[1], Some(state(1, 0, &[1])));
        let actions = plan(&image, 3, false);
        assert_eq!(
            actions,
            vec![
                ControllerAction::UpdatePartitionState {
                    topic: "t".to_owned(),
                    partition: 0,
                    state: new_state(2, 5, vec![2, 3], 3),
                    expected_version: 4,
                },
                ControllerAction::UpdatePartitionState {
                    topic: "t".to_owned(),
                    partition: 1,
                    state: new_state(2, 1, vec![2], 3),
                    expected_version: 4,
                },
            ],
            "the single-replica partition keeps its leader"
        );
    }

    #[test]
    fn unclean_election_takes_a_live_out_of_sync_replica_when_allowed() {
        let mut image = image(&[2]);
        add_partition(&mut image, &[1, 2], Some(state(1, 3, &[1])));
        // Clean: no leader until 1 returns.
        assert!(matches!(
            &plan(&image, 1, false)[..],
            [ControllerAction::UpdatePartitionState { state, .. }] if state.leader == -1 && state.isr == vec![1]
        ));
        let expected = vec![ControllerAction::UpdatePartitionState {
            topic: "t".to_owned(),
            partition: 0,
            state: new_state(2, 4, vec![2], 1),
            expected_version: 4,
        }];
        assert_eq!(plan(&image, 1, true), expected);
        // The topic's own setting wins over the broker default.
        image.topics.get_mut("t").unwrap().config.insert(
            "unclean.leader.election.enable".to_owned(),
            "true".to_owned(),
        );
        assert_eq!(plan(&image, 1, false), expected);
    }

    #[test]
    fn marked_topics_are_deleted_and_stale_markers_removed() {
        let mut image = image(&[1]);
        add_partition(&mut image, &[1], None);
        image.topics_marked_for_deletion.insert("t".to_owned());
        image.topics_marked_for_deletion.insert("gone".to_owned());
        let actions = plan(&image, 1, false);
        assert_eq!(
            actions,
            vec![
                ControllerAction::RemoveDeletionMarker {
                    topic: "gone".to_owned()
                },
                ControllerAction::DeleteTopic {
                    topic: "t".to_owned()
                },
            ]
        );
    }
}
