//! Waiting on conditions instead of sleeping: poll a condition every ~10 ms until it holds or
//! a deadline passes, then fail the test naming what was awaited. Also `free_port`.

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

/// How often conditions are polled.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A loopback port that was free a moment ago: binds 127.0.0.1:0, reads the port, drops the
/// listener. Another process may still take it before the caller binds it.
///
/// # Panics
/// When the loopback interface cannot bind at all.
pub fn free_port() -> u16 {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|listener| listener.local_addr()) {
        Ok(address) => address.port(),
        Err(error) => panic!("cannot bind an ephemeral port on 127.0.0.1: {error}"),
    }
}

/// Polls `cond` every [`POLL_INTERVAL`] until it returns true.
///
/// # Panics
/// With `what` when `cond` is still false after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting until {what}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// The async form of [`wait_until`]: `cond` builds a future per poll, so it can issue
/// requests; polling sleeps on the tokio timer.
///
/// # Panics
/// With `what` when no poll returned true within `timeout` (a poll still running at the
/// deadline is abandoned).
pub async fn wait_until_async<F, Fut>(timeout: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let polling = async {
        loop {
            if cond().await {
                return;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    };
    if tokio::time::timeout(timeout, polling).await.is_err() {
        panic!("timed out after {timeout:?} waiting until {what}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn free_port_is_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn wait_until_returns_once_the_condition_holds() {
        let mut polls = 0;
        wait_until(Duration::from_secs(5), "three polls", || {
            polls += 1;
            polls == 3
        });
        assert_eq!(polls, 3);
    }

    #[test]
    #[should_panic(expected = "waiting until never")]
    fn wait_until_panics_with_what_on_timeout() {
        wait_until(Duration::from_millis(30), "never", || false);
    }

    #[tokio::test]
    async fn wait_until_async_polls_futures() {
        let mut polls = 0;
        wait_until_async(Duration::from_secs(5), "two polls", || {
            polls += 1;
            let done = polls == 2;
            async move { done }
        })
        .await;
        assert_eq!(polls, 2);
    }
}
