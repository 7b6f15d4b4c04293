//! The group consumer: a [`GroupMember`] that subscribes to topics plus a [`Fetcher`] for
//! the partitions the group assigns it, with Kafka's offset management.
//!
//! Positions: after every (re)join each assigned partition starts at the group's committed
//! offset, or — when the group has none — where `auto.offset.reset` points (earliest,
//! latest, or an error for `none`). Rebalances are eager: before rejoining the consumer
//! commits its positions (when auto commit is on) and gives up every partition.
//!
//! Commits: with `enable.auto.commit` the positions are committed every
//! `auto.commit.interval.ms` during [`Consumer::poll`], before a rejoin and on
//! [`Consumer::close`]. A position is the offset after the last record handed out by
//! [`Consumer::poll`]; a caller that stops part-way through a batch moves it back with
//! [`Consumer::seek`] so that only what it processed is committed. Only positions that
//! changed since the last successful commit are sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cluster::{Client, OffsetSpec};
use super::consumer_protocol::Assignment;
use super::error::ClientError;
use super::fetcher::{ConsumedRecord, FetchConfig, Fetcher, OffsetReset, StartPosition};
use super::group::{GroupConfig, GroupMember};
use super::offsets::OffsetMap;

/// Consumer settings under Kafka's names.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Group membership (`group.id`, timeouts, assignors).
    pub group: GroupConfig,
    /// Fetching, including `auto.offset.reset`.
    pub fetch: FetchConfig,
    /// `enable.auto.commit`.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`.
    pub auto_commit_interval: Duration,
}

impl ConsumerConfig {
    /// Kafka's consumer defaults for `group_id`.
    pub fn new(group_id: &str) -> ConsumerConfig {
        ConsumerConfig {
            group: GroupConfig::new(group_id),
            fetch: FetchConfig::default(),
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(5_000),
        }
    }
}

/// A consumer in a group, subscribed to a fixed list of topics.
#[derive(Debug)]
pub struct Consumer {
    client: Arc<Client>,
    config: ConsumerConfig,
    member: GroupMember,
    fetcher: Fetcher,
    topics: Vec<String>,
    assignment: Assignment,
    committed: OffsetMap,
    last_commit: Instant,
}

impl Consumer {
    /// Joins `config.group.group_id` subscribed to `topics`; returns once the first
    /// assignment is known and positioned.
    pub async fn subscribe(
        client: Arc<Client>,
        config: ConsumerConfig,
        topics: Vec<String>,
    ) -> Result<Consumer, ClientError> {
        let member = GroupMember::new(client.clone(), config.group.clone());
        let fetcher = Fetcher::new(client.clone(), config.fetch.clone());
        let mut consumer = Consumer {
            client,
            config,
            member,
            fetcher,
            topics,
            assignment: Assignment::default(),
            committed: OffsetMap::new(),
            last_commit: Instant::now(),
        };
        consumer.rejoin().await?;
        Ok(consumer)
    }

    /// The membership (member id, generation).
    pub fn member(&self) -> &GroupMember {
        &self.member
    }

    /// The partitions assigned by the last rebalance.
    pub fn assignment(&self) -> &Assignment {
        &self.assignment
    }

    /// The next offset to hand out of each assigned partition.
    pub fn positions(&self) -> OffsetMap {
        self.fetcher
            .positions()
            .into_iter()
            .map(|(topic, partition, position)| ((topic.to_string(), partition), position))
            .collect()
    }

    /// Moves the position of an assigned partition (the next record handed out, and the
    /// offset the next commit stores).
    pub fn seek(&mut self, topic: &str, partition: i32, offset: i64) -> bool {
        self.fetcher.seek(topic, partition, offset)
    }

    /// Changes how long the broker may hold the next fetches.
    pub fn set_max_wait(&mut self, max_wait: Duration) {
        self.fetcher.set_max_wait(max_wait);
    }

    async fn rejoin(&mut self) -> Result<(), ClientError> {
        if self.config.enable_auto_commit && !self.assignment.is_empty() {
            // Eager protocol: what was consumed is committed before the partitions go.
            if let Err(error) = self.commit().await {
                tracing::warn!(%error, "offset commit before rebalance failed");
            }
        }
        self.fetcher.clear();
        self.assignment = Assignment::default();
        let assignment = self.member.join(&self.topics).await?;
        let partitions = assignment.topic_partitions();
        let committed = if partitions.is_empty() {
            OffsetMap::new()
        } else {
            self.member.committed(&partitions).await?
        };
        for (topic, partition) in &partitions {
            let start = match committed.get(&(topic.clone(), *partition)) {
                Some(offset) => StartPosition::Offset(*offset),
                None => match self.config.fetch.offset_reset {
                    OffsetReset::Earliest => StartPosition::Spec(OffsetSpec::Earliest),
                    OffsetReset::Latest => StartPosition::Spec(OffsetSpec::Latest),
                    OffsetReset::None => {
                        return Err(ClientError::NoOffsetForPartition {
                            topic: topic.clone(),
                            partition: *partition,
                        })
                    }
                },
            };
            self.fetcher.assign(topic, *partition, start).await?;
        }
        self.committed = committed;
        self.assignment = assignment;
        Ok(())
    }

    /// One fetch round over the assigned partitions (rejoining first when the group is
    /// rebalancing, auto-committing when the interval passed); possibly no records.
    pub async fn poll(&mut self) -> Result<Vec<ConsumedRecord>, ClientError> {
        if self.member.rejoin_needed() {
            self.rejoin().await?;
        }
        if self.config.enable_auto_commit
            && self.last_commit.elapsed() >= self.config.auto_commit_interval
        {
            if let Err(error) = self.commit().await {
                tracing::warn!(%error, "auto offset commit failed");
            }
        }
        self.fetcher.poll().await
    }

    /// Commits the current positions (those changed since the last commit).
    pub async fn commit(&mut self) -> Result<(), ClientError> {
        self.last_commit = Instant::now();
        let positions = self.positions();
        let changed: OffsetMap = positions
            .into_iter()
            .filter(|(key, offset)| self.committed.get(key) != Some(offset))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        self.member.commit(&changed).await?;
        self.committed.extend(changed);
        Ok(())
    }

    /// Commits (when auto commit is on) and leaves the group.
    pub async fn close(mut self) -> Result<(), ClientError> {
        // A commit of the current generation is accepted while a rebalance is only being
        // prepared, so it is tried even when a heartbeat saw one starting.
        let committed = if self.config.enable_auto_commit && self.member.generation_id() >= 0 {
            self.commit().await
        } else {
            Ok(())
        };
        let left = self.member.leave().await;
        drop(self.client);
        committed.and(left)
    }
}
