//! Queueing theory for staffed pools: Erlang B, C and A, staffing for a service-level
//! target, and the "safe utilization" of a pool of a given size.
//!
//! Conventions (see `docs/transport.md`):
//! - *offered load* `A` is in Erlangs: arrival rate × mean handling time (dimensionless);
//! - *servers* `c` is the number of people serving the pool at once;
//! - times (handling time, answer time, patience) share one unit chosen by the caller;
//! - every probability is in [0, 1].
//!
//! All functions are numerically stable for large pools: Erlang B is evaluated with the
//! recursion `1/B_k = 1 + (k/A)·1/B_{k−1}` carried in log space (`ln(1/B)` through a
//! softplus), so no factorial or power is ever formed and nothing overflows for
//! `c` in the millions; the cost is O(c).
//!
//! [`utilization`] turns a schedule into a pool (utilization per person, unit and program)
//! and reports the 80 % rule levels beside the Erlang figures.

pub mod utilization;

use serde::{Deserialize, Serialize};

/// Invalid input to a queueing function.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueueingError {
    /// A number that must be finite and non-negative (or positive) is not.
    #[error("{field} must be a finite number {requirement}, got {value}")]
    InvalidNumber {
        /// The parameter.
        field: &'static str,
        /// What the parameter must satisfy.
        requirement: &'static str,
        /// The value given.
        value: f64,
    },
    /// A pool needs at least one server.
    #[error("the number of servers must be at least 1")]
    NoServers,
    /// An Erlang A queue whose abandonment is so slow relative to its overload that the
    /// steady state spreads over more queue lengths than are summed.
    #[error("the Erlang A queue needs more than {limit} queue states to converge")]
    TooManyStates {
        /// The number of queue states summed at most.
        limit: u64,
    },
    /// No staffing level up to the search limit reaches the target.
    #[error("no pool of up to {limit} servers reaches the service-level target {target}")]
    TargetUnreachable {
        /// The target that could not be met.
        target: f64,
        /// The largest pool tried.
        limit: u64,
    },
}

fn check(
    field: &'static str,
    value: f64,
    ok: bool,
    requirement: &'static str,
) -> Result<f64, QueueingError> {
    if value.is_finite() && ok {
        Ok(value)
    } else {
        Err(QueueingError::InvalidNumber {
            field,
            requirement,
            value,
        })
    }
}

fn non_negative(field: &'static str, value: f64) -> Result<f64, QueueingError> {
    check(field, value, value >= 0.0, "≥ 0")
}

fn positive(field: &'static str, value: f64) -> Result<f64, QueueingError> {
    check(field, value, value > 0.0, "> 0")
}

fn probability(field: &'static str, value: f64) -> Result<f64, QueueingError> {
    check(field, value, (0.0..=1.0).contains(&value), "in [0, 1]")
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 35.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `ln(1/B(c, A))`, the log of the inverse Erlang B blocking probability (≥ 0).
///
/// Runs the stable forward recursion `B_k = A·B_{k−1}/(k + A·B_{k−1})` (B stays in (0, 1],
/// nothing overflows) while B is a normal number; if B would underflow (c ≫ A) it continues
/// in log space, `y_k = ln(1/B_k) = softplus(ln(k/A) + y_{k−1})`, so the result stays finite
/// where `1/B` itself would overflow. O(c), a few nanoseconds per server. `A = 0` gives `+∞`
/// for `c ≥ 1`.
fn ln_inverse_erlang_b(servers: u64, offered_load: f64) -> f64 {
    if servers == 0 {
        return 0.0;
    }
    if offered_load == 0.0 {
        return f64::INFINITY;
    }
    let a = offered_load;
    let mut b = 1.0_f64;
    let mut k = 1_u64;
    while k <= servers {
        let ab = a * b;
        b = ab / (k as f64 + ab);
        k += 1;
        if b < 1e-250 {
            break;
        }
    }
    let mut y = -b.ln();
    let ln_a = a.ln();
    while k <= servers {
        y = softplus((k as f64).ln() - ln_a + y);
        k += 1;
    }
    y
}

/// Erlang B: the probability that an arrival finds all `servers` busy in a loss system
/// (M/M/c/c) with `offered_load` Erlangs. 1 for `c = 0`; 0 for `A = 0` and `c ≥ 1`.
pub fn erlang_b(servers: u64, offered_load: f64) -> Result<f64, QueueingError> {
    let a = non_negative("offered_load", offered_load)?;
    Ok((-ln_inverse_erlang_b(servers, a)).exp())
}

/// Erlang C: the probability that an arrival has to wait in an M/M/c queue with
/// `offered_load` Erlangs on `servers` servers. 1 when `A ≥ c` (the queue grows without
/// bound); 0 when `A = 0`.
pub fn erlang_c(servers: u64, offered_load: f64) -> Result<f64, QueueingError> {
    let a = non_negative("offered_load", offered_load)?;
    if servers == 0 {
        return Err(QueueingError::NoServers);
    }
    let c = servers as f64;
    if a >= c {
        return Ok(1.0);
    }
    if a == 0.0 {
        return Ok(0.0);
    }
    // P = c·B / (c − A(1 − B)) = c / ((c − A)/B + A), with 1/B = e^y.
    let y = ln_inverse_erlang_b(servers, a);
    let inv_b = y.exp();
    Ok(c / ((c - a) * inv_b + a))
}

/// M/M/1 multiplier ρ/(1 − ρ): mean number in system per unit of service, the factor by
/// which waiting grows with utilization ρ. 0 for ρ ≤ 0, `+∞` for ρ ≥ 1.
pub fn wait_time_multiplier(utilization: f64) -> f64 {
    if utilization.is_nan() || utilization <= 0.0 {
        0.0
    } else if utilization >= 1.0 {
        f64::INFINITY
    } else {
        utilization / (1.0 - utilization)
    }
}

/// An M/M/c queue (Erlang C) described by its offered load and handling time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangCQueue {
    offered_load: f64,
    handling_time: f64,
}

impl ErlangCQueue {
    /// A queue receiving `arrivals` per `interval`, each taking `handling_time` on average
    /// (the interval and handling time in the same time unit).
    pub fn new(arrivals: f64, interval: f64, handling_time: f64) -> Result<Self, QueueingError> {
        let arrivals = non_negative("arrivals", arrivals)?;
        let interval = positive("interval", interval)?;
        let handling_time = positive("handling_time", handling_time)?;
        Ok(Self {
            offered_load: arrivals / interval * handling_time,
            handling_time,
        })
    }

    /// A queue with a given offered load (Erlangs) and mean handling time.
    pub fn from_offered_load(offered_load: f64, handling_time: f64) -> Result<Self, QueueingError> {
        Ok(Self {
            offered_load: non_negative("offered_load", offered_load)?,
            handling_time: positive("handling_time", handling_time)?,
        })
    }

    /// Offered load A in Erlangs.
    pub fn offered_load(&self) -> f64 {
        self.offered_load
    }

    /// Probability that an arrival waits (Erlang C) with `servers` servers.
    pub fn wait_probability(&self, servers: u64) -> Result<f64, QueueingError> {
        erlang_c(servers, self.offered_load)
    }

    /// Service level: probability that an arrival waits at most `answer_time`,
    /// `1 − C·e^{−(c − A)·t/h}`, floored at 0 (0 when `A ≥ c`).
    pub fn service_level(&self, servers: u64, answer_time: f64) -> Result<f64, QueueingError> {
        let t = non_negative("answer_time", answer_time)?;
        let pw = self.wait_probability(servers)?;
        let c = servers as f64;
        if self.offered_load >= c {
            return Ok(0.0);
        }
        let decay = (-(c - self.offered_load) * t / self.handling_time).exp();
        Ok((1.0 - pw * decay).max(0.0))
    }

    /// Average speed of answer (mean wait over all arrivals), `C·h/(c − A)`, in the unit of
    /// the handling time; `+∞` when `A ≥ c`.
    pub fn average_speed_of_answer(&self, servers: u64) -> Result<f64, QueueingError> {
        let pw = self.wait_probability(servers)?;
        let c = servers as f64;
        if self.offered_load >= c {
            return Ok(f64::INFINITY);
        }
        Ok(pw * self.handling_time / (c - self.offered_load))
    }

    /// Occupancy A/c: the share of time a server is busy (may exceed 1 when `A > c`).
    pub fn occupancy(&self, servers: u64) -> Result<f64, QueueingError> {
        if servers == 0 {
            return Err(QueueingError::NoServers);
        }
        Ok(self.offered_load / servers as f64)
    }

    /// Staff needed to meet `target`: the smallest pool above the offered load that reaches
    /// the service level, raised to `⌈A / max_occupancy⌉` when it would otherwise be busier
    /// than the occupancy cap, then divided by `1 − shrinkage` (rounded up) for headcount.
    pub fn required_staff(&self, target: &StaffingTarget) -> Result<Staffing, QueueingError> {
        let service_level = probability("service_level", target.service_level)?;
        let answer_time = non_negative("answer_time", target.answer_time)?;
        let max_occupancy = check(
            "max_occupancy",
            target.max_occupancy,
            target.max_occupancy > 0.0 && target.max_occupancy <= 1.0,
            "in (0, 1]",
        )?;
        let shrinkage = check(
            "shrinkage",
            target.shrinkage,
            (0.0..1.0).contains(&target.shrinkage),
            "in [0, 1)",
        )?;
        let a = self.offered_load;
        let limit = (a.ceil() as u64).saturating_mul(4).saturating_add(1_000);
        // Service level rises with c; the smallest stable pool is ⌊A⌋ + 1.
        let mut raw = a.floor() as u64 + 1;
        while self.service_level(raw, answer_time)? < service_level {
            raw += 1;
            if raw > limit {
                return Err(QueueingError::TargetUnreachable {
                    target: service_level,
                    limit,
                });
            }
        }
        if self.occupancy(raw)? > max_occupancy {
            raw = raw.max((a / max_occupancy).ceil() as u64);
        }
        let positions = (raw as f64 / (1.0 - shrinkage)).ceil() as u64;
        Ok(Staffing {
            raw_positions: raw,
            positions,
            service_level: self.service_level(raw, answer_time)?,
            occupancy: self.occupancy(raw)?,
            wait_probability: self.wait_probability(raw)?,
            average_speed_of_answer: self.average_speed_of_answer(raw)?,
        })
    }
}

/// What a staffing level must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingTarget {
    /// Share of arrivals answered within `answer_time` (e.g. 0.8).
    pub service_level: f64,
    /// The answer-time target, in the handling time's unit.
    pub answer_time: f64,
    /// Highest acceptable occupancy A/c (e.g. 0.85); 1.0 means no cap.
    pub max_occupancy: f64,
    /// Share of paid time not available for service (absence, training), in [0, 1).
    pub shrinkage: f64,
}

/// The result of [`ErlangCQueue::required_staff`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Staffing {
    /// Servers needed on duty.
    pub raw_positions: u64,
    /// Headcount after shrinkage, `⌈raw / (1 − shrinkage)⌉`.
    pub positions: u64,
    /// Service level achieved with `raw_positions`.
    pub service_level: f64,
    /// Occupancy A/c with `raw_positions`.
    pub occupancy: f64,
    /// Probability of waiting with `raw_positions`.
    pub wait_probability: f64,
    /// Mean wait over all arrivals with `raw_positions`, in the handling time's unit.
    pub average_speed_of_answer: f64,
}

/// The highest utilization ρ = A/c at which a pool of `servers` keeps the Erlang C wait
/// probability at or below `wait_probability_target`.
///
/// This is the size-aware replacement of a fixed 80 % rule: small pools must run cooler
/// than large ones for the same chance of a queue. Found by bisection on A ∈ [0, c)
/// (Erlang C increases with A) to 1e-12 relative precision.
pub fn safe_utilization(servers: u64, wait_probability_target: f64) -> Result<f64, QueueingError> {
    let target = probability("wait_probability_target", wait_probability_target)?;
    if servers == 0 {
        return Err(QueueingError::NoServers);
    }
    let c = servers as f64;
    if target >= 1.0 {
        return Ok(1.0);
    }
    if target <= 0.0 {
        return Ok(0.0);
    }
    let (mut lo, mut hi) = (0.0_f64, c);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if erlang_c(servers, mid)? <= target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * c {
            break;
        }
    }
    Ok(lo / c)
}

/// Most queue states an Erlang A steady state may sum.
const MAX_QUEUE_STATES: u64 = 10_000_000;

/// An M/M/c+M queue (Erlang A): Poisson arrivals, exponential service and exponential
/// patience, so waiting arrivals abandon at rate θ each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangAQueue {
    arrival_rate: f64,
    service_rate: f64,
    abandonment_rate: f64,
}

/// Steady-state figures of an Erlang A queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErlangAMetrics {
    /// Probability that an arrival has to wait (all servers busy).
    pub wait_probability: f64,
    /// Probability that an arrival abandons before service.
    pub abandonment_probability: f64,
    /// Mean number waiting.
    pub mean_queue_length: f64,
    /// Mean wait over all arrivals (Little's law, E[Q]/λ), in the rates' time unit.
    pub mean_wait: f64,
    /// Share of time a server is busy: served load (1 − P_ab)·λ/μ over c.
    pub occupancy: f64,
}

impl ErlangAQueue {
    /// A queue with arrival rate λ, service rate μ = 1/handling time and abandonment rate
    /// θ = 1/mean patience, all per the same time unit. θ = 0 is Erlang C.
    pub fn new(
        arrival_rate: f64,
        service_rate: f64,
        abandonment_rate: f64,
    ) -> Result<Self, QueueingError> {
        Ok(Self {
            arrival_rate: non_negative("arrival_rate", arrival_rate)?,
            service_rate: positive("service_rate", service_rate)?,
            abandonment_rate: non_negative("abandonment_rate", abandonment_rate)?,
        })
    }

    /// The steady state with `servers` servers, from the exact birth–death chain.
    ///
    /// With states n ≤ c weighted as in Erlang B and the queue tail
    /// `π_{c+m}/π_c = Π_{j=1..m} λ/(cμ + jθ)` summed in log space until the terms fall
    /// below 1e-18 of the total. Without abandonment (θ = 0) the chain is stable only for
    /// A < c; otherwise every arrival waits and the queue grows without bound.
    pub fn metrics(&self, servers: u64) -> Result<ErlangAMetrics, QueueingError> {
        if servers == 0 {
            return Err(QueueingError::NoServers);
        }
        let (lambda, mu, theta) = (self.arrival_rate, self.service_rate, self.abandonment_rate);
        let c = servers as f64;
        let a = lambda / mu;
        if lambda == 0.0 {
            return Ok(ErlangAMetrics {
                wait_probability: 0.0,
                abandonment_probability: 0.0,
                mean_queue_length: 0.0,
                mean_wait: 0.0,
                occupancy: 0.0,
            });
        }
        if theta == 0.0 {
            let q = ErlangCQueue::from_offered_load(a, 1.0 / mu)?;
            let pw = q.wait_probability(servers)?;
            if a >= c {
                return Ok(ErlangAMetrics {
                    wait_probability: 1.0,
                    abandonment_probability: 0.0,
                    mean_queue_length: f64::INFINITY,
                    mean_wait: f64::INFINITY,
                    occupancy: 1.0,
                });
            }
            let lq = pw * a / (c - a);
            return Ok(ErlangAMetrics {
                wait_probability: pw,
                abandonment_probability: 0.0,
                mean_queue_length: lq,
                mean_wait: lq / lambda,
                occupancy: a / c,
            });
        }
        // The tail terms grow until cμ + mθ reaches λ; past 10⁷ states the sum is refused
        // rather than truncated.
        let peak = ((lambda - c * mu) / theta).max(0.0);
        if peak > MAX_QUEUE_STATES as f64 / 2.0 {
            return Err(QueueingError::TooManyStates {
                limit: MAX_QUEUE_STATES,
            });
        }
        // Tail sums relative to π_c: T = Σ_{m≥0} t_m, Q = Σ_{m≥1} m·t_m, t_0 = 1.
        let ln_lambda = lambda.ln();
        let cmu = c * mu;
        let mut ln_t = 0.0_f64;
        let mut ln_sum_t = 0.0_f64;
        let mut ln_sum_q = f64::NEG_INFINITY;
        let mut m: u64 = 0;
        loop {
            m += 1;
            let ln_ratio = ln_lambda - (cmu + m as f64 * theta).ln();
            ln_t += ln_ratio;
            ln_sum_t = log_add(ln_sum_t, ln_t);
            ln_sum_q = log_add(ln_sum_q, ln_t + (m as f64).ln());
            // Past the mode (ratio < 1) the terms decrease geometrically at least as fast
            // as the current ratio; stop once the rest cannot matter.
            // The rest of the Q tail is at most m·t_m/(1 − r)², r the current ratio.
            if ln_ratio < 0.0
                && ln_t + (m as f64).ln() - 2.0 * (-ln_ratio.exp()).ln_1p()
                    < ln_sum_t.max(ln_sum_q) - 43.0
            {
                break;
            }
            if m > MAX_QUEUE_STATES {
                return Err(QueueingError::TooManyStates {
                    limit: MAX_QUEUE_STATES,
                });
            }
        }
        // Mass below c relative to π_c: Σ_{n<c} π_n/π_c = 1/B − 1 = e^y − 1.
        let y = ln_inverse_erlang_b(servers, a);
        let ln_below = if y == 0.0 {
            f64::NEG_INFINITY
        } else {
            y + (-(-y).exp()).ln_1p()
        };
        let ln_z = log_add(ln_below, ln_sum_t);
        let wait_probability = (ln_sum_t - ln_z).exp();
        let mean_queue_length = (ln_sum_q - ln_z).exp();
        let abandonment_probability = (theta * mean_queue_length / lambda).min(1.0);
        Ok(ErlangAMetrics {
            wait_probability,
            abandonment_probability,
            mean_queue_length,
            mean_wait: mean_queue_length / lambda,
            occupancy: ((1.0 - abandonment_probability) * a / c).min(1.0),
        })
    }
}

/// `ln(e^a + e^b)` without overflow.
fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erlang_b_direct(c: u64, a: f64) -> f64 {
        let mut b = 1.0;
        for k in 1..=c {
            b = a * b / (k as f64 + a * b);
        }
        b
    }

    #[test]
    fn erlang_b_matches_the_plain_recursion() {
        for &(c, a) in &[(1, 0.5), (5, 3.0), (14, 10.0), (40, 33.3), (200, 180.0)] {
            let got = erlang_b(c, a).unwrap();
            let want = erlang_b_direct(c, a);
            assert!(
                (got - want).abs() < 1e-13 * want.max(1e-300),
                "{c} {a}: {got} vs {want}"
            );
        }
        assert_eq!(erlang_b(0, 3.0).unwrap(), 1.0);
        assert_eq!(erlang_b(3, 0.0).unwrap(), 0.0);
        // B(1, A) = A/(1 + A).
        assert!((erlang_b(1, 2.0).unwrap() - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn log_space_continuation_matches_the_pure_log_recursion() {
        // B(400, 5) ≈ 1e-589 underflows; the switch to log space must be seamless.
        let (c, a) = (400_u64, 5.0_f64);
        let mut y = 0.0;
        for k in 1..=c {
            y = softplus((k as f64).ln() - a.ln() + y);
        }
        let got = ln_inverse_erlang_b(c, a);
        assert!((got - y).abs() < 1e-9 * y, "{got} vs {y}");
        assert!(got > 1000.0);
    }

    #[test]
    fn large_pools_do_not_overflow() {
        let b = erlang_b(100_000, 99_000.0).unwrap();
        assert!(b.is_finite() && b > 0.0 && b < 1.0);
        let c = erlang_c(100_000, 99_000.0).unwrap();
        assert!(c.is_finite() && (0.0..=1.0).contains(&c));
        // Far more servers than load: blocking underflows to 0 instead of NaN.
        assert_eq!(erlang_c(5_000, 10.0).unwrap(), 0.0);
        let ea = ErlangAQueue::new(9_000.0, 1.0, 0.5)
            .unwrap()
            .metrics(10_000)
            .unwrap();
        assert!(ea.wait_probability.is_finite());
    }

    #[test]
    fn erlang_c_edges_and_errors() {
        assert_eq!(erlang_c(3, 3.0).unwrap(), 1.0);
        assert_eq!(erlang_c(3, 0.0).unwrap(), 0.0);
        // M/M/1: C = ρ.
        assert!((erlang_c(1, 0.7).unwrap() - 0.7).abs() < 1e-15);
        assert_eq!(erlang_c(0, 1.0), Err(QueueingError::NoServers));
        assert!(erlang_c(2, f64::NAN).is_err());
        assert!(erlang_c(2, -1.0).is_err());
    }

    #[test]
    fn wait_multiplier_golden() {
        for (rho, want) in [
            (0.5, 1.0),
            (0.7, 2.333333333333333),
            (0.8, 4.000000000000001),
            (0.9, 9.000000000000002),
            (0.95, 18.999999999999982),
        ] {
            assert!((wait_time_multiplier(rho) - want).abs() < 1e-12);
        }
        assert_eq!(wait_time_multiplier(1.0), f64::INFINITY);
        assert_eq!(wait_time_multiplier(-0.1), 0.0);
    }

    #[test]
    fn safe_utilization_grows_with_pool_size() {
        let small = safe_utilization(5, 0.2).unwrap();
        let large = safe_utilization(100, 0.2).unwrap();
        assert!(small < large && large < 1.0, "{small} {large}");
        let rho = safe_utilization(14, 0.2).unwrap();
        assert!((erlang_c(14, rho * 14.0).unwrap() - 0.2).abs() < 1e-9);
    }

    #[test]
    fn erlang_a_limits() {
        // θ → 0 approaches Erlang C.
        let c = erlang_c(14, 10.0).unwrap();
        let a = ErlangAQueue::new(10.0, 1.0, 1e-9)
            .unwrap()
            .metrics(14)
            .unwrap();
        assert!(
            (a.wait_probability - c).abs() < 1e-6,
            "{} {c}",
            a.wait_probability
        );
        // θ = μ: the number in system is Poisson(A), so P(wait) = P(N ≥ c).
        let (lambda, servers) = (6.0_f64, 8_u64);
        let m = ErlangAQueue::new(lambda, 1.0, 1.0)
            .unwrap()
            .metrics(servers)
            .unwrap();
        let mut below = 0.0;
        let mut term = (-lambda).exp();
        for n in 0..servers {
            below += term;
            term *= lambda / (n + 1) as f64;
        }
        assert!((m.wait_probability - (1.0 - below)).abs() < 1e-12);
        // Overloaded without abandonment: every arrival waits.
        let over = ErlangAQueue::new(12.0, 1.0, 0.0)
            .unwrap()
            .metrics(10)
            .unwrap();
        assert_eq!(over.wait_probability, 1.0);
        // Nearly no abandonment under heavy overload: refused, not truncated.
        assert!(matches!(
            ErlangAQueue::new(1e6, 1.0, 1e-6).unwrap().metrics(10),
            Err(QueueingError::TooManyStates { .. })
        ));
        // Overloaded with abandonment: stable, and the excess abandons.
        let ab = ErlangAQueue::new(12.0, 1.0, 0.5)
            .unwrap()
            .metrics(10)
            .unwrap();
        assert!(ab.abandonment_probability > 1.0 / 6.0 - 0.05 && ab.abandonment_probability < 1.0);
    }
}
