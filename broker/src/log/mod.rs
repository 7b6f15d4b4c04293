//! Partition logs on disk.
//!
//! - [`error`] — [`LogError`].

pub mod error;

pub use error::LogError;
