//! Replica assignment for new topics and new partitions: Kafka's round robin
//! (`AdminUtils.assignReplicasToBrokers`), so a cluster of our brokers spreads replicas the
//! way a Kafka cluster would.
//!
//! Rack-unaware ([`assign_replicas`]), with brokers sorted ascending and `n` of them:
//! partition `p`'s first replica is broker `(p + start) % n`; the following replicas step
//! from it by a shift of `1 + (shift_base + j) % (n - 1)`, where `shift_base` grows by one
//! after every `n` partitions, so followers do not always trail the same leader. `start`
//! and `shift_base` are random for a new topic and fixed (the index of partition 0's
//! leader) when a topic grows.
//!
//! Rack-aware ([`assign_replicas_rack_aware`], when every broker has a rack): the brokers
//! are first arranged alternating racks (racks sorted, each rack's brokers ascending:
//! rack a: 0,1 and rack b: 2,3 give 0,2,1,3); leaders go round robin over that list as
//! above; each follower is the next broker along the shifted walk whose rack holds no
//! replica of the partition yet (once every rack holds one, any broker without one), so a
//! partition's replicas sit on distinct racks whenever there are at least as many racks as
//! replicas. [`assign`] picks between the two; brokers only some of which have a rack are
//! refused, as Kafka refuses them. No I/O; randomness is passed in.

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
    #[error("Not all brokers have rack information for replica rack aware assignment.")]
    MixedRacks { without_rack: Vec<i32> },
}

/// A broker that can hold replicas, with its `broker.rack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRack {
    pub id: i32,
    pub rack: Option<String>,
}

/// Kafka's assignment over `brokers`: rack-aware when every broker has a rack, rack-unaware
/// when none has; `start` seeds both the first leader and the follower shift.
pub fn assign(
    brokers: &[BrokerRack],
    partitions: i32,
    replication_factor: i32,
    first_partition: i32,
    start: usize,
) -> Result<BTreeMap<i32, Vec<i32>>, AssignmentError> {
    let racked: Vec<(i32, String)> = brokers
        .iter()
        .filter_map(|broker| broker.rack.clone().map(|rack| (broker.id, rack)))
        .collect();
    if racked.is_empty() {
        let ids: Vec<i32> = brokers.iter().map(|broker| broker.id).collect();
        return assign_replicas(&ids, partitions, replication_factor, first_partition, start);
    }
    if racked.len() != brokers.len() {
        return Err(AssignmentError::MixedRacks {
            without_rack: brokers
                .iter()
                .filter(|broker| broker.rack.is_none())
                .map(|broker| broker.id)
                .collect(),
        });
    }
    assign_replicas_rack_aware(
        &racked,
        partitions,
        replication_factor,
        first_partition,
        start,
        start,
    )
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
    let mut sorted = brokers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let count = sorted.len();
    let factor = checked_factor(partitions, replication_factor, count)?;
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

/// Both assignments' argument checks; the replication factor as a count.
fn checked_factor(
    partitions: i32,
    replication_factor: i32,
    brokers: usize,
) -> Result<usize, AssignmentError> {
    if partitions <= 0 {
        return Err(AssignmentError::NoPartitions);
    }
    if replication_factor <= 0 {
        return Err(AssignmentError::NoReplicas);
    }
    let factor = usize::try_from(replication_factor).unwrap_or(usize::MAX);
    if factor > brokers {
        return Err(AssignmentError::NotEnoughBrokers {
            replication_factor,
            brokers,
        });
    }
    Ok(factor)
}

/// The brokers alternating racks: racks in name order, each rack's brokers ascending,
/// one broker of each rack in turn.
pub fn rack_alternated(brokers: &[(i32, String)]) -> Vec<i32> {
    let mut by_rack: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (id, rack) in brokers {
        by_rack.entry(rack.as_str()).or_default().push(*id);
    }
    for ids in by_rack.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    let mut arranged = Vec::new();
    let longest = by_rack.values().map(Vec::len).max().unwrap_or(0);
    for round in 0..longest {
        for ids in by_rack.values() {
            arranged.extend(ids.get(round).copied());
        }
    }
    arranged
}

/// Kafka's rack-aware assignment (see the module docs): `start` picks the first leader's
/// index in the rack-alternated list, `shift` the initial follower shift.
pub fn assign_replicas_rack_aware(
    brokers: &[(i32, String)],
    partitions: i32,
    replication_factor: i32,
    first_partition: i32,
    start: usize,
    shift: usize,
) -> Result<BTreeMap<i32, Vec<i32>>, AssignmentError> {
    let arranged = rack_alternated(brokers);
    let count = arranged.len();
    let factor = checked_factor(partitions, replication_factor, count)?;
    let rack_of: BTreeMap<i32, &str> = brokers
        .iter()
        .map(|(id, rack)| (*id, rack.as_str()))
        .collect();
    let rack_count = rack_of
        .values()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let start = start % count;
    let mut shift_base = shift % count;
    let mut assignment = BTreeMap::new();
    let first = usize::try_from(first_partition.max(0)).unwrap_or(0);
    let partitions = usize::try_from(partitions).unwrap_or(0);
    for partition in first..first.saturating_add(partitions) {
        if partition > 0 && partition % count == 0 {
            shift_base += 1;
        }
        let first_index = (partition + start) % count;
        let Some(leader) = arranged.get(first_index).copied() else {
            break;
        };
        let mut replicas = vec![leader];
        let mut racks_used: Vec<&str> = rack_of.get(&leader).copied().into_iter().collect();
        let mut step = 0;
        // Each follower is found within one walk over the other brokers; the bound only
        // guards against a walk that cannot end.
        while replicas.len() < factor && step < count * count {
            let offset = 1 + (shift_base * rack_count + step) % (count - 1).max(1);
            step += 1;
            let Some(candidate) = arranged.get((first_index + offset) % count).copied() else {
                continue;
            };
            let rack = rack_of.get(&candidate).copied().unwrap_or_default();
            let rack_free = !racks_used.contains(&rack) || racks_used.len() == rack_count;
            let broker_free = !replicas.contains(&candidate) || replicas.len() == count;
            if rack_free && broker_free {
                replicas.push(candidate);
                if !racks_used.contains(&rack) {
                    racks_used.push(rack);
                }
            }
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

    fn racks(list: &[(i32, &str)]) -> Vec<(i32, String)> {
        list.iter()
            .map(|(id, rack)| (*id, (*rack).to_owned()))
            .collect()
    }

    #[test]
    fn brokers_alternate_racks() {
        let brokers = racks(&[
            (0, "r1"),
            (1, "r1"),
            (2, "r1"),
            (3, "r2"),
            (4, "r2"),
            (5, "r2"),
            (6, "r3"),
            (7, "r3"),
            (8, "r3"),
        ]);
        assert_eq!(rack_alternated(&brokers), vec![0, 3, 6, 1, 4, 7, 2, 5, 8]);
        let uneven = racks(&[(5, "b"), (1, "a"), (2, "a"), (3, "a")]);
        assert_eq!(rack_alternated(&uneven), vec![1, 5, 2, 3]);
    }

    #[test]
    fn rack_aware_replicas_sit_on_distinct_racks_and_leaders_spread_evenly() {
        let brokers = racks(&[(0, "a"), (1, "a"), (2, "b"), (3, "b"), (4, "c"), (5, "c")]);
        let rack = |id: i32| {
            brokers
                .iter()
                .find(|(broker, _)| *broker == id)
                .unwrap()
                .1
                .clone()
        };
        for start in 0..6 {
            let assignment = assign_replicas_rack_aware(&brokers, 12, 3, 0, start, start).unwrap();
            let mut leaders: BTreeMap<i32, usize> = BTreeMap::new();
            for replicas in assignment.values() {
                assert_eq!(replicas.len(), 3);
                let mut seen: Vec<String> = replicas.iter().map(|id| rack(*id)).collect();
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), 3, "{replicas:?}");
                *leaders.entry(replicas[0]).or_default() += 1;
            }
            assert_eq!(leaders.len(), 6);
            assert!(leaders.values().all(|count| *count == 2), "{leaders:?}");
        }
    }

    #[test]
    fn with_fewer_racks_than_replicas_every_rack_is_used_and_brokers_stay_distinct() {
        let brokers = racks(&[(0, "a"), (1, "a"), (2, "b"), (3, "b")]);
        let assignment = assign_replicas_rack_aware(&brokers, 4, 3, 0, 1, 2).unwrap();
        for replicas in assignment.values() {
            let mut unique = replicas.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), 3, "{replicas:?}");
            assert!(replicas.iter().any(|id| *id < 2) && replicas.iter().any(|id| *id >= 2));
        }
    }

    #[test]
    fn assign_chooses_by_racks_and_refuses_mixed_ones() {
        let plain = [
            BrokerRack { id: 1, rack: None },
            BrokerRack { id: 2, rack: None },
        ];
        assert_eq!(
            assign(&plain, 2, 1, 0, 0).unwrap(),
            assign_replicas(&[1, 2], 2, 1, 0, 0).unwrap()
        );
        let mixed = [
            BrokerRack {
                id: 1,
                rack: Some("a".to_owned()),
            },
            BrokerRack { id: 2, rack: None },
        ];
        let error = assign(&mixed, 2, 1, 0, 0).unwrap_err();
        assert_eq!(
            error,
            AssignmentError::MixedRacks {
                without_rack: vec![2]
            }
        );
        assert_eq!(
            error.to_string(),
            "Not all brokers have rack information for replica rack aware assignment."
        );
        let racked = [
            BrokerRack {
                id: 1,
                rack: Some("a".to_owned()),
            },
            BrokerRack {
                id: 2,
                rack: Some("b".to_owned()),
            },
        ];
        let assignment = assign(&racked, 4, 2, 0, 0).unwrap();
        assert!(assignment.values().all(|replicas| replicas.len() == 2));
        assert_eq!(
            assign_replicas_rack_aware(&racks(&[(1, "a")]), 1, 2, 0, 0, 0).unwrap_err(),
            AssignmentError::NotEnoughBrokers {
                replication_factor: 2,
                brokers: 1
            }
        );
    }

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
