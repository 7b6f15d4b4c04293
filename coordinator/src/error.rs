//! Errors of the coordinator process as a whole (start-up, storage).
