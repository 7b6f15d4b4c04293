//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs against the cluster: the
//! deciding logic is in [`describe_configs`], [`alter_configs`] and
//! [`incremental_alter_configs`] (no I/O); this file feeds them the cached topic overrides
//! and writes each planned override set through [`crate::cluster::Cluster::set_topic_config`]
//! (`/config/topics/<t>` plus a change notification that every broker applies live).

use kafka_protocol::messages::{
    AlterConfigsRequest, AlterConfigsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};

use super::error_code::cluster_error_code;
use super::{alter_configs, describe_configs, incremental_alter_configs, Context};
use crate::config::topic::TopicLookup;

/// The topic's overrides as the cache has them.
fn lookup(context: &Context) -> impl Fn(&str) -> TopicLookup + '_ {
    let image = context.metadata();
    move |topic: &str| match image.topic_config(topic) {
        Some(overrides) => TopicLookup::Exists(overrides),
        None => TopicLookup::Unknown,
    }
}

pub fn describe(
    context: &Context,
    request: &DescribeConfigsRequest,
    version: i16,
) -> DescribeConfigsResponse {
    describe_configs::respond(
        request,
        version,
        lookup(context),
        &context.options.config,
        context.options.broker_id,
    )
}

pub async fn alter(context: &Context, request: &AlterConfigsRequest) -> AlterConfigsResponse {
    let (changes, mut response) =
        alter_configs::plan(request, lookup(context), context.options.broker_id);
    for (topic, overrides) in changes {
        if let Err(error) = context.cluster.set_topic_config(&topic, overrides).await {
            alter_configs::mark_failed(
                &mut response,
                &topic,
                cluster_error_code(&error),
                error.to_string(),
            );
        }
    }
    response
}

pub async fn incremental_alter(
    context: &Context,
    request: &IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let (changes, mut response) =
        incremental_alter_configs::plan(request, lookup(context), context.options.broker_id);
    for (topic, overrides) in changes {
        if let Err(error) = context.cluster.set_topic_config(&topic, overrides).await {
            incremental_alter_configs::mark_failed(
                &mut response,
                &topic,
                cluster_error_code(&error),
                error.to_string(),
            );
        }
    }
    response
}
