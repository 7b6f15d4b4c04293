//! The replication state of one partition on this broker, as pure data and decisions (no
//! I/O, no clock of its own): whether it leads or follows, and — while it leads — what each
//! follower has fetched, the ISR, and the high watermark.
//!
//! Rules (Kafka's):
//!
//! - **High watermark.** The leader's HW is the smallest log end offset among the leader and
//!   the followers of the *maximal* ISR: the ISR in the coordinator plus any member whose
//!   addition is being written (a member being removed still counts until the removal is
//!   written). A follower whose log end is not known yet (none since this broker became
//!   leader) holds the HW where it is. The leader's HW never moves back.
//! - **Caught up.** A follower is caught up at a fetch whose offset reaches the leader's log
//!   end at that moment; a fetch reaching the leader's log end *of the previous fetch* makes
//!   it caught up as of that previous fetch. A follower not caught up for
//!   `replica.lag.time.max.ms` leaves the ISR.
//! - **Joining the ISR.** A follower outside the ISR joins once its log end reaches both the
//!   HW and the offset at which the current leader epoch began.
//! - ISR changes are proposed here and written by the caller; only one is in flight at a
//!   time, and it counts (as above) only once written.

use std::collections::BTreeMap;

/// What the leader knows of one follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerProgress {
    /// The follower's log end offset (its last fetch offset); -1 until it fetched.
    pub log_end_offset: i64,
    /// When the follower was last caught up with the leader's log end.
    pub last_caught_up_ms: i64,
    /// When it last fetched, and the leader's log end then.
    pub last_fetch_ms: i64,
    pub last_fetch_leader_end: i64,
}

impl FollowerProgress {
    fn fresh(now_ms: i64) -> Self {
        FollowerProgress {
            log_end_offset: -1,
            last_caught_up_ms: now_ms,
            last_fetch_ms: now_ms,
            last_fetch_leader_end: -1,
        }
    }
}

/// The partition while this broker leads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderState {
    pub leader_epoch: i32,
    /// The assignment, preferred leader first.
    pub replicas: Vec<i32>,
    /// The ISR as written in the coordinator.
    pub isr: Vec<i32>,
    /// The state node's version (the next conditional write expects it).
    pub zk_version: i32,
    /// The controller epoch of the state node (kept when the leader rewrites the ISR).
    pub controller_epoch: i32,
    /// An ISR change being written, if any.
    pub pending_isr: Option<Vec<i32>>,
    /// Where this leader epoch began in the log.
    pub epoch_start_offset: i64,
    pub followers: BTreeMap<i32, FollowerProgress>,
}

/// How this broker stands towards a partition it hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Leader(LeaderState),
    /// Follows `leader` (-1: no leader right now) in `leader_epoch`.
    Follower {
        leader: i32,
        leader_epoch: i32,
    },
}

/// One hosted partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReplica {
    pub broker_id: i32,
    pub role: Role,
    /// The high watermark.
    pub high_watermark: i64,
    /// The local log end offset (kept current by appends and truncations).
    pub log_end_offset: i64,
}

/// The leadership a partition is given by the cluster state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub zk_version: i32,
    pub controller_epoch: i32,
}

/// What a follower's fetch changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchUpdate {
    pub high_watermark_moved: bool,
    /// The ISR to write (the follower joins it).
    pub expand_isr: Option<Vec<i32>>,
}

/// Why a fetch from a follower is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowerFetchError {
    NotLeader,
    /// The follower's epoch is older than ours.
    FencedLeaderEpoch,
    /// The follower's epoch is newer than ours (we have not seen the change yet).
    UnknownLeaderEpoch,
    /// The fetching broker is not a replica.
    NotReplica,
}

impl PartitionReplica {
    /// A partition seen for the first time, following nobody until told.
    pub fn new(broker_id: i32, high_watermark: i64, log_end_offset: i64) -> Self {
        PartitionReplica {
            broker_id,
            role: Role::Follower {
                leader: -1,
                leader_epoch: -1,
            },
            high_watermark,
            log_end_offset,
        }
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    pub fn leader_state(&self) -> Option<&LeaderState> {
        match &self.role {
            Role::Leader(state) => Some(state),
            Role::Follower { .. } => None,
        }
    }

    /// The leader epoch this broker knows for the partition.
    pub fn leader_epoch(&self) -> i32 {
        match &self.role {
            Role::Leader(state) => state.leader_epoch,
            Role::Follower { leader_epoch, .. } => *leader_epoch,
        }
    }

    /// Takes the leadership `assignment` gives (which names this broker as leader).
    /// Returns true when this is a new leadership or a new epoch (the caller records the
    /// epoch in the log's epoch cache at `log_end_offset`).
    pub fn become_leader(&mut self, assignment: &Assignment, now_ms: i64) -> bool {
        if let Role::Leader(state) = &mut self.role {
            let new_epoch = state.leader_epoch != assignment.leader_epoch;
            state.replicas = assignment.replicas.clone();
            state.isr = assignment.isr.clone();
            state.zk_version = assignment.zk_version;
            state.controller_epoch = assignment.controller_epoch;
            state.pending_isr = None;
            if new_epoch {
                state.leader_epoch = assignment.leader_epoch;
                state.epoch_start_offset = self.log_end_offset;
            }
            let broker_id = self.broker_id;
            state
                .followers
                .retain(|id, _| assignment.replicas.contains(id) && *id != broker_id);
            for id in &assignment.replicas {
                if *id != broker_id {
                    state
                        .followers
                        .entry(*id)
                        .or_insert_with(|| FollowerProgress::fresh(now_ms));
                }
            }
            return new_epoch;
        }
        let followers = assignment
            .replicas
            .iter()
            .filter(|id| **id != self.broker_id)
            .map(|id| (*id, FollowerProgress::fresh(now_ms)))
            .collect();
        self.role = Role::Leader(LeaderState {
            leader_epoch: assignment.leader_epoch,
            replicas: assignment.replicas.clone(),
            isr: assignment.isr.clone(),
            zk_version: assignment.zk_version,
            controller_epoch: assignment.controller_epoch,
            pending_isr: None,
            epoch_start_offset: self.log_end_offset,
            followers,
        });
        // A new leader's HW may lag the old leader's: it moves as followers fetch.
        self.high_watermark = self.high_watermark.min(self.log_end_offset);
        true
    }

    /// Follows `leader` in `leader_epoch`. Returns true when that differs from before (the
    /// caller restarts fetching, with a truncation check).
    pub fn become_follower(&mut self, leader: i32, leader_epoch: i32) -> bool {
        let changed = match &self.role {
            Role::Follower {
                leader: current,
                leader_epoch: epoch,
            } => *current != leader || *epoch != leader_epoch,
            Role::Leader(_) => true,
        };
        self.role = Role::Follower {
            leader,
            leader_epoch,
        };
        changed
    }

    /// The maximal ISR: written members plus a pending addition.
    pub fn maximal_isr(&self) -> Vec<i32> {
        match &self.role {
            Role::Leader(state) => {
                let mut members = state.isr.clone();
                if let Some(pending) = &state.pending_isr {
                    for id in pending {
                        if !members.contains(id) {
                            members.push(*id);
                        }
                    }
                }
                members
            }
            Role::Follower { .. } => Vec::new(),
        }
    }

    /// The ISR size the min.insync.replicas check uses (the written ISR).
    pub fn isr_size(&self) -> usize {
        self.leader_state().map_or(0, |state| state.isr.len())
    }

    /// Records a local append (leader or follower); on a leader, moves the HW when the ISR
    /// allows. Returns whether the HW moved.
    pub fn on_local_append(&mut self, log_end_offset: i64) -> bool {
        self.log_end_offset = log_end_offset;
        self.maybe_advance_high_watermark()
    }

    /// Checks a fetch from follower `replica` in its `current_leader_epoch` (-1: unchecked).
    pub fn check_follower_fetch(
        &self,
        replica: i32,
        current_leader_epoch: i32,
    ) -> Result<(), FollowerFetchError> {
        let Role::Leader(state) = &self.role else {
            return Err(FollowerFetchError::NotLeader);
        };
        if current_leader_epoch >= 0 && current_leader_epoch < state.leader_epoch {
            return Err(FollowerFetchError::FencedLeaderEpoch);
        }
        if current_leader_epoch > state.leader_epoch {
            return Err(FollowerFetchError::UnknownLeaderEpoch);
        }
        if !state.followers.contains_key(&replica) {
            return Err(FollowerFetchError::NotReplica);
        }
        Ok(())
    }

    /// Records a fetch from follower `replica` at `fetch_offset` (its log end) at `now_ms`.
    pub fn on_follower_fetch(
        &mut self,
        replica: i32,
        fetch_offset: i64,
        now_ms: i64,
    ) -> FetchUpdate {
        let leader_end = self.log_end_offset;
        let high_watermark = self.high_watermark;
        let Role::Leader(state) = &mut self.role else {
            return FetchUpdate::default();
        };
        let Some(progress) = state.followers.get_mut(&replica) else {
            return FetchUpdate::default();
        };
        if fetch_offset >= leader_end {
            progress.last_caught_up_ms = now_ms;
        } else if fetch_offset >= progress.last_fetch_leader_end {
            progress.last_caught_up_ms = progress.last_caught_up_ms.max(progress.last_fetch_ms);
        }
        progress.log_end_offset = fetch_offset;
        progress.last_fetch_ms = now_ms;
        progress.last_fetch_leader_end = leader_end;
        let mut update = FetchUpdate::default();
        let joins = !state.isr.contains(&replica)
            && state.pending_isr.is_none()
            && fetch_offset >= high_watermark
            && fetch_offset >= state.epoch_start_offset;
        if joins {
            let mut isr = state.isr.clone();
            isr.push(replica);
            state.pending_isr = Some(isr.clone());
            update.expand_isr = Some(isr);
        }
        update.high_watermark_moved = self.maybe_advance_high_watermark();
        update
    }

    /// The ISR without the followers that lagged more than `lag_max_ms`; `None` when nobody
    /// lags or a change is already being written. The shrunken ISR becomes pending.
    pub fn propose_shrink(&mut self, now_ms: i64, lag_max_ms: i64) -> Option<Vec<i32>> {
        let Role::Leader(state) = &mut self.role else {
            return None;
        };
        if state.pending_isr.is_some() {
            return None;
        }
        let broker_id = self.broker_id;
        let lagging: Vec<i32> = state
            .isr
            .iter()
            .copied()
            .filter(|id| *id != broker_id)
            .filter(|id| {
                state.followers.get(id).is_none_or(|progress| {
                    now_ms.saturating_sub(progress.last_caught_up_ms) > lag_max_ms
                })
            })
            .collect();
        if lagging.is_empty() {
            return None;
        }
        let isr: Vec<i32> = state
            .isr
            .iter()
            .copied()
            .filter(|id| !lagging.contains(id))
            .collect();
        state.pending_isr = Some(isr.clone());
        Some(isr)
    }

    /// The pending ISR change was written: it is the ISR now, at node version `zk_version`.
    /// Returns whether the HW moved.
    pub fn isr_written(&mut self, isr: Vec<i32>, zk_version: i32) -> bool {
        if let Role::Leader(state) = &mut self.role {
            state.isr = isr;
            state.zk_version = zk_version;
            state.pending_isr = None;
        }
        self.maybe_advance_high_watermark()
    }

    /// The pending ISR change could not be written (the state node changed under it).
    pub fn isr_write_failed(&mut self) {
        if let Role::Leader(state) = &mut self.role {
            state.pending_isr = None;
        }
    }

    /// Sets a follower's HW from its leader's: never above the local log end.
    pub fn follower_high_watermark(&mut self, leader_high_watermark: i64) -> bool {
        let new = leader_high_watermark.min(self.log_end_offset);
        let moved = new != self.high_watermark;
        self.high_watermark = new;
        moved
    }

    /// After a local truncation to `log_end_offset`.
    pub fn truncated(&mut self, log_end_offset: i64) {
        self.log_end_offset = log_end_offset;
        self.high_watermark = self.high_watermark.min(log_end_offset);
    }

    fn maybe_advance_high_watermark(&mut self) -> bool {
        let isr = self.maximal_isr();
        let Role::Leader(state) = &self.role else {
            return false;
        };
        let mut candidate = self.log_end_offset;
        for id in isr.iter().filter(|id| **id != self.broker_id) {
            match state.followers.get(id) {
                Some(progress) if progress.log_end_offset >= 0 => {
                    candidate = candidate.min(progress.log_end_offset);
                }
                // An ISR member not heard from yet holds the HW.
                _ => return false,
            }
        }
        if candidate > self.high_watermark {
            self.high_watermark = candidate;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn assignment(leader: i32, epoch: i32, isr: &[i32]) -> Assignment {
        Assignment {
            leader,
            leader_epoch: epoch,
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            zk_version: 7,
            controller_epoch: 1,
        }
    }

    fn leader(isr: &[i32], log_end: i64) -> PartitionReplica {
        let mut partition = PartitionReplica::new(1, 0, log_end);
        assert!(partition.become_leader(&assignment(1, 3, isr), 1_000));
        partition
    }

    #[test]
    fn a_single_replica_leader_moves_the_hw_with_each_append() {
        let mut partition = PartitionReplica::new(1, 0, 0);
        let mut alone = assignment(1, 0, &[1]);
        alone.replicas = vec![1];
        partition.become_leader(&alone, 0);
        assert!(partition.on_local_append(10));
        assert_eq!(partition.high_watermark, 10);
    }

    #[test]
    fn the_hw_waits_for_every_isr_member_and_never_goes_back() {
        let mut partition = leader(&[1, 2, 3], 0);
        assert!(!partition.on_local_append(10));
        assert_eq!(partition.high_watermark, 0);
        partition.on_follower_fetch(2, 10, 1_001);
        assert_eq!(partition.high_watermark, 0, "follower 3 not heard from yet");
        let update = partition.on_follower_fetch(3, 4, 1_002);
        assert!(update.high_watermark_moved);
        assert_eq!(partition.high_watermark, 4);
        partition.on_follower_fetch(3, 10, 1_003);
        assert_eq!(partition.high_watermark, 10);
        // A follower fetching from an older offset does not pull the HW back.
        partition.on_follower_fetch(2, 5, 1_004);
        assert_eq!(partition.high_watermark, 10);
    }

    #[test]
    fn a_lagging_follower_is_proposed_out_and_the_hw_moves_once_written() {
        let mut partition = leader(&[1, 2, 3], 0);
        partition.on_local_append(10);
        partition.on_follower_fetch(2, 10, 2_000);
        partition.on_follower_fetch(3, 0, 2_000);
        assert_eq!(partition.high_watermark, 0);
        assert_eq!(partition.propose_shrink(5_000, 30_000), None);
        let shrunk = partition.propose_shrink(32_000, 30_000).unwrap();
        assert_eq!(shrunk, vec![1, 2]);
        // Until written, the removed member still holds the HW.
        assert_eq!(partition.high_watermark, 0);
        assert_eq!(
            partition.propose_shrink(40_000, 30_000),
            None,
            "one change at a time"
        );
        assert!(partition.isr_written(shrunk, 8));
        assert_eq!(partition.high_watermark, 10);
        assert_eq!(partition.isr_size(), 2);
    }

    #[test]
    fn a_caught_up_follower_rejoins_the_isr() {
        let mut partition = leader(&[1, 2], 20);
        partition.on_follower_fetch(2, 20, 1_001);
        assert_eq!(partition.high_watermark, 20);
        // Follower 3 below the HW: not yet.
        assert_eq!(partition.on_follower_fetch(3, 10, 1_002).expand_isr, None);
        let update = partition.on_follower_fetch(3, 20, 1_003);
        assert_eq!(update.expand_isr, Some(vec![1, 2, 3]));
        // The joining member counts for the HW at once (maximal ISR).
        partition.on_local_append(30);
        partition.on_follower_fetch(2, 30, 1_004);
        assert_eq!(partition.high_watermark, 20);
        partition.on_follower_fetch(3, 30, 1_005);
        assert_eq!(partition.high_watermark, 30);
    }

    #[test]
    fn caught_up_time_follows_kafkas_two_fetch_rule() {
        let mut partition = leader(&[1, 2], 0);
        partition.on_local_append(10);
        partition.on_follower_fetch(2, 0, 1_100);
        partition.on_local_append(20);
        // Reaches the leader end of the previous fetch (10) but not the current one (20).
        partition.on_follower_fetch(2, 10, 1_200);
        let progress = partition.leader_state().unwrap().followers[&2];
        assert_eq!(progress.last_caught_up_ms, 1_100);
        partition.on_follower_fetch(2, 20, 1_300);
        let progress = partition.leader_state().unwrap().followers[&2];
        assert_eq!(progress.last_caught_up_ms, 1_300);
    }

    #[test]
    fn follower_fetches_are_checked_against_the_epoch() {
        let partition = leader(&[1, 2, 3], 0);
        assert_eq!(partition.check_follower_fetch(2, 3), Ok(()));
        assert_eq!(partition.check_follower_fetch(2, -1), Ok(()));
        assert_eq!(
            partition.check_follower_fetch(2, 2),
            Err(FollowerFetchError::FencedLeaderEpoch)
        );
        assert_eq!(
            partition.check_follower_fetch(2, 4),
            Err(FollowerFetchError::UnknownLeaderEpoch)
        );
        assert_eq!(
            partition.check_follower_fetch(9, 3),
            Err(FollowerFetchError::NotReplica)
        );
        let follower = PartitionReplica::new(1, 0, 0);
        assert_eq!(
            follower.check_follower_fetch(2, 3),
            Err(FollowerFetchError::NotLeader)
        );
    }

    #[test]
    fn role_changes_report_what_the_caller_must_redo() {
        let mut partition = PartitionReplica::new(1, 5, 10);
        assert!(partition.become_follower(2, 4));
        assert!(!partition.become_follower(2, 4));
        assert!(partition.become_follower(2, 5));
        assert!(partition.become_leader(&assignment(1, 6, &[1, 2]), 0));
        assert_eq!(partition.leader_state().unwrap().epoch_start_offset, 10);
        // Same epoch again (an ISR update): not new.
        assert!(!partition.become_leader(&assignment(1, 6, &[1, 2, 3]), 0));
        assert_eq!(partition.leader_state().unwrap().isr, vec![1, 2, 3]);
        assert!(partition.become_follower(3, 7));
        assert!(!partition.is_leader());
    }

    #[test]
    fn a_follower_hw_never_passes_its_log_end() {
        let mut partition = PartitionReplica::new(2, 0, 5);
        partition.become_follower(1, 0);
        assert!(partition.follower_high_watermark(9));
        assert_eq!(partition.high_watermark, 5);
        partition.truncated(3);
        assert_eq!(partition.high_watermark, 3);
    }
}
