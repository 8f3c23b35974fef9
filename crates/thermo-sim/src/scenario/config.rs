//! Parameters of the scenario simulator, read from TOML, with documented defaults.
//!
//! [`ScenarioConfig::default`] is the documented default; `examples/compare/scenarios.toml`
//! spells out every key with its unit and meaning and parses to the same value. Every
//! section and every key is optional; unknown keys are an error; [`ScenarioConfig::validate`]
//! rejects non-finite numbers and out-of-range values, naming the key, the value and what
//! was expected.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::ScenarioError;

/// The whole scenario file: the shared simulator parameters and one section per scenario.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Parameters shared by every scenario.
    pub simulator: SimulatorConfig,
    /// The stress each scenario applies, and its per-scenario overrides.
    pub scenarios: ScenarioPresets,
}

/// Parameters shared by every scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Simulated hours per run (default 672 = 28 days).
    pub horizon_hours: u32,
    /// Wall-clock instant of hour 0 (UTC; default 2026-01-05T00:00:00Z, a Monday).
    pub start: DateTime<Utc>,
    /// Unit names, in index order (default ward, icu, ed, clinic, procedures, night).
    pub units: Vec<String>,
    /// Share of a two-column arrival CSV (`timestamp,arrivals`) that goes to each unit, in
    /// unit order; empty = equal shares. Normalised to sum 1.
    pub unit_shares: Vec<f64>,
    /// The duty roster and the people.
    pub staffing: StaffingConfig,
    /// The arrival process.
    pub arrivals: ArrivalConfig,
    /// Task transfers and redeployments.
    pub rebalancing: RebalancingConfig,
    /// Absences and the cover of the shifts they leave open.
    pub absences: AbsenceConfig,
    /// Swap requests raised under overload.
    pub swaps: SwapConfig,
    /// The definition of the critical transition.
    pub ground_truth: GroundTruthConfig,
}

/// Default unit names.
pub const DEFAULT_UNITS: [&str; 6] = ["ward", "icu", "ed", "clinic", "procedures", "night"];

impl SimulatorConfig {
    /// The default start: Monday 5 January 2026, 00:00 UTC.
    pub fn default_start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            horizon_hours: 672,
            start: Self::default_start(),
            units: DEFAULT_UNITS.iter().map(|s| (*s).to_owned()).collect(),
            unit_shares: Vec::new(),
            staffing: StaffingConfig::default(),
            arrivals: ArrivalConfig::default(),
            rebalancing: RebalancingConfig::default(),
            absences: AbsenceConfig::default(),
            swaps: SwapConfig::default(),
            ground_truth: GroundTruthConfig::default(),
        }
    }
}

/// The duty roster: three 8-hour shifts a day (day, evening, night) with planned and
/// required headcounts per unit, and the people who staff them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffingConfig {
    /// Fewest people whose home is a unit (default 10); drawn per seed and unit.
    pub people_per_unit_min: u32,
    /// Most people whose home is a unit (default 11).
    pub people_per_unit_max: u32,
    /// Hour of day (0–23) at which the day shift starts (default 7); the evening shift
    /// starts 8 h later, the night shift 16 h later.
    pub day_start_hour: u32,
    /// People planned on each unit's day shift (default 3).
    pub planned_day: u32,
    /// People planned on each unit's evening shift (default 2).
    pub planned_evening: u32,
    /// People planned on each unit's night shift (default 2).
    pub planned_night: u32,
    /// Minimum people on duty a unit requires on the day shift (default 2).
    pub required_day: u32,
    /// Minimum people on duty on the evening shift (default 1).
    pub required_evening: u32,
    /// Minimum people on duty on the night shift (default 1).
    pub required_night: u32,
    /// Most shifts a person is rostered in any 7 consecutive days (default 5); a cover
    /// may add one more.
    pub max_shifts_per_week: u32,
    /// Mean service rate, tasks per hour per person on duty (default 2.0).
    pub service_rate_mean: f64,
    /// Relative spread of the service rate: each person's rate is drawn uniformly in
    /// mean × [1 − spread, 1 + spread] (default 0.2).
    pub service_rate_spread: f64,
}

impl Default for StaffingConfig {
    fn default() -> Self {
        Self {
            people_per_unit_min: 11,
            people_per_unit_max: 12,
            day_start_hour: 7,
            planned_day: 3,
            planned_evening: 2,
            planned_night: 2,
            required_day: 2,
            required_evening: 1,
            required_night: 1,
            max_shifts_per_week: 5,
            service_rate_mean: 6.0,
            service_rate_spread: 0.2,
        }
    }
}

impl StaffingConfig {
    /// Planned headcount of shift `k` (0 day, 1 evening, 2 night).
    pub fn planned(&self, k: usize) -> u32 {
        [self.planned_day, self.planned_evening, self.planned_night][k.min(2)]
    }

    /// Required headcount of shift `k` (0 day, 1 evening, 2 night).
    pub fn required(&self, k: usize) -> u32 {
        [
            self.required_day,
            self.required_evening,
            self.required_night,
        ][k.min(2)]
    }
}

/// The stochastic arrival process (ignored for the shape of the load when arrivals come
/// from a CSV series; the scenario's stress still multiplies them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArrivalConfig {
    /// Lowest base utilization of a unit: mean arrivals ÷ planned capacity of the shift,
    /// drawn per seed and unit (default 0.55).
    pub base_utilization_min: f64,
    /// Highest base utilization of a unit (default 0.68).
    pub base_utilization_max: f64,
    /// Relative amplitude of the daily cycle of the arrival rate (default 0.15).
    pub daily_amplitude: f64,
    /// Hour of day (0–24, fractional) at which the daily cycle peaks (default 11.0).
    pub daily_peak_hour: f64,
    /// Relative reduction of the arrival rate on Saturdays and Sundays (default 0.15).
    pub weekend_reduction: f64,
}

impl Default for ArrivalConfig {
    fn default() -> Self {
        Self {
            base_utilization_min: 0.5,
            base_utilization_max: 0.62,
            daily_amplitude: 0.15,
            daily_peak_hour: 11.0,
            weekend_reduction: 0.15,
        }
    }
}

/// Rebalancing at a finite speed: backlog transfers and redeployments of people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RebalancingConfig {
    /// Hours between a state and the rebalancing decisions that react to it (default 2).
    pub reaction_delay_hours: u32,
    /// Most backlog tasks moved between units per hour, over all units (default 1.5).
    pub transfer_tasks_per_hour: f64,
    /// A unit gives backlog away when its pressure was at least this (default 0.9).
    pub transfer_source_pressure: f64,
    /// A unit takes backlog when its pressure was below this (default 0.7); it takes at most
    /// enough to reach it.
    pub transfer_target_pressure: f64,
    /// A unit receives a redeployed person when its pressure was at least this (default
    /// 1.0), or when it had fewer people on duty than required.
    pub redeploy_pressure: f64,
    /// A unit lends a person only when its pressure was below this (default 0.7) and it
    /// has more people on duty than required.
    pub redeploy_donor_pressure: f64,
    /// Most redeployments per day over all units (default 2).
    pub redeploy_max_per_day: u32,
    /// Fewest hours between two redeployments (default 4).
    pub redeploy_interval_hours: u32,
}

impl Default for RebalancingConfig {
    fn default() -> Self {
        Self {
            reaction_delay_hours: 2,
            transfer_tasks_per_hour: 4.0,
            transfer_source_pressure: 0.9,
            transfer_target_pressure: 0.7,
            redeploy_pressure: 1.0,
            redeploy_donor_pressure: 0.85,
            redeploy_max_per_day: 2,
            redeploy_interval_hours: 4,
        }
    }
}

/// Absences (sick leave) and the cover of the shifts they leave open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AbsenceConfig {
    /// Probability per person and day of starting an absence (default 0.004).
    pub daily_hazard: f64,
    /// Added to the daily hazard per unit share of the person's unit already absent
    /// (contagion; default 0.05).
    pub contagion: f64,
    /// Shortest absence, days (default 1).
    pub duration_days_min: u32,
    /// Longest absence, days (default 5).
    pub duration_days_max: u32,
    /// Probability that one asked colleague accepts to cover an open shift (default 0.6);
    /// colleagues are asked in turn until one accepts.
    pub cover_accept_probability: f64,
    /// Relative drop of the acceptance probability per unit of the unit's pressure above
    /// 1 (overloaded teams cover less; default 0.5).
    pub cover_overload_drop: f64,
}

impl Default for AbsenceConfig {
    fn default() -> Self {
        Self {
            daily_hazard: 0.004,
            contagion: 0.05,
            duration_days_min: 1,
            duration_days_max: 5,
            cover_accept_probability: 0.85,
            cover_overload_drop: 0.5,
        }
    }
}

/// Swap requests: the behavioural precursor of overload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwapConfig {
    /// Swap requests per person on duty per hour at any load (default 0.005).
    pub base_rate: f64,
    /// Extra requests per person on duty per hour per unit of pressure above
    /// `overload_threshold` (default 0.3).
    pub overload_gain: f64,
    /// Pressure above which requests rise (default 0.8).
    pub overload_threshold: f64,
}

impl Default for SwapConfig {
    fn default() -> Self {
        Self {
            base_rate: 0.005,
            overload_gain: 0.3,
            overload_threshold: 0.8,
        }
    }
}

/// The critical transition, decided from the simulator's state only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroundTruthConfig {
    /// Hours W of the utilization window (default 8, one shift): a unit's utilization at
    /// hour t is (backlog before hour t − W + 1 + net inflow over the last W hours) ÷ its
    /// capacity over the same hours, i.e. the work it had to do over what it could do.
    pub utilization_window_hours: u32,
    /// A unit breaches when its window utilization is at least this (default 0.95).
    pub utilization_breach: f64,
    /// Consecutive breach hours that make a sustained breach (default 6).
    pub utilization_sustain_hours: u32,
    /// Consecutive hours with fewer people on duty than required that make a coverage
    /// failure (default 4).
    pub coverage_sustain_hours: u32,
}

impl Default for GroundTruthConfig {
    fn default() -> Self {
        Self {
            utilization_window_hours: 8,
            utilization_breach: 0.95,
            utilization_sustain_hours: 6,
            coverage_sustain_hours: 4,
        }
    }
}

/// One section per scenario.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioPresets {
    /// `gradual_load_increase`.
    pub gradual_load_increase: GradualPreset,
    /// `sudden_spike`.
    pub sudden_spike: SpikePreset,
    /// `uneven_distribution`.
    pub uneven_distribution: UnevenPreset,
    /// `recovery_dynamics`.
    pub recovery_dynamics: RecoveryPreset,
    /// `mass_absence`.
    pub mass_absence: MassAbsencePreset,
    /// `null_stationary`.
    pub null_stationary: NullStationaryPreset,
    /// `null_seasonal`.
    pub null_seasonal: NullSeasonalPreset,
}

/// The keys every scenario has, borrowed from its section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommonKeys<'a> {
    /// Earliest onset of the stress, days from the start.
    pub onset_day_min: f64,
    /// Latest onset, days.
    pub onset_day_max: f64,
    /// The stressed unit's name; `None` = drawn per seed.
    pub root_unit: Option<&'a str>,
    /// Whether arrivals follow the daily cycle.
    pub daily_cycle: bool,
    /// Whether arrivals drop at weekends.
    pub weekly_cycle: bool,
}

/// Defines a scenario section: the common keys (onset window, root unit, cycles) followed
/// by the scenario's own keys, each with its default.
macro_rules! preset {
    (
        $(#[$meta:meta])* $name:ident {
            onset: ($omin:expr, $omax:expr), cycles: ($daily:expr, $weekly:expr),
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Earliest onset of the stress, days from the start; the hours before it are
            /// the stable baseline detectors learn from. The onset is drawn uniformly in
            /// [onset_day_min, onset_day_max] per seed (ignored by null scenarios).
            pub onset_day_min: f64,
            /// Latest onset, days.
            pub onset_day_max: f64,
            /// The stressed unit's name; absent = drawn uniformly per seed.
            pub root_unit: Option<String>,
            /// Whether arrivals follow the daily cycle.
            pub daily_cycle: bool,
            /// Whether arrivals drop at weekends.
            pub weekly_cycle: bool,
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    onset_day_min: $omin,
                    onset_day_max: $omax,
                    root_unit: None,
                    daily_cycle: $daily,
                    weekly_cycle: $weekly,
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            /// The keys every scenario has.
            pub fn common(&self) -> CommonKeys<'_> {
                CommonKeys {
                    onset_day_min: self.onset_day_min,
                    onset_day_max: self.onset_day_max,
                    root_unit: self.root_unit.as_deref(),
                    daily_cycle: self.daily_cycle,
                    weekly_cycle: self.weekly_cycle,
                }
            }
        }
    };
}

preset! {
    /// `gradual_load_increase`: the stressed unit's load rises linearly from the onset to
    /// the end of the horizon; the other units rise by a share of it.
    GradualPreset {
        onset: (8.0, 12.0), cycles: (true, true),
        /// Lowest base utilization (mean arrivals ÷ planned capacity) the stressed unit
        /// reaches at the end of the horizon (default 1.3).
        end_utilization_min: f64 = 1.3,
        /// Highest (default 1.6); drawn uniformly per seed.
        end_utilization_max: f64 = 1.6,
        /// Relative load increase of the other units as a share of the stressed unit's
        /// (default 0.25).
        spillover: f64 = 0.25,
    }
}

preset! {
    /// `uneven_distribution`: the stressed unit's share of a constant total load rises
    /// linearly from the onset to the end of the horizon; the other units lose what it gains.
    UnevenPreset {
        onset: (8.0, 12.0), cycles: (true, true),
        /// Lowest base utilization the stressed unit reaches at the end (default 1.5).
        end_utilization_min: f64 = 1.5,
        /// Highest (default 1.9).
        end_utilization_max: f64 = 1.9,
        /// Lowest load multiplier of the other units (default 0.2).
        other_units_floor: f64 = 0.2,
    }
}

preset! {
    /// `sudden_spike`: a step of the stressed unit's load for a limited time.
    SpikePreset {
        onset: (9.0, 20.0), cycles: (true, true),
        /// Lowest base utilization of the stressed unit during the spike (default 1.4).
        spike_utilization_min: f64 = 1.4,
        /// Highest (default 1.9).
        spike_utilization_max: f64 = 1.9,
        /// Shortest spike, hours (default 24).
        duration_hours_min: u32 = 24,
        /// Longest spike, hours (default 72).
        duration_hours_max: u32 = 72,
        /// Relative load increase of the other units as a share of the stressed unit's
        /// (default 0.1).
        spillover: f64 = 0.1,
    }
}

preset! {
    /// `recovery_dynamics`: load pulses on the stressed unit throughout the run while its
    /// base load rises slowly from the onset, so recovery from each pulse takes longer
    /// until one is not recovered.
    RecoveryPreset {
        onset: (8.0, 12.0), cycles: (true, true),
        /// Lowest base utilization reached at the end of the horizon (default 1.1).
        end_utilization_min: f64 = 1.1,
        /// Highest (default 1.3).
        end_utilization_max: f64 = 1.3,
        /// Shortest hours between pulse starts (default 36); drawn per seed.
        pulse_interval_hours_min: u32 = 36,
        /// Longest (default 60).
        pulse_interval_hours_max: u32 = 60,
        /// Pulse length, hours (default 6).
        pulse_hours: u32 = 6,
        /// Load multiplier during a pulse (default 1.4).
        pulse_factor: f64 = 1.4,
    }
}

preset! {
    /// `mass_absence`: an absence season; the daily absence hazard rises as a Gaussian bump
    /// in time, most in the stressed unit. The season's peak is `2 × width_days` after the
    /// drawn onset.
    MassAbsencePreset {
        onset: (8.0, 12.0), cycles: (true, true),
        /// Width (standard deviation) of the season, days (default 4).
        width_days: f64 = 4.0,
        /// Lowest multiplier of the daily hazard in the stressed unit at the peak
        /// (default 80).
        peak_multiplier_min: f64 = 80.0,
        /// Highest (default 120).
        peak_multiplier_max: f64 = 120.0,
        /// Peak multiplier excess of the other units as a share of the stressed unit's
        /// (default 0.15).
        other_units_share: f64 = 0.15,
    }
}

preset! {
    /// `null_stationary`: no stress, and arrivals without daily or weekly cycle (they
    /// follow the planned capacity of each shift only).
    NullStationaryPreset {
        onset: (8.0, 12.0), cycles: (false, false),
    }
}

preset! {
    /// `null_seasonal`: no stress; arrivals with the daily and weekly cycles.
    NullSeasonalPreset {
        onset: (8.0, 12.0), cycles: (true, true),
    }
}

/// Collects the first invalid key.
struct Check(Result<(), ScenarioError>);

impl Check {
    fn fail(&mut self, key: &str, value: impl ToString, expected: &str) {
        if self.0.is_ok() {
            self.0 = Err(ScenarioError::Invalid {
                key: key.to_owned(),
                value: value.to_string(),
                expected: expected.to_owned(),
            });
        }
    }

    /// Finite and within [lo, hi].
    fn range(&mut self, key: &str, v: f64, lo: f64, hi: f64) {
        if !(v.is_finite() && v >= lo && v <= hi) {
            self.fail(key, v, &format!("a finite number in [{lo}, {hi}]"));
        }
    }

    /// Finite and > 0.
    fn positive(&mut self, key: &str, v: f64) {
        if !(v.is_finite() && v > 0.0) {
            self.fail(key, v, "a finite number > 0");
        }
    }

    fn min_max_f(&mut self, key_min: &str, min: f64, key_max: &str, max: f64) {
        if min.is_finite() && max.is_finite() && min > max {
            self.fail(key_max, max, &format!("at least {key_min} ({min})"));
        }
    }

    fn min_max_u(&mut self, key_min: &str, min: u32, key_max: &str, max: u32) {
        if min > max {
            self.fail(key_max, max, &format!("at least {key_min} ({min})"));
        }
    }

    fn common(&mut self, p: &str, c: CommonKeys<'_>, units: &[String], horizon_days: f64) {
        self.range(
            &format!("{p}.onset_day_min"),
            c.onset_day_min,
            0.0,
            horizon_days,
        );
        self.range(
            &format!("{p}.onset_day_max"),
            c.onset_day_max,
            0.0,
            horizon_days,
        );
        self.min_max_f(
            &format!("{p}.onset_day_min"),
            c.onset_day_min,
            &format!("{p}.onset_day_max"),
            c.onset_day_max,
        );
        if let Some(root) = c.root_unit
            && !units.iter().any(|u| u == root)
        {
            self.fail(
                &format!("{p}.root_unit"),
                format!("{root:?}"),
                &format!("one of the units ({})", units.join(", ")),
            );
        }
    }
}

impl ScenarioConfig {
    /// Parses a scenario file; `source` names it in errors.
    pub fn from_toml_str(text: &str, source: &str) -> Result<Self, ScenarioError> {
        let config: Self = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: source.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and validates a scenario file.
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Checks every value; the error names the first offending key (dotted path), its
    /// value and what was expected.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let mut c = Check(Ok(()));
        let s = &self.simulator;
        if s.horizon_hours < 24 {
            c.fail("simulator.horizon_hours", s.horizon_hours, "at least 24");
        }
        if s.units.is_empty() {
            c.fail("simulator.units", "[]", "at least one unit");
        }
        if s.units.len() > 64 {
            c.fail("simulator.units", s.units.len(), "at most 64 units");
        }
        for (i, u) in s.units.iter().enumerate() {
            if u.trim().is_empty() {
                c.fail(
                    &format!("simulator.units[{i}]"),
                    format!("{u:?}"),
                    "a non-empty name",
                );
            } else if s.units[..i].contains(u) {
                c.fail(
                    &format!("simulator.units[{i}]"),
                    format!("{u:?}"),
                    "a unique name",
                );
            }
        }
        if !s.unit_shares.is_empty() {
            if s.unit_shares.len() != s.units.len() {
                c.fail(
                    "simulator.unit_shares",
                    format!("{} values", s.unit_shares.len()),
                    &format!("one share per unit ({})", s.units.len()),
                );
            }
            for (i, &v) in s.unit_shares.iter().enumerate() {
                c.range(&format!("simulator.unit_shares[{i}]"), v, 0.0, f64::MAX);
            }
            if s.unit_shares.iter().sum::<f64>() <= 0.0 {
                c.fail("simulator.unit_shares", "sum 0", "a positive sum");
            }
        }
        let st = &s.staffing;
        let p = "simulator.staffing";
        if st.people_per_unit_min == 0 {
            c.fail(&format!("{p}.people_per_unit_min"), 0, "at least 1");
        }
        c.min_max_u(
            &format!("{p}.people_per_unit_min"),
            st.people_per_unit_min,
            &format!("{p}.people_per_unit_max"),
            st.people_per_unit_max,
        );
        if st.people_per_unit_max > 1000 {
            c.fail(
                &format!("{p}.people_per_unit_max"),
                st.people_per_unit_max,
                "at most 1000",
            );
        }
        if st.day_start_hour > 23 {
            c.fail(
                &format!("{p}.day_start_hour"),
                st.day_start_hour,
                "an hour in 0..=23",
            );
        }
        for (k, name) in ["day", "evening", "night"].iter().enumerate() {
            if st.required(k) > st.planned(k) {
                c.fail(
                    &format!("{p}.required_{name}"),
                    st.required(k),
                    &format!("at most planned_{name} ({})", st.planned(k)),
                );
            }
        }
        if st.max_shifts_per_week == 0 || st.max_shifts_per_week > 7 {
            c.fail(
                &format!("{p}.max_shifts_per_week"),
                st.max_shifts_per_week,
                "1..=7",
            );
        }
        let per_week = 7 * (st.planned_day + st.planned_evening + st.planned_night);
        if st.people_per_unit_min * st.max_shifts_per_week < per_week {
            c.fail(
                &format!("{p}.people_per_unit_min"),
                st.people_per_unit_min,
                &format!(
                    "enough people to staff the planned roster: at least {} (7 days × {} planned \
                     shifts ÷ max_shifts_per_week {})",
                    per_week.div_ceil(st.max_shifts_per_week),
                    st.planned_day + st.planned_evening + st.planned_night,
                    st.max_shifts_per_week
                ),
            );
        }
        c.positive(&format!("{p}.service_rate_mean"), st.service_rate_mean);
        c.range(
            &format!("{p}.service_rate_spread"),
            st.service_rate_spread,
            0.0,
            0.95,
        );

        let a = &s.arrivals;
        let p = "simulator.arrivals";
        c.range(
            &format!("{p}.base_utilization_min"),
            a.base_utilization_min,
            0.0,
            10.0,
        );
        c.range(
            &format!("{p}.base_utilization_max"),
            a.base_utilization_max,
            0.0,
            10.0,
        );
        c.min_max_f(
            &format!("{p}.base_utilization_min"),
            a.base_utilization_min,
            &format!("{p}.base_utilization_max"),
            a.base_utilization_max,
        );
        c.range(&format!("{p}.daily_amplitude"), a.daily_amplitude, 0.0, 1.0);
        c.range(
            &format!("{p}.daily_peak_hour"),
            a.daily_peak_hour,
            0.0,
            24.0,
        );
        c.range(
            &format!("{p}.weekend_reduction"),
            a.weekend_reduction,
            0.0,
            1.0,
        );

        let r = &s.rebalancing;
        let p = "simulator.rebalancing";
        if r.reaction_delay_hours == 0 || r.reaction_delay_hours > 168 {
            c.fail(
                &format!("{p}.reaction_delay_hours"),
                r.reaction_delay_hours,
                "1..=168 (decisions can only react to hours already seen)",
            );
        }
        c.range(
            &format!("{p}.transfer_tasks_per_hour"),
            r.transfer_tasks_per_hour,
            0.0,
            1e6,
        );
        c.range(
            &format!("{p}.transfer_source_pressure"),
            r.transfer_source_pressure,
            0.0,
            100.0,
        );
        c.range(
            &format!("{p}.transfer_target_pressure"),
            r.transfer_target_pressure,
            0.0,
            100.0,
        );
        c.range(
            &format!("{p}.redeploy_pressure"),
            r.redeploy_pressure,
            0.0,
            100.0,
        );
        c.range(
            &format!("{p}.redeploy_donor_pressure"),
            r.redeploy_donor_pressure,
            0.0,
            100.0,
        );
        if r.redeploy_interval_hours == 0 {
            c.fail(&format!("{p}.redeploy_interval_hours"), 0, "at least 1");
        }

        let ab = &s.absences;
        let p = "simulator.absences";
        c.range(&format!("{p}.daily_hazard"), ab.daily_hazard, 0.0, 1.0);
        c.range(&format!("{p}.contagion"), ab.contagion, 0.0, 10.0);
        if ab.duration_days_min == 0 {
            c.fail(&format!("{p}.duration_days_min"), 0, "at least 1");
        }
        c.min_max_u(
            &format!("{p}.duration_days_min"),
            ab.duration_days_min,
            &format!("{p}.duration_days_max"),
            ab.duration_days_max,
        );
        if ab.duration_days_max > 365 {
            c.fail(
                &format!("{p}.duration_days_max"),
                ab.duration_days_max,
                "at most 365",
            );
        }
        c.range(
            &format!("{p}.cover_accept_probability"),
            ab.cover_accept_probability,
            0.0,
            1.0,
        );
        c.range(
            &format!("{p}.cover_overload_drop"),
            ab.cover_overload_drop,
            0.0,
            100.0,
        );

        let sw = &s.swaps;
        c.range("simulator.swaps.base_rate", sw.base_rate, 0.0, 10.0);
        c.range(
            "simulator.swaps.overload_gain",
            sw.overload_gain,
            0.0,
            100.0,
        );
        c.range(
            "simulator.swaps.overload_threshold",
            sw.overload_threshold,
            0.0,
            100.0,
        );

        let g = &s.ground_truth;
        if g.utilization_window_hours == 0 || g.utilization_window_hours > 168 {
            c.fail(
                "simulator.ground_truth.utilization_window_hours",
                g.utilization_window_hours,
                "1..=168",
            );
        }
        c.positive(
            "simulator.ground_truth.utilization_breach",
            g.utilization_breach,
        );
        if g.utilization_sustain_hours == 0 {
            c.fail(
                "simulator.ground_truth.utilization_sustain_hours",
                0,
                "at least 1",
            );
        }
        if g.coverage_sustain_hours == 0 {
            c.fail(
                "simulator.ground_truth.coverage_sustain_hours",
                0,
                "at least 1",
            );
        }

        let days = f64::from(s.horizon_hours) / 24.0;
        let sc = &self.scenarios;
        let units = &s.units;
        let g = &sc.gradual_load_increase;
        let p = "scenarios.gradual_load_increase";
        c.common(p, g.common(), units, days);
        c.range(
            &format!("{p}.end_utilization_min"),
            g.end_utilization_min,
            0.0,
            10.0,
        );
        c.range(
            &format!("{p}.end_utilization_max"),
            g.end_utilization_max,
            0.0,
            10.0,
        );
        c.min_max_f(
            &format!("{p}.end_utilization_min"),
            g.end_utilization_min,
            &format!("{p}.end_utilization_max"),
            g.end_utilization_max,
        );
        c.range(&format!("{p}.spillover"), g.spillover, 0.0, 10.0);
        let u = &sc.uneven_distribution;
        let p = "scenarios.uneven_distribution";
        c.common(p, u.common(), units, days);
        c.range(
            &format!("{p}.end_utilization_min"),
            u.end_utilization_min,
            0.0,
            10.0,
        );
        c.range(
            &format!("{p}.end_utilization_max"),
            u.end_utilization_max,
            0.0,
            10.0,
        );
        c.min_max_f(
            &format!("{p}.end_utilization_min"),
            u.end_utilization_min,
            &format!("{p}.end_utilization_max"),
            u.end_utilization_max,
        );
        c.range(
            &format!("{p}.other_units_floor"),
            u.other_units_floor,
            0.0,
            1.0,
        );
        let sp = &sc.sudden_spike;
        let p = "scenarios.sudden_spike";
        c.common(p, sp.common(), units, days);
        c.range(
            &format!("{p}.spike_utilization_min"),
            sp.spike_utilization_min,
            0.0,
            10.0,
        );
        c.range(
            &format!("{p}.spike_utilization_max"),
            sp.spike_utilization_max,
            0.0,
            10.0,
        );
        c.min_max_f(
            &format!("{p}.spike_utilization_min"),
            sp.spike_utilization_min,
            &format!("{p}.spike_utilization_max"),
            sp.spike_utilization_max,
        );
        if sp.duration_hours_min == 0 {
            c.fail(&format!("{p}.duration_hours_min"), 0, "at least 1");
        }
        c.min_max_u(
            &format!("{p}.duration_hours_min"),
            sp.duration_hours_min,
            &format!("{p}.duration_hours_max"),
            sp.duration_hours_max,
        );
        c.range(&format!("{p}.spillover"), sp.spillover, 0.0, 10.0);
        let rc = &sc.recovery_dynamics;
        let p = "scenarios.recovery_dynamics";
        c.common(p, rc.common(), units, days);
        c.range(
            &format!("{p}.end_utilization_min"),
            rc.end_utilization_min,
            0.0,
            10.0,
        );
        c.range(
            &format!("{p}.end_utilization_max"),
            rc.end_utilization_max,
            0.0,
            10.0,
        );
        c.min_max_f(
            &format!("{p}.end_utilization_min"),
            rc.end_utilization_min,
            &format!("{p}.end_utilization_max"),
            rc.end_utilization_max,
        );
        if rc.pulse_interval_hours_min == 0 {
            c.fail(&format!("{p}.pulse_interval_hours_min"), 0, "at least 1");
        }
        c.min_max_u(
            &format!("{p}.pulse_interval_hours_min"),
            rc.pulse_interval_hours_min,
            &format!("{p}.pulse_interval_hours_max"),
            rc.pulse_interval_hours_max,
        );
        c.range(&format!("{p}.pulse_factor"), rc.pulse_factor, 0.0, 10.0);
        let ma = &sc.mass_absence;
        let p = "scenarios.mass_absence";
        c.common(p, ma.common(), units, days);
        c.range(&format!("{p}.width_days"), ma.width_days, 0.01, 365.0);
        c.range(
            &format!("{p}.peak_multiplier_min"),
            ma.peak_multiplier_min,
            0.0,
            1e6,
        );
        c.range(
            &format!("{p}.peak_multiplier_max"),
            ma.peak_multiplier_max,
            0.0,
            1e6,
        );
        c.min_max_f(
            &format!("{p}.peak_multiplier_min"),
            ma.peak_multiplier_min,
            &format!("{p}.peak_multiplier_max"),
            ma.peak_multiplier_max,
        );
        c.range(
            &format!("{p}.other_units_share"),
            ma.other_units_share,
            0.0,
            1.0,
        );
        c.common(
            "scenarios.null_stationary",
            sc.null_stationary.common(),
            units,
            days,
        );
        c.common(
            "scenarios.null_seasonal",
            sc.null_seasonal.common(),
            units,
            days,
        );
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        ScenarioConfig::default().validate().unwrap();
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(
            ScenarioConfig::from_toml_str("", "x.toml").unwrap(),
            ScenarioConfig::default()
        );
    }

    #[test]
    fn unknown_key_is_rejected_with_its_name() {
        let err = ScenarioConfig::from_toml_str("[simulator]\nhorizon_hourz = 5\n", "s.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("s.toml") && err.contains("horizon_hourz"),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_value_names_key_value_and_expectation() {
        let err = ScenarioConfig::from_toml_str(
            "[simulator.arrivals]\ndaily_amplitude = 1.5\n",
            "s.toml",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("simulator.arrivals.daily_amplitude")
                && text.contains("1.5")
                && text.contains("[0, 1]"),
            "{text}"
        );
    }

    #[test]
    fn non_finite_is_rejected() {
        let err =
            ScenarioConfig::from_toml_str("[simulator.staffing]\nservice_rate_mean = nan\n", "s")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("service_rate_mean") && err.contains("NaN"),
            "{err}"
        );
        let err = ScenarioConfig::from_toml_str(
            "[scenarios.sudden_spike]\nspike_utilization_max = inf\n",
            "s",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("spike_utilization_max") && err.contains("inf"),
            "{err}"
        );
    }

    #[test]
    fn unknown_root_unit_and_inverted_ranges_are_rejected() {
        let err = ScenarioConfig::from_toml_str(
            "[scenarios.gradual_load_increase]\nroot_unit = \"moon\"\n",
            "s",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("root_unit") && err.contains("moon") && err.contains("ward"),
            "{err}"
        );
        let err = ScenarioConfig::from_toml_str(
            "[scenarios.mass_absence]\npeak_multiplier_min = 9.0\npeak_multiplier_max = 2.0\n",
            "s",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("peak_multiplier_max") && err.contains("at least"),
            "{err}"
        );
    }

    #[test]
    fn understaffed_roster_is_rejected() {
        let err = ScenarioConfig::from_toml_str(
            "[simulator.staffing]\npeople_per_unit_min = 3\npeople_per_unit_max = 3\n",
            "s",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("people_per_unit_min") && err.contains("at least 10"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// `examples/compare/scenarios.toml` spells out every default.
    #[test]
    fn example_file_is_the_default() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/compare/scenarios.toml"
        );
        let parsed = ScenarioConfig::from_file(Path::new(path)).unwrap();
        assert_eq!(parsed, ScenarioConfig::default());
        // Every key is written out: the file has as many assignments as the default
        // serialises to (root_unit, which is absent by default, is commented out).
        let text = std::fs::read_to_string(path).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let default = toml::Table::try_from(ScenarioConfig::default()).unwrap();
        assert_eq!(
            table.to_string().lines().count(),
            default.to_string().lines().count()
        );
    }
}
