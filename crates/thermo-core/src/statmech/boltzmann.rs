//! boltzmann
