//! The analysis report: every layer for one program at one instant.
//!
//! [`analyze`] is the single entry point used by `thermo analyze` and the service; each
//! layer contributes one section. [`AnalysisConfig`] carries every layer's thresholds,
//! with documented defaults, and is what `thermo analyze --config FILE` reads (TOML).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::baselines::BaselinesConfig;
use crate::entropy::{EntropyReport, ThresholdSlowingRule, schedule_entropy_between};
use crate::model::Schedule;
use crate::queueing::utilization::{UtilizationConfig, UtilizationReport, schedule_utilization};
use crate::resilience::contingency::{ContingencyConfig, ContingencyReport};
use crate::resilience::defense::DefenseConfig;
use crate::resilience::homeostasis::HomeostasisConfig;
use crate::resilience::zones::ZonesConfig;
use crate::statmech::state::{MoveState, Scope};
use crate::summary::ProgramSummary;
use crate::transport::{TransportConfig, TransportReport, check_transport};

/// Entropy-layer settings (`[entropy]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntropyConfig {
    /// Days of schedule, starting at the analysis date, whose assignments are counted
    /// (default 28, the planning horizon); 0 counts the whole schedule.
    pub window_days: u32,
    /// Measurements kept by the entropy monitor (default 100).
    pub monitor_capacity: usize,
    /// Critical-slowing rule of the entropy monitor.
    pub critical_slowing: ThresholdSlowingRule,
}

impl Default for EntropyConfig {
    fn default() -> Self {
        Self {
            window_days: 28,
            monitor_capacity: 100,
            critical_slowing: ThresholdSlowingRule::default(),
        }
    }
}

/// Every threshold of the analysis, by layer. Unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// `[entropy]` section.
    pub entropy: EntropyConfig,
    /// `[utilization]` section (levels and Erlang inputs; horizon and sessions per day come
    /// from `[transport]`).
    pub utilization: UtilizationConfig,
    /// `[transport]` section.
    pub transport: TransportConfig,
    /// `[phase_transition]` section: early-warning detector on the bundle's metric series.
    pub phase_transition: crate::ews::detector::PhaseTransitionConfig,
    /// `[contingency]` section.
    pub contingency: ContingencyConfig,
    /// `[defense]` section.
    pub defense: DefenseConfig,
    /// `[homeostasis]` section.
    pub homeostasis: HomeostasisConfig,
    /// `[zones]` section.
    pub zones: ZonesConfig,
    /// `[baselines]` section (`[baselines.spc]`, `[baselines.sta_lta]`, `[baselines.fire_index]`).
    pub baselines: BaselinesConfig,
    /// `[health]` section: how the health report composes the layers.
    pub health: crate::health::HealthConfig,
    /// `[free_energy]` section (window, temperature and energy weights).
    pub free_energy: crate::statmech::free_energy::FreeEnergyConfig,
    /// `[landscape]` section.
    pub landscape: crate::statmech::landscape::LandscapeConfig,
    /// `[fluctuation]` section.
    pub fluctuation: crate::statmech::fluctuation::FluctuationConfig,
    /// `[dissipative]` section.
    pub dissipative: crate::statmech::dissipative::DissipativeConfig,
    /// `[maxwell]` section.
    pub maxwell: crate::statmech::maxwell::MaxwellConfig,
}

/// The report of `thermo analyze`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisReport {
    /// The analysis date.
    pub at: NaiveDate,
    /// What the bundle holds.
    pub program: ProgramSummary,
    /// Entropy of the assignments in the entropy window.
    pub entropy: EntropyReport,
    /// Utilization from the schedule over the transport horizon, with Erlang figures.
    pub utilization: UtilizationReport,
    /// Transport dynamics (saturation gradient, boundary layer, Péclet number).
    pub transport: TransportReport,
    /// Early-warning assessment of the bundle's metric series up to the analysis date.
    pub phase_transition: crate::ews::detector::PhaseTransitionRisk,
    /// Exact N-1/N-2 contingency over `[at, at + contingency.window_days)`.
    pub contingency: ContingencyReport,
    /// Every layer composed: overall status, defense level, homeostasis, zones, baselines
    /// and unified alerts.
    pub health: crate::health::HealthSection,
    /// F = U − T·S of the free-energy window (null when its settings are invalid).
    pub free_energy: Option<crate::statmech::free_energy::FreeEnergyReport>,
    /// Landscape around the schedule (null when its settings are invalid).
    pub landscape: Option<crate::statmech::landscape::LandscapeReport>,
    /// Fluctuation–dissipation per metric (null when its settings are invalid).
    pub fluctuation: Option<crate::statmech::fluctuation::FluctuationReport>,
    /// Entropy balance, health and emergent patterns (null when its settings are invalid).
    pub dissipative: Option<crate::statmech::dissipative::DissipativeReport>,
    /// Information value of metrics (null when its settings are invalid).
    pub maxwell: Option<crate::statmech::maxwell::MaxwellReport>,
}

/// The date an analysis should run at when none is given: `today` when it falls inside the
/// schedule's assignment dates, else the schedule's first date (or `today` for an empty schedule).
pub fn default_analysis_date(schedule: &Schedule, today: NaiveDate) -> NaiveDate {
    match schedule.assignment_date_range() {
        Some((first, last)) if today < first || today > last => first,
        _ => today,
    }
}

/// The free-energy barrier of losing each person (statistical-mechanics layer: repair by
/// moves inside the contingency window, barrier = F(after loss, repaired) − F(now)),
/// computed in parallel; `None` for everyone when `barrier_descent_steps` is 0.
pub fn energy_barriers(
    schedule: &Schedule,
    window: Option<(NaiveDate, NaiveDate)>,
    config: &AnalysisConfig,
) -> Vec<Option<f64>> {
    if config.contingency.barrier_descent_steps == 0 {
        return vec![None; schedule.people.len()];
    }
    match MoveState::new(
        schedule,
        barrier_scope(window),
        &[],
        &config.free_energy.model,
    ) {
        Ok(now) => energy_barriers_from(&now, schedule.people.len(), config),
        Err(_) => vec![None; schedule.people.len()],
    }
}

/// The move-state scope of the contingency window.
fn barrier_scope(window: Option<(NaiveDate, NaiveDate)>) -> Scope {
    Scope {
        from: window.map(|w| w.0),
        to: window.map(|w| w.1),
    }
}

/// [`energy_barriers`] from `now`, the move state of the contingency window with nobody
/// removed. Each rayon job works on its own copy of `now`: take the person out in place,
/// repair, and copy `now` back, so every loss starts from a state bit-identical to `now`; each barrier depends only on `now`, the person and the seed, and
/// the result does not depend on the number of threads.
fn energy_barriers_from(
    now: &MoveState,
    people: usize,
    config: &AnalysisConfig,
) -> Vec<Option<f64>> {
    use rayon::prelude::*;
    let c = &config.contingency;
    if c.barrier_descent_steps == 0 {
        return vec![None; people];
    }
    let temperature = config.free_energy.temperature;
    let f_now = now.energy(temperature);
    (0..people)
        .into_par_iter()
        .map_init(
            || now.clone(),
            |state, p| {
                crate::statmech::landscape::repaired_free_energy(
                    state,
                    now,
                    &[crate::model::PersonIdx(p as u32)],
                    temperature,
                    c.barrier_descent_steps,
                    c.barrier_seed,
                )
                .ok()
                .map(|repaired| repaired - f_now)
            },
        )
        .collect()
}

/// The statistical-mechanics sections that explore the move state, and the barriers.
struct StateSections {
    free_energy: Option<crate::statmech::free_energy::FreeEnergyReport>,
    landscape: Option<crate::statmech::landscape::LandscapeReport>,
    barriers: Vec<Option<f64>>,
}

/// The free-energy and landscape sections and every person's energy barrier. The move state
/// is built once and shared when the free-energy window equals the contingency window (the
/// default: both 28 days); the landscape and the barriers run concurrently.
fn state_sections(
    schedule: &Schedule,
    at: NaiveDate,
    contingency_window: Option<(NaiveDate, NaiveDate)>,
    config: &AnalysisConfig,
) -> StateSections {
    let fe = &config.free_energy;
    let scope = Scope::window(at, fe.window_days);
    let state = MoveState::new(schedule, scope, &[], &fe.model);
    let free_energy = state
        .as_ref()
        .ok()
        .and_then(|s| crate::statmech::free_energy::free_energy_report_on(s, fe.temperature).ok());
    let landscape = || {
        let mut s = state.as_ref().ok()?.clone();
        crate::statmech::landscape::analyze_landscape(&mut s, fe.temperature, &config.landscape)
            .ok()
    };
    let people = schedule.people.len();
    let barriers = || match &state {
        Ok(now) if barrier_scope(contingency_window) == scope => {
            energy_barriers_from(now, people, config)
        }
        _ => energy_barriers(schedule, contingency_window, config),
    };
    let (landscape, barriers) = rayon::join(landscape, barriers);
    StateSections {
        free_energy,
        landscape,
        barriers,
    }
}

/// Runs every layer on `schedule` at date `at`.
///
/// Independent sections run concurrently on rayon (the early-warning section, the
/// contingency analysis, the move-state sections and barriers, the rest); each result goes
/// to its own field, so the report is the same whatever the number of threads. The
/// move-state sections start first, on the calling thread: the landscape is the longest
/// sequential task, and everything else splits finely enough to fill the other threads.
pub fn analyze(schedule: &Schedule, at: NaiveDate, config: &AnalysisConfig) -> AnalysisReport {
    let contingency_window = (config.contingency.window_days > 0).then(|| {
        (
            at,
            at + Duration::days(i64::from(config.contingency.window_days)),
        )
    });
    let phase_transition =
        || crate::ews::detector::phase_transition_section(schedule, at, &config.phase_transition);
    let contingency = || {
        let slots = crate::resilience::contingency::SlotIndex::build(
            schedule,
            config.contingency.slots,
            contingency_window,
        );
        let report = crate::resilience::contingency::analyze_contingency_on(
            schedule,
            &slots,
            &config.contingency,
            &|_| None,
        );
        (slots, report)
    };
    let classic = || {
        let window_end = (config.entropy.window_days > 0)
            .then(|| at + Duration::days(i64::from(config.entropy.window_days)));
        let window_start = (config.entropy.window_days > 0).then_some(at);
        let entropy = schedule_entropy_between(schedule, window_start, window_end);
        let utilization = schedule_utilization(
            schedule,
            at,
            config.transport.horizon_days,
            config.transport.capacity_per_day,
            &config.utilization,
        );
        let transport = check_transport(schedule, at, &config.transport);
        (entropy, utilization, transport)
    };
    let other_statmech = || {
        (
            crate::statmech::fluctuation::fluctuation_report(schedule, &config.fluctuation).ok(),
            crate::statmech::dissipative::dissipative_report(schedule, at, &config.dissipative)
                .ok(),
            crate::statmech::maxwell::maxwell_report(schedule, &config.maxwell).ok(),
            ProgramSummary::of(schedule),
        )
    };
    let (state, (phase_transition, ((slots, mut contingency), (classic, other)))) = rayon::join(
        || state_sections(schedule, at, contingency_window, config),
        || {
            rayon::join(phase_transition, || {
                rayon::join(contingency, || rayon::join(classic, other_statmech))
            })
        },
    );
    let (entropy, utilization, transport) = classic;
    let (fluctuation, dissipative, maxwell, program) = other;
    let barriers = state.barriers;
    contingency.fill_energy_barriers(schedule, &|people| match people {
        [p] => barriers.get(p.index()).copied().flatten(),
        _ => None,
    });
    let health = crate::health::assess(
        schedule,
        at,
        crate::health::LayerOutputs {
            entropy: &entropy,
            utilization: &utilization,
            transport: &transport,
            phase_transition: &phase_transition,
            contingency: &contingency,
            slots: &slots,
        },
        config,
    );
    AnalysisReport {
        at,
        program,
        entropy,
        utilization,
        transport,
        phase_transition,
        contingency,
        health,
        free_energy: state.free_energy,
        landscape: state.landscape,
        fluctuation,
        dissipative,
        maxwell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignmentRole, Person, ScheduleBuilder, Session};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn schedule() -> Schedule {
        let mut b = ScheduleBuilder::new();
        b.add_person(Person::new("a")).unwrap();
        b.add_person(Person::new("b")).unwrap();
        b.assign(
            "a",
            d("2026-01-01"),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "b",
            d("2026-03-01"),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        b.build()
    }

    #[test]
    fn default_date_is_today_inside_the_schedule_else_its_first_date() {
        let s = schedule();
        assert_eq!(default_analysis_date(&s, d("2026-02-01")), d("2026-02-01"));
        assert_eq!(default_analysis_date(&s, d("2027-01-01")), d("2026-01-01"));
        assert_eq!(default_analysis_date(&s, d("2025-01-01")), d("2026-01-01"));
    }

    #[test]
    fn entropy_window_limits_the_assignments_counted() {
        let s = schedule();
        let windowed = analyze(&s, d("2026-01-01"), &AnalysisConfig::default());
        assert_eq!(windowed.entropy.assignments_counted, 1);
        let mut whole = AnalysisConfig::default();
        whole.entropy.window_days = 0;
        assert_eq!(
            analyze(&s, d("2026-01-01"), &whole)
                .entropy
                .assignments_counted,
            2
        );
    }

    #[test]
    fn config_rejects_unknown_keys() {
        let err =
            serde_json::from_str::<AnalysisConfig>(r#"{"entropy": {"window": 3}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `window`"), "{err}");
    }
}
