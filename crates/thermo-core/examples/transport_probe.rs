//! CPU-time probe of one transport check, to run under `perf stat -e task-clock`: builds
//! the benchmark program, then runs the check N times (first argument, default 20). The
//! difference between N and 0 runs, divided by N, is the CPU time of one check even when
//! other processes share the cores (criterion measures wall-clock time).

#[path = "../benches/support/transport_program.rs"]
mod transport_program;

use thermo_core::transport::{TransportConfig, check_transport};
use transport_program::{at, program};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let schedule = program();
    let mut units = 0_usize;
    for _ in 0..n {
        units += check_transport(
            std::hint::black_box(&schedule),
            at(),
            &TransportConfig::default(),
        )
        .units
        .len();
    }
    println!("{units}");
}
