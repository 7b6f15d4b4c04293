//! The group state machine alone: time is passed in (instants the tests choose), waiting joins
//! and syncs are channels, nothing touches the network or the disk.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

fn config() -> GroupConfig {
    GroupConfig {
        initial_rebalance_delay: Duration::ZERO,
        ..GroupConfig::default()
    }
}

fn request(member_id: &str, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        member_id: member_id.to_owned(),
        group_instance_id: None,
        client_id: "client".to_owned(),
        client_host: "/127.0.0.1".to_owned(),
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(30),
        protocol_type: CONSUMER_PROTOCOL_TYPE.to_owned(),
        protocols: protocols
            .iter()
            .map(|name| ((*name).to_owned(), Bytes::from_static(b"meta")))
            .collect(),
        require_known_member_id: false,
    }
}

fn ids(prefix: &str) -> impl FnOnce(&str) -> String + '_ {
    move |_| prefix.to_owned()
}

fn pending(reply: Reply<JoinResult>) -> oneshot::Receiver<JoinResult> {
    match reply {
        Reply::Pending(receiver) => receiver,
        Reply::Ready(result) => panic!("expected to wait, got {result:?}"),
    }
}

fn answered(receiver: &mut oneshot::Receiver<JoinResult>) -> JoinResponse {
    receiver.try_recv().unwrap().unwrap()
}

#[test]
fn the_protocol_most_members_prefer_wins_and_only_the_leader_sees_members() {
    let mut group = Group::new("g", 0);
    let now = Instant::now();
    let mut a = pending(group.join(
        request("", &["range", "roundrobin"]),
        &config(),
        now,
        0,
        ids("a"),
    ));
    // With one member joined and waiting, the join completes at once.
    let first = answered(&mut a);
    assert_eq!(first.generation, 1);
    assert_eq!(first.protocol_name.as_deref(), Some("range"));
    // Two more members prefer roundrobin: the next generation picks it.
    let mut b = pending(group.join(
        request("", &["roundrobin", "range"]),
        &config(),
        now,
        0,
        ids("b"),
    ));
    assert_eq!(group.state, GroupState::PreparingRebalance);
    let mut c = pending(group.join(request("", &["roundrobin"]), &config(), now, 0, ids("c")));
    assert!(b.try_recv().is_err(), "a has not rejoined yet");
    let mut a = pending(group.join(
        request("a", &["range", "roundrobin"]),
        &config(),
        now,
        0,
        ids("x"),
    ));
    let (a, b, c) = (answered(&mut a), answered(&mut b), answered(&mut c));
    assert_eq!(group.state, GroupState::CompletingRebalance);
    for response in [&a, &b, &c] {
        assert_eq!(response.generation, 2);
        assert_eq!(response.protocol_name.as_deref(), Some("roundrobin"));
        assert_eq!(response.leader, "a");
    }
    assert_eq!(a.members.len(), 3);
    assert!(b.members.is_empty() && c.members.is_empty());
}

#[test]
fn members_that_do_not_rejoin_in_time_are_removed() {
    let mut group = Group::new("g", 0);
    let now = Instant::now();
    let mut a = pending(group.join(request("", &["range"]), &config(), now, 0, ids("a")));
    answered(&mut a);
    let SyncOutcome::Persist {
        generation,
        assignments,
        ..
    } = group.sync("a", 1, None, None, None, BTreeMap::new(), now)
    else {
        panic!("the leader's sync is written first");
    };
    group.complete_sync(generation, &assignments, 0);
    assert_eq!(group.state, GroupState::Stable);
    // b joins; a never rejoins: at the rebalance timeout the round closes without a.
    let mut b = pending(group.join(request("", &["range"]), &config(), now, 0, ids("b")));
    let deadline = group.next_deadline().unwrap();
    assert_eq!(
        deadline,
        now + Duration::from_secs(10),
        "a's session comes first"
    );
    // a keeps heartbeating (REBALANCE_IN_PROGRESS) but does not rejoin.
    let later = now + Duration::from_secs(9);
    assert!(matches!(
        group.heartbeat("a", 1, None, later),
        Err(GroupError::RebalanceInProgress { .. })
    ));
    let timeout = now + Duration::from_secs(30);
    group.expire(&config(), timeout, 0);
    let b = answered(&mut b);
    assert_eq!(b.generation, 2);
    assert_eq!(b.leader, "b");
    assert_eq!(group.members.keys().collect::<Vec<_>>(), vec!["b"]);
    assert!(matches!(
        group.heartbeat("a", 2, None, timeout),
        Err(GroupError::UnknownMemberId { .. })
    ));
}

#[test]
fn the_initial_delay_restarts_with_each_new_member_up_to_the_rebalance_timeout() {
    let config = GroupConfig {
        initial_rebalance_delay: Duration::from_secs(3),
        ..GroupConfig::default()
    };
    let mut group = Group::new("g", 0);
    let now = Instant::now();
    let mut a = pending(group.join(request("", &["range"]), &config, now, 0, ids("a")));
    assert_eq!(group.next_deadline(), Some(now + Duration::from_secs(3)));
    // A new member two seconds in: the wait ends one delay after it.
    let second = now + Duration::from_secs(2);
    let mut b = pending(group.join(request("", &["range"]), &config, second, 0, ids("b")));
    let deadline = second + Duration::from_secs(3);
    assert_eq!(group.next_deadline(), Some(deadline));
    group.expire(&config, now + Duration::from_secs(3), 0);
    assert!(a.try_recv().is_err());
    // Nobody new since: the join completes with both.
    group.expire(&config, deadline, 0);
    assert_eq!(answered(&mut a).generation, 1);
    assert_eq!(answered(&mut b).members.len(), 0);
}

#[test]
fn the_initial_delay_never_passes_the_rebalance_timeout() {
    let config = GroupConfig {
        initial_rebalance_delay: Duration::from_secs(3),
        ..GroupConfig::default()
    };
    let mut group = Group::new("g", 0);
    let now = Instant::now();
    let mut short = request("", &["range"]);
    short.rebalance_timeout = Duration::from_secs(4);
    let mut a = pending(group.join(short, &config, now, 0, ids("a")));
    let later = now + Duration::from_millis(2500);
    let _b = pending(group.join(request("", &["range"]), &config, later, 0, ids("b")));
    // One delay after b would be 5.5 s; the rebalance timeout (4 s) comes first.
    assert_eq!(group.next_deadline(), Some(now + Duration::from_secs(4)));
    group.expire(&config, now + Duration::from_secs(4), 0);
    assert_eq!(answered(&mut a).generation, 1);
}

#[test]
fn member_id_required_reserves_a_place_until_the_session_timeout() {
    let config = GroupConfig {
        max_size: 1,
        ..config()
    };
    let mut group = Group::new("g", 0);
    let now = Instant::now();
    let mut first = request("", &["range"]);
    first.require_known_member_id = true;
    let Reply::Ready(Err(GroupError::MemberIdRequired { member_id })) =
        group.join(first.clone(), &config, now, 0, ids("client-1"))
    else {
        panic!("expected MEMBER_ID_REQUIRED");
    };
    assert_eq!(member_id, "client-1");
    // The reserved id counts towards group.max.size.
    let Reply::Ready(Err(GroupError::GroupMaxSizeReached { .. })) =
        group.join(first.clone(), &config, now, 0, ids("client-2"))
    else {
        panic!("expected GROUP_MAX_SIZE_REACHED");
    };
    // Unused, it expires with the session timeout and frees the place.
    group.expire(&config, now + Duration::from_secs(10), 0);
    let Reply::Ready(Err(GroupError::MemberIdRequired { member_id })) =
        group.join(first, &config, now, 0, ids("client-3"))
    else {
        panic!("expected MEMBER_ID_REQUIRED");
    };
    assert_eq!(member_id, "client-3");
}

#[test]
fn followers_wait_for_the_leaders_assignment_and_laggards_are_removed() {
    let mut group = Group::new("g", 0);
    let now = Instant::now();
    let mut a = pending(group.join(request("", &["range"]), &config(), now, 0, ids("a")));
    answered(&mut a);
    let SyncOutcome::Persist {
        generation,
        assignments,
        ..
    } = group.sync("a", 1, None, None, None, BTreeMap::new(), now)
    else {
        panic!("leader sync");
    };
    group.complete_sync(generation, &assignments, 0);
    let mut b = pending(group.join(request("", &["range"]), &config(), now, 0, ids("b")));
    let mut a = pending(group.join(request("a", &["range"]), &config(), now, 0, ids("x")));
    answered(&mut a);
    answered(&mut b);
    // b syncs first and waits.
    let SyncOutcome::Reply(Reply::Pending(mut b_sync)) =
        group.sync("b", 2, None, None, None, BTreeMap::new(), now)
    else {
        panic!("a follower waits for the leader");
    };
    assert!(b_sync.try_recv().is_err());
    let assignments = BTreeMap::from([
        ("a".to_owned(), Bytes::from_static(b"A")),
        ("b".to_owned(), Bytes::from_static(b"B")),
    ]);
    let SyncOutcome::Persist {
        generation,
        assignments,
        value,
        ..
    } = group.sync("a", 2, None, None, None, assignments, now)
    else {
        panic!("leader sync");
    };
    assert_eq!(
        value.members.len(),
        2,
        "the stored value carries the new assignment"
    );
    assert_eq!(value.generation, 2);
    group.complete_sync(generation, &assignments, 0);
    assert_eq!(
        b_sync.try_recv().unwrap().unwrap().assignment.as_ref(),
        b"B"
    );
    assert_eq!(group.state, GroupState::Stable);

    // Next round: b never syncs; at the rebalance timeout it is removed.
    let mut c = pending(group.join(request("", &["range"]), &config(), now, 0, ids("c")));
    let mut a = pending(group.join(request("a", &["range"]), &config(), now, 0, ids("x")));
    let mut b = pending(group.join(request("b", &["range"]), &config(), now, 0, ids("x")));
    for receiver in [&mut a, &mut b, &mut c] {
        assert_eq!(answered(receiver).generation, 3);
    }
    let _ = group.sync("a", 3, None, None, None, BTreeMap::new(), now);
    let _ = group.sync("c", 3, None, None, None, BTreeMap::new(), now);
    group.expire(&config(), now + Duration::from_secs(30), 0);
    assert!(!group.members.contains_key("b"));
    assert_eq!(group.state, GroupState::PreparingRebalance);
}

#[test]
fn offsets_expire_by_empty_time_or_commit_time() {
    let retention = Duration::from_secs(60);
    let offset = |commit_timestamp| OffsetValue {
        offset: 1,
        leader_epoch: -1,
        metadata: String::new(),
        commit_timestamp,
        expire_timestamp: -1,
    };
    // A group that only commits: each offset by its own commit time.
    let mut standalone = Group::new("s", 0);
    standalone.offsets.insert(("t".to_owned(), 0), offset(0));
    standalone
        .offsets
        .insert(("t".to_owned(), 1), offset(50_000));
    assert_eq!(
        standalone.expired_offsets(retention, 60_000),
        vec![("t".to_owned(), 0)]
    );
    // A consumer group that emptied: everything once it has been Empty long enough.
    let mut emptied = Group::new("e", 10_000);
    emptied.protocol_type = Some(CONSUMER_PROTOCOL_TYPE.to_owned());
    emptied.offsets.insert(("t".to_owned(), 0), offset(0));
    assert!(emptied.expired_offsets(retention, 60_000).is_empty());
    assert_eq!(emptied.expired_offsets(retention, 70_000).len(), 1);
}

#[test]
fn subscriptions_parse_from_consumer_metadata() {
    use kafka_protocol::protocol::{Encodable, StrBytes};
    let mut subscription = ConsumerProtocolSubscription::default();
    subscription.topics = vec![
        StrBytes::from_static_str("a"),
        StrBytes::from_static_str("b"),
    ];
    let mut bytes = bytes::BytesMut::new();
    bytes.extend_from_slice(&1i16.to_be_bytes());
    subscription.encode(&mut bytes, 1).unwrap();
    let parsed = parse_subscription(&bytes).unwrap();
    assert_eq!(parsed.topics.len(), 2);
    assert!(parse_subscription(&[0]).is_none());
    assert!(parse_subscription(&[0, 0, 0, 0, 0, 9]).is_none());
}
