//! Client-side partition assignors of the eager rebalance protocol: Kafka's `range` and
//! `roundrobin`. The group leader runs the assignor the coordinator chose (the first
//! protocol every member supports, in the leader's preference order) over every member's
//! [`Subscription`] and the partition counts of the subscribed topics, and sends the result
//! through SyncGroup.
//!
//! Member order: members sort by `group.instance.id` when they have one (static members
//! first, by instance id) and then by member id, as Kafka's assignors order them, so that
//! every leader computes the same plan for the same group.

use std::collections::{BTreeMap, BTreeSet};

use super::consumer_protocol::{Assignment, Subscription};

/// An assignment strategy (`partition.assignment.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignor {
    /// Per topic, consecutive partition ranges; the first members get one more when the
    /// partitions do not divide evenly.
    Range,
    /// All subscribed partitions dealt one by one to the members, skipping members not
    /// subscribed to the partition's topic.
    RoundRobin,
}

/// One member as the assignor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub subscription: Subscription,
}

impl Assignor {
    /// The protocol name in JoinGroup (`range`, `roundrobin`).
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
        }
    }

    /// Parses a protocol name or one of Kafka's assignor class names.
    pub fn from_name(name: &str) -> Option<Assignor> {
        match name.trim() {
            "range" | "org.apache.kafka.clients.consumer.RangeAssignor" => Some(Assignor::Range),
            "roundrobin" | "org.apache.kafka.clients.consumer.RoundRobinAssignor" => {
                Some(Assignor::RoundRobin)
            }
            _ => None,
        }
    }

    /// The assignment of every member (members subscribed to nothing that exists get an
    /// empty one). `partitions` holds the partition count of each subscribed topic; topics
    /// missing from it are skipped.
    pub fn assign(
        self,
        members: &[MemberSubscription],
        partitions: &BTreeMap<String, i32>,
    ) -> BTreeMap<String, Assignment> {
        let mut ordered: Vec<&MemberSubscription> = members.iter().collect();
        ordered.sort_by(|left, right| member_order(left, right));
        let mut result: BTreeMap<String, Assignment> = members
            .iter()
            .map(|member| (member.member_id.clone(), Assignment::default()))
            .collect();
        match self {
            Assignor::Range => assign_range(&ordered, partitions, &mut result),
            Assignor::RoundRobin => assign_round_robin(&ordered, partitions, &mut result),
        }
        result
    }
}

/// Static members (by instance id) before dynamic ones, then by member id.
fn member_order(left: &MemberSubscription, right: &MemberSubscription) -> std::cmp::Ordering {
    match (&left.group_instance_id, &right.group_instance_id) {
        (Some(a), Some(b)) => a.cmp(b).then_with(|| left.member_id.cmp(&right.member_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => left.member_id.cmp(&right.member_id),
    }
}

fn subscribes(member: &MemberSubscription, topic: &str) -> bool {
    member.subscription.topics.iter().any(|name| name == topic)
}

fn give(result: &mut BTreeMap<String, Assignment>, member: &str, topic: &str, partition: i32) {
    if let Some(assignment) = result.get_mut(member) {
        assignment
            .partitions
            .entry(topic.to_string())
            .or_default()
            .push(partition);
    }
}

fn assign_range(
    ordered: &[&MemberSubscription],
    partitions: &BTreeMap<String, i32>,
    result: &mut BTreeMap<String, Assignment>,
) {
    for (topic, &count) in partitions {
        let consumers: Vec<&&MemberSubscription> = ordered
            .iter()
            .filter(|member| subscribes(member, topic))
            .collect();
        let Ok(consumer_count) = i32::try_from(consumers.len()) else {
            continue;
        };
        if consumer_count == 0 || count <= 0 {
            continue;
        }
        let per_consumer = count / consumer_count;
        let extra = count % consumer_count;
        let mut start = 0;
        for (index, member) in consumers.iter().enumerate() {
            let index = i32::try_from(index).unwrap_or(i32::MAX);
            let length = per_consumer + i32::from(index < extra);
            for partition in start..start + length {
                give(result, &member.member_id, topic, partition);
            }
            start += length;
        }
    }
}

fn assign_round_robin(
    ordered: &[&MemberSubscription],
    partitions: &BTreeMap<String, i32>,
    result: &mut BTreeMap<String, Assignment>,
) {
    if ordered.is_empty() {
        return;
    }
    // Only topics someone subscribes to take part; BTreeMap order is Kafka's sorted order.
    let subscribed: BTreeSet<&str> = ordered
        .iter()
        .flat_map(|member| member.subscription.topics.iter().map(String::as_str))
        .collect();
    let mut next = 0usize;
    for (topic, &count) in partitions {
        if !subscribed.contains(topic.as_str()) {
            continue;
        }
        for partition in 0..count.max(0) {
            // Walk the circle from where the last partition went to the next subscriber.
            for step in 0..ordered.len() {
                let index = (next + step) % ordered.len();
                let Some(member) = ordered.get(index) else {
                    continue;
                };
                if subscribes(member, topic) {
                    give(result, &member.member_id, topic, partition);
                    next = index + 1;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn member(id: &str, topics: &[&str]) -> MemberSubscription {
        MemberSubscription {
            member_id: id.to_string(),
            group_instance_id: None,
            subscription: Subscription::new(topics.iter().map(|t| t.to_string()).collect()),
        }
    }

    fn counts(list: &[(&str, i32)]) -> BTreeMap<String, i32> {
        list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    fn of(result: &BTreeMap<String, Assignment>, member: &str) -> Vec<(String, i32)> {
        result[member].topic_partitions()
    }

    fn tp(list: &[(&str, i32)]) -> Vec<(String, i32)> {
        list.iter().map(|(t, p)| (t.to_string(), *p)).collect()
    }

    #[test]
    fn range_gives_the_first_members_the_extra_partitions_per_topic() {
        let members = [member("c1", &["t0", "t1"]), member("c0", &["t0", "t1"])];
        let result = Assignor::Range.assign(&members, &counts(&[("t0", 3), ("t1", 3)]));
        // Kafka's documented example: C0 gets t0p0, t0p1, t1p0, t1p1; C1 gets t0p2, t1p2.
        assert_eq!(
            of(&result, "c0"),
            tp(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)])
        );
        assert_eq!(of(&result, "c1"), tp(&[("t0", 2), ("t1", 2)]));
    }

    #[test]
    fn range_only_counts_subscribers_of_each_topic() {
        let members = [member("a", &["x"]), member("b", &["x", "y"])];
        let result = Assignor::Range.assign(&members, &counts(&[("x", 2), ("y", 2)]));
        assert_eq!(of(&result, "a"), tp(&[("x", 0)]));
        assert_eq!(of(&result, "b"), tp(&[("x", 1), ("y", 0), ("y", 1)]));
    }

    #[test]
    fn more_members_than_partitions_leave_some_empty() {
        let members = [
            member("a", &["t"]),
            member("b", &["t"]),
            member("c", &["t"]),
        ];
        let result = Assignor::Range.assign(&members, &counts(&[("t", 2)]));
        assert_eq!(of(&result, "a"), tp(&[("t", 0)]));
        assert_eq!(of(&result, "b"), tp(&[("t", 1)]));
        assert!(result["c"].is_empty());
        let result = Assignor::RoundRobin.assign(&members, &counts(&[("t", 2)]));
        assert!(result["c"].is_empty());
    }

    #[test]
    fn round_robin_deals_all_partitions_in_turn() {
        let members = [member("c1", &["t0", "t1"]), member("c0", &["t0", "t1"])];
        let result = Assignor::RoundRobin.assign(&members, &counts(&[("t0", 3), ("t1", 3)]));
        // Kafka's documented example: C0 gets t0p0, t0p2, t1p1; C1 gets t0p1, t1p0, t1p2.
        assert_eq!(of(&result, "c0"), tp(&[("t0", 0), ("t0", 2), ("t1", 1)]));
        assert_eq!(of(&result, "c1"), tp(&[("t0", 1), ("t1", 0), ("t1", 2)]));
    }

    #[test]
    fn round_robin_skips_members_not_subscribed() {
        // Kafka's example with differing subscriptions.
        let members = [
            member("c0", &["t0"]),
            member("c1", &["t0", "t1"]),
            member("c2", &["t0", "t1", "t2"]),
        ];
        let result =
            Assignor::RoundRobin.assign(&members, &counts(&[("t0", 1), ("t1", 2), ("t2", 3)]));
        assert_eq!(of(&result, "c0"), tp(&[("t0", 0)]));
        assert_eq!(of(&result, "c1"), tp(&[("t1", 0)]));
        assert_eq!(
            of(&result, "c2"),
            tp(&[("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)])
        );
    }

    #[test]
    fn static_members_sort_by_instance_id_first() {
        let mut first = member("zzz", &["t"]);
        first.group_instance_id = Some("a".to_string());
        let second = member("aaa", &["t"]);
        let result = Assignor::Range.assign(&[second, first], &counts(&[("t", 3)]));
        assert_eq!(of(&result, "zzz"), tp(&[("t", 0), ("t", 1)]));
        assert_eq!(of(&result, "aaa"), tp(&[("t", 2)]));
    }

    #[test]
    fn unknown_topics_are_skipped_and_names_parse() {
        let members = [member("a", &["missing"])];
        let result = Assignor::Range.assign(&members, &counts(&[]));
        assert!(result["a"].is_empty());
        assert_eq!(Assignor::from_name("range"), Some(Assignor::Range));
        assert_eq!(
            Assignor::from_name("org.apache.kafka.clients.consumer.RoundRobinAssignor"),
            Some(Assignor::RoundRobin)
        );
        assert_eq!(Assignor::from_name("cooperative-sticky"), None);
        assert_eq!(Assignor::RoundRobin.name(), "roundrobin");
    }
}
