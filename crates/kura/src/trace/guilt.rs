//! The set-membership guilt model.
