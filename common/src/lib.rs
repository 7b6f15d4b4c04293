//! Shared pieces used by the coordinator, the broker and the tools.
