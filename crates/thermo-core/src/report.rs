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
    use rayon::prelude::*;
    let c = &config.contingency;
    if c.barrier_descent_steps == 0 {
        return vec![None; schedule.people.len()];
    }
    let none = || vec![None; schedule.people.len()];
    let temperature = config.free_energy.temperature;
    let scope = crate::statmech::state::Scope {
        from: window.map(|w| w.0),
        to: window.map(|w| w.1),
    };
    // One scan of the schedule for every loss, and F(now) once.
    let Ok(template) =
        crate::statmech::state::StateTemplate::new(schedule, scope, &config.free_energy.model)
    else {
        return none();
    };
    let Ok(now) = template.state(&[]) else {
        return none();
    };
    let f_now = now.energy(temperature);
    (0..schedule.people.len())
        .into_par_iter()
        .map(|p| {
            crate::statmech::landscape::repaired_free_energy(
                &template,
                &[crate::model::PersonIdx(p as u32)],
                temperature,
                c.barrier_descent_steps,
                c.barrier_seed,
            )
            .ok()
            .map(|repaired| repaired - f_now)
        })
        .collect()
}

/// Runs every layer on `schedule` at date `at`.
pub fn analyze(schedule: &Schedule, at: NaiveDate, config: &AnalysisConfig) -> AnalysisReport {
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
    let phase_transition =
        crate::ews::detector::phase_transition_section(schedule, at, &config.phase_transition);
    let contingency_window = (config.contingency.window_days > 0).then(|| {
        (
            at,
            at + Duration::days(i64::from(config.contingency.window_days)),
        )
    });
    let barriers = energy_barriers(schedule, contingency_window, config);
    let slots = crate::resilience::contingency::SlotIndex::build(
        schedule,
        config.contingency.slots,
        contingency_window,
    );
    let contingency = crate::resilience::contingency::analyze_contingency_on(
        schedule,
        &slots,
        &config.contingency,
        &|people| match people {
            [p] => barriers.get(p.index()).copied().flatten(),
            _ => None,
        },
    );
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
        program: ProgramSummary::of(schedule),
        entropy,
        utilization,
        transport,
        phase_transition,
        contingency,
        health,
        free_energy: crate::statmech::free_energy::free_energy_report(
            schedule,
            at,
            &config.free_energy,
        )
        .ok(),
        landscape: crate::statmech::landscape::landscape_report(
            schedule,
            at,
            &config.free_energy,
            &config.landscape,
        )
        .ok(),
        fluctuation: crate::statmech::fluctuation::fluctuation_report(
            schedule,
            &config.fluctuation,
        )
        .ok(),
        dissipative: crate::statmech::dissipative::dissipative_report(
            schedule,
            at,
            &config.dissipative,
        )
        .ok(),
        maxwell: crate::statmech::maxwell::maxwell_report(schedule, &config.maxwell).ok(),
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
