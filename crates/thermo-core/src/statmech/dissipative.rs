//! dissipative
