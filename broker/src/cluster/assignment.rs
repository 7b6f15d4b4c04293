//! Replica assignment for new topics and new partitions: Kafka's rack-unaware round robin
//! (`AdminUtils.assignReplicasToBrokers`), so a cluster of our brokers spreads replicas the
//! way a Kafka cluster would.
//!
//! With brokers sorted ascending and `n` of them: partition `p`'s first replica is broker
//! `(p + start) % n`; the following replicas step from it by a shift of
//! `1 + (shift_base + j) % (n - 1)`, where `shift_base` grows by one after every `n`
//! partitions, so followers do not always trail the same leader. `start` and `shift_base`
//! are random for a new topic and fixed (the index of partition 0's leader) when a topic
//! grows. No I/O; randomness is passed in.

use std::collections::BTreeMap;

/// Why replicas cannot be assigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    #[error("Number of partitions must be larger than 0.")]
    NoPartitions,
    #[error("Replication factor must be larger than 0.")]
    NoReplicas,
    #[error("Replication factor: {replication_factor} larger than available brokers: {brokers}.")]
    NotEnoughBrokers {
        replication_factor: i32,
        brokers: usize,
    },
}

/// Assigns `partitions` partitions numbered from `first_partition`, `replication_factor`
/// replicas each, over `brokers`. `start` picks the first broker index and the initial
/// follower shift (Kafka: random for a new topic, partition 0's leader index when adding
/// partitions).
pub fn assign_replicas(
    brokers: &[i32],
    partitions: i32,
    replication_factor: i32,
    first_partition: i32,
    start: usize,
) -> Result<BTreeMap<i32, Vec<i32>>, AssignmentError> {
    if partitions <= 0 {
        return Err(AssignmentError::NoPartitions);
    }
    if replication_factor <= 0 {
        return Err(AssignmentError::NoReplicas);
    }
    let mut sorted = brokers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let count = sorted.len();
    let factor = usize::try_from(replication_factor).unwrap_or(usize::MAX);
    if factor > count {
        return Err(AssignmentError::NotEnoughBrokers {
            replication_factor,
            brokers: count,
        });
    }
    let start = start % count;
    let mut shift_base = start;
    let mut assignment = BTreeMap::new();
    let first = usize::try_from(first_partition.max(0)).unwrap_or(0);
    let partitions = usize::try_from(partitions).unwrap_or(0);
    for partition in first..first.saturating_add(partitions) {
        if partition > 0 && partition % count == 0 {
            shift_base += 1;
        }
        let first_index = (partition + start) % count;
        let mut replicas = Vec::with_capacity(factor);
        replicas.extend(sorted.get(first_index).copied());
        for follower in 0..factor.saturating_sub(1) {
            let shift = 1 + (shift_base + follower) % (count - 1);
            replicas.extend(sorted.get((first_index + shift) % count).copied());
        }
        let Ok(index) = i32::try_from(partition) else {
            break;
        };
        assignment.insert(index, replicas);
    }
    Ok(assignment)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_matches_kafka_for_five_brokers() {
        // Kafka's documented example: 5 brokers, 10 partitions, 3 replicas, start 0.
        let assignment = assign_replicas(&[4, 2, 0, 1, 3], 10, 3, 0, 0).unwrap();
        assert_eq!(assignment[&0], vec![0, 1, 2]);
        assert_eq!(assignment[&1], vec![1, 2, 3]);
        assert_eq!(assignment[&4], vec![4, 0, 1]);
        assert_eq!(assignment[&5], vec![0, 2, 3]);
        assert_eq!(assignment[&9], vec![4, 1, 2]);
        assert_eq!(assignment.len(), 10);
    }

    #[test]
    fn every_partition_gets_distinct_replicas() {
        for start in 0..4 {
            let assignment = assign_replicas(&[1, 2, 3, 4], 12, 3, 0, start).unwrap();
            for replicas in assignment.values() {
                let mut unique = replicas.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), 3, "{replicas:?}");
            }
        }
    }

    #[test]
    fn added_partitions_continue_the_numbering() {
        let assignment = assign_replicas(&[0], 2, 1, 3, 0).unwrap();
        assert_eq!(assignment.keys().copied().collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(assignment[&3], vec![0]);
    }

    #[test]
    fn too_few_brokers_is_refused_with_kafkas_message() {
        let error = assign_replicas(&[0], 1, 3, 0, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Replication factor: 3 larger than available brokers: 1."
        );
        assert_eq!(
            assign_replicas(&[0], 0, 1, 0, 0).unwrap_err(),
            AssignmentError::NoPartitions
        );
        assert_eq!(
            assign_replicas(&[0], 1, 0, 0, 0).unwrap_err(),
            AssignmentError::NoReplicas
        );
    }
}
