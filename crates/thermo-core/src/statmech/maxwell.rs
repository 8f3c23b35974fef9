//! maxwell
