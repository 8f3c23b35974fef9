//! The hourly dynamics. See the module documentation of [`super`] and `docs/compare.md`.

use std::sync::Arc;

use chrono::{Datelike, Timelike};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution;

use super::bundle::RunEvent;
use super::{
    HourlyArrivals, RunOutput, RunSink, ScenarioConfig, ScenarioError, ScenarioKind, StressPlan,
};
use crate::stream::{
    GroundTruth, HourObservation, PersonHour, PersonInfo, RunLayout, TransferEvent,
    TransitionCause, UnitHour,
};

/// No shift / not on duty.
const NONE: u8 = u8::MAX;
/// Shifts per day (day, evening, night), each 8 hours.
const SHIFTS: usize = 3;
const SHIFT_HOURS: u32 = 8;

/// The stress a scenario applies, drawn per run.
#[derive(Debug, Clone, Copy, Default)]
struct Stress {
    root: usize,
    onset: f64,
    /// Load multiplier of the root at the end of the ramp (ramp scenarios), during the
    /// spike (spike), or the hazard multiplier at the season's peak (mass absence).
    peak: f64,
    /// Spike length (hours), pulse interval (hours) or season width (hours).
    length: f64,
    /// Share of the root's excess the other units get.
    spill: f64,
    /// Hour of the season's peak (mass absence).
    centre: f64,
}

/// A reusable simulator: holds the configuration and the buffers of a run, so that many
/// runs allocate only their [`RunLayout`].
#[derive(Debug, Clone)]
pub struct Simulator {
    config: Arc<ScenarioConfig>,
    arrivals: Option<HourlyArrivals>,
    /// Units × people-independent state.
    obs: HourObservation,
    home: Vec<usize>,
    rate: Vec<f64>,
    /// First person of each unit (people are grouped by home unit), plus the total.
    unit_start: Vec<usize>,
    /// Rostered shift per person and shift-day (`people × shift_days`).
    roster: Vec<u8>,
    /// Extra shift (a cover) per person and shift-day.
    extra: Vec<u8>,
    shift_days: usize,
    absent_until: Vec<u32>,
    /// Unit a person works in this hour, or `usize::MAX`.
    duty: Vec<usize>,
    backlog: Vec<f64>,
    capacity: Vec<f64>,
    staff: Vec<u32>,
    absent: Vec<u32>,
    rho0: Vec<f64>,
    mean_rate: Vec<f64>,
    /// Window-utilization history ring (`units × ring`), the "pressure" every decision and
    /// the ground truth use.
    hist_pressure: Vec<f64>,
    /// Utilization window rings (`units × W`): net inflow, capacity, backlog before the hour.
    win_in: Vec<f64>,
    win_cap: Vec<f64>,
    win_b0: Vec<f64>,
    /// Net tasks transferred into each unit this hour.
    net_in: Vec<f64>,
    /// Staffing margin history ring (staff on duty − required).
    hist_margin: Vec<i64>,
    streak_util: Vec<u32>,
    streak_cov: Vec<u32>,
    scratch: Vec<usize>,
    count7: Vec<u32>,
    log: Option<Vec<RunEvent>>,
}

impl Simulator {
    /// A simulator with stochastic arrivals; validates the configuration.
    pub fn new(config: &ScenarioConfig) -> Result<Self, ScenarioError> {
        config.validate()?;
        Ok(Self {
            config: Arc::new(config.clone()),
            arrivals: None,
            obs: HourObservation::default(),
            home: Vec::new(),
            rate: Vec::new(),
            unit_start: Vec::new(),
            roster: Vec::new(),
            extra: Vec::new(),
            shift_days: 0,
            absent_until: Vec::new(),
            duty: Vec::new(),
            backlog: Vec::new(),
            capacity: Vec::new(),
            staff: Vec::new(),
            absent: Vec::new(),
            rho0: Vec::new(),
            mean_rate: Vec::new(),
            hist_pressure: Vec::new(),
            win_in: Vec::new(),
            win_cap: Vec::new(),
            win_b0: Vec::new(),
            net_in: Vec::new(),
            hist_margin: Vec::new(),
            streak_util: Vec::new(),
            streak_cov: Vec::new(),
            scratch: Vec::new(),
            count7: Vec::new(),
            log: None,
        })
    }

    /// A simulator whose arrivals come from a real hourly series (times the scenario's
    /// load multiplier). The run covers the series' hours from its first timestamp; the
    /// series' units must be the configured units, in order.
    pub fn with_arrivals(
        config: &ScenarioConfig,
        arrivals: HourlyArrivals,
    ) -> Result<Self, ScenarioError> {
        if arrivals.units() != config.simulator.units.as_slice() {
            return Err(ScenarioError::Invalid {
                key: "simulator.units".to_owned(),
                value: format!("{:?}", config.simulator.units),
                expected: format!("the units of the arrival series {:?}", arrivals.units()),
            });
        }
        let mut sim = Self::new(config)?;
        sim.arrivals = Some(arrivals);
        Ok(sim)
    }

    /// The configuration.
    pub fn config(&self) -> &ScenarioConfig {
        &self.config
    }

    /// Records the run's events (absences, covers, redeployments, swap requests) for
    /// [`super::record_run`]; recording never changes the random stream.
    pub(super) fn set_event_log(&mut self, on: bool) {
        self.log = on.then(Vec::new);
    }

    pub(super) fn take_events(&mut self) -> Vec<RunEvent> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Simulates one run of `scenario` with `seed`, streaming the layout and every hour to
    /// `sink`, and returns the layout, the ground truth and the stress applied.
    pub fn run<S: RunSink + ?Sized>(
        &mut self,
        scenario: ScenarioKind,
        seed: u64,
        sink: &mut S,
    ) -> RunOutput {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(scenario.index() as u64);
        if let Some(log) = self.log.as_mut() {
            log.clear();
        }
        let config = Arc::clone(&self.config);
        let cfg = &config.simulator;
        let (start, hours) = match &self.arrivals {
            Some(a) => (a.start(), a.hours()),
            None => (cfg.start, cfg.horizon_hours),
        };
        let units = cfg.units.len();
        let st = &cfg.staffing;

        // People, grouped by home unit.
        self.home.clear();
        self.rate.clear();
        self.unit_start.clear();
        self.mean_rate.clear();
        self.rho0.clear();
        let mut people_info = Vec::new();
        for (u, name) in cfg.units.iter().enumerate() {
            self.unit_start.push(self.home.len());
            let n = rng.random_range(st.people_per_unit_min..=st.people_per_unit_max);
            let mut sum = 0.0;
            for k in 0..n {
                let spread = st.service_rate_spread;
                let r = st.service_rate_mean * (1.0 + spread * (2.0 * rng.random::<f64>() - 1.0));
                sum += r;
                self.home.push(u);
                self.rate.push(r);
                people_info.push(PersonInfo {
                    id: format!("{name}-{:02}", k + 1),
                    unit: u,
                    service_rate: r,
                });
            }
            self.mean_rate.push(sum / f64::from(n.max(1)));
            let a = &cfg.arrivals;
            self.rho0.push(
                a.base_utilization_min
                    + (a.base_utilization_max - a.base_utilization_min) * rng.random::<f64>(),
            );
        }
        self.unit_start.push(self.home.len());
        let people = self.home.len();

        let (stress, plan, daily, weekly) = self.draw_stress(scenario, hours, &mut rng);

        // Calendar offsets: wall-clock hour of day and weekday of hour 0.
        let h0 = start.hour();
        let dow0 = start.weekday().num_days_from_monday();
        let day_start = st.day_start_hour;
        // Shift-day index of hour t: floor((h0 + t + 24 − day_start) / 24) (0 = the shift-day
        // that began before hour 0 when h0 < day_start).
        let sd_of = |t: u32| ((h0 + t + 24 - day_start) / 24) as usize;
        let shift_of = |t: u32| (((h0 + t + 24 - day_start) % 24) / SHIFT_HOURS) as usize;
        self.shift_days = sd_of(hours.saturating_sub(1)) + 1;
        self.build_roster(&mut rng);

        self.absent_until.clear();
        self.absent_until.resize(people, 0);
        self.duty.clear();
        self.duty.resize(people, usize::MAX);
        let window = cfg.ground_truth.utilization_window_hours as usize;
        for v in [&mut self.win_in, &mut self.win_cap, &mut self.win_b0] {
            v.clear();
            v.resize(units * window, 0.0);
        }
        for v in [&mut self.backlog, &mut self.capacity, &mut self.net_in] {
            v.clear();
            v.resize(units, 0.0);
        }
        for v in [
            &mut self.staff,
            &mut self.absent,
            &mut self.streak_util,
            &mut self.streak_cov,
        ] {
            v.clear();
            v.resize(units, 0);
        }
        let ring = cfg.rebalancing.reaction_delay_hours as usize + 1;
        self.hist_pressure.clear();
        self.hist_pressure.resize(units * ring, 0.0);
        self.hist_margin.clear();
        self.hist_margin.resize(units * ring, 0);
        self.obs.units.clear();
        self.obs.units.resize(units, UnitHour::default());
        self.obs.people.clear();
        self.obs.people.resize(people, PersonHour::default());
        self.obs.transfers.clear();

        let layout = RunLayout {
            units: cfg.units.clone(),
            people: people_info,
            hours,
            start,
        };
        sink.start(&layout);

        let reb = &cfg.rebalancing;
        let gt = &cfg.ground_truth;
        let delay = reb.reaction_delay_hours;
        let mut best: Option<(u32, usize, u8)> = None;
        let mut last_redeploy: Option<u32> = None;
        let mut redeploys_today = 0u32;

        for t in 0..hours {
            let hod = (h0 + t) % 24;
            let dow = (dow0 + (h0 + t) / 24) % 7;
            let sd = sd_of(t);
            let k = shift_of(t);
            let shift_start = t == 0 || (h0 + t + 24 - day_start).is_multiple_of(SHIFT_HOURS);
            self.obs.hour = t;
            self.obs.swap_requests = 0;
            self.obs.absences_started = 0;
            self.obs.transfers.clear();

            if shift_start {
                if t == 0 || k == 0 {
                    redeploys_today = 0;
                    self.start_absences(t, scenario, &stress, &mut rng);
                }
                self.start_shift(t, sd, k, ring, &mut rng);
            }
            // Absent counts per home unit.
            self.absent.iter_mut().for_each(|a| *a = 0);
            for p in 0..people {
                if t < self.absent_until[p] {
                    self.absent[self.home[p]] += 1;
                }
            }
            self.count_staff();

            // Redeployment: reacts to the state `delay` hours ago, at a finite rate.
            if t >= delay
                && redeploys_today < reb.redeploy_max_per_day
                && last_redeploy.is_none_or(|l| t - l >= reb.redeploy_interval_hours)
                && self.redeploy(t, k, ring, delay)
            {
                redeploys_today += 1;
                last_redeploy = Some(t);
                self.count_staff();
            }

            // Arrivals.
            let s_root = stress_multiplier(scenario, &stress, t, hours, self);
            let mut cycle = 1.0;
            if daily {
                let phase = (f64::from(hod) + 0.5 - cfg.arrivals.daily_peak_hour) / 24.0
                    * std::f64::consts::TAU;
                cycle *= 1.0 + cfg.arrivals.daily_amplitude * phase.cos();
            }
            if weekly && dow >= 5 {
                cycle *= 1.0 - cfg.arrivals.weekend_reduction;
            }
            let planned = f64::from(st.planned(k));
            for u in 0..units {
                let s = if plan.stressed_unit == Some(u) {
                    s_root.0
                } else {
                    s_root.1
                };
                let a = match &self.arrivals {
                    Some(series) => series.get(t, u) * s,
                    None => poisson(
                        &mut rng,
                        self.rho0[u] * planned * self.mean_rate[u] * s * cycle,
                    ),
                };
                self.obs.units[u].arrivals = a;
            }

            // Transfers of existing backlog, at most `transfer_tasks_per_hour` in all.
            self.net_in.iter_mut().for_each(|x| *x = 0.0);
            let b0_slot = t as usize % window;
            for u in 0..units {
                self.win_b0[u * window + b0_slot] = self.backlog[u];
            }
            if t >= delay && reb.transfer_tasks_per_hour > 0.0 {
                self.transfer(t, ring, delay);
            }

            // Service and the ground-truth pressure.
            for u in 0..units {
                let work = self.backlog[u] + self.obs.units[u].arrivals;
                let cap = self.capacity[u];
                let served = work.min(cap);
                self.backlog[u] = work - served;
                // Window utilization: work to do over the last W hours ÷ capacity.
                let w = u * window;
                self.win_in[w + b0_slot] = self.obs.units[u].arrivals + self.net_in[u];
                self.win_cap[w + b0_slot] = cap;
                let oldest = if t as usize + 1 >= window {
                    (t as usize + 1) % window
                } else {
                    0
                };
                let inflow: f64 = self.win_in[w..w + window].iter().sum();
                let capacity: f64 = self.win_cap[w..w + window].iter().sum();
                let todo = self.win_b0[w + oldest] + inflow;
                let pressure = if capacity > 0.0 {
                    todo / capacity
                } else if todo > 1e-9 {
                    f64::INFINITY
                } else {
                    0.0
                };
                let required = st.required(k);
                let uh = &mut self.obs.units[u];
                uh.served = served;
                uh.backlog = self.backlog[u];
                uh.capacity = cap;
                uh.staff_on_duty = self.staff[u];
                uh.staff_absent = self.absent[u];
                uh.required_staff = required;
                let slot = u * ring + t as usize % ring;
                self.hist_pressure[slot] = pressure;
                self.hist_margin[slot] = i64::from(self.staff[u]) - i64::from(required);

                // Ground truth: sustained breach or coverage failure.
                if pressure >= gt.utilization_breach {
                    self.streak_util[u] += 1;
                    if self.streak_util[u] == gt.utilization_sustain_hours {
                        let cand = (t + 1 - gt.utilization_sustain_hours, u, 0);
                        best = Some(best.map_or(cand, |b| b.min(cand)));
                    }
                } else {
                    self.streak_util[u] = 0;
                }
                if self.staff[u] < required {
                    self.streak_cov[u] += 1;
                    if self.streak_cov[u] == gt.coverage_sustain_hours {
                        let cand = (t + 1 - gt.coverage_sustain_hours, u, 1);
                        best = Some(best.map_or(cand, |b| b.min(cand)));
                    }
                } else {
                    self.streak_cov[u] = 0;
                }

                // Swap requests rise with overload.
                let sw = &cfg.swaps;
                let excess = (pressure.min(10.0) - sw.overload_threshold).max(0.0);
                let rate = f64::from(self.staff[u]) * (sw.base_rate + sw.overload_gain * excess);
                let n = poisson(&mut rng, rate) as u32;
                self.obs.swap_requests += n;
                if n > 0
                    && let Some(log) = self.log.as_mut()
                {
                    log.push(RunEvent::SwapRequests {
                        hour: t,
                        unit: u,
                        count: n,
                    });
                }
            }
            for p in 0..people {
                let on = self.duty[p] != usize::MAX;
                self.obs.people[p] = PersonHour {
                    hours_worked: if on { 1.0 } else { 0.0 },
                    absent: t < self.absent_until[p],
                    unit: if on { self.duty[p] } else { self.home[p] },
                };
            }
            sink.observe(&self.obs);
        }

        let truth = match best {
            Some((hour, unit, cause)) => GroundTruth {
                transition_hour: Some(hour),
                root_unit: Some(unit),
                cause: Some(if cause == 0 {
                    TransitionCause::UtilizationBreach
                } else {
                    TransitionCause::CoverageFailure
                }),
            },
            None => GroundTruth {
                transition_hour: None,
                root_unit: None,
                cause: None,
            },
        };
        RunOutput {
            layout,
            truth,
            plan,
        }
    }

    /// Draws the scenario's stress; returns it, the plan and the (daily, weekly) cycles.
    fn draw_stress(
        &self,
        scenario: ScenarioKind,
        hours: u32,
        rng: &mut ChaCha8Rng,
    ) -> (Stress, StressPlan, bool, bool) {
        let sc = &self.config.scenarios;
        let units = &self.config.simulator.units;
        let common = match scenario {
            ScenarioKind::GradualLoadIncrease => sc.gradual_load_increase.common(),
            ScenarioKind::SuddenSpike => sc.sudden_spike.common(),
            ScenarioKind::UnevenDistribution => sc.uneven_distribution.common(),
            ScenarioKind::RecoveryDynamics => sc.recovery_dynamics.common(),
            ScenarioKind::MassAbsence => sc.mass_absence.common(),
            ScenarioKind::NullStationary => sc.null_stationary.common(),
            ScenarioKind::NullSeasonal => sc.null_seasonal.common(),
        };
        let drawn_root = rng.random_range(0..units.len());
        let root = common
            .root_unit
            .and_then(|name| units.iter().position(|u| u == name))
            .unwrap_or(drawn_root);
        let onset_day = common.onset_day_min
            + (common.onset_day_max - common.onset_day_min) * rng.random::<f64>();
        let onset = (onset_day * 24.0)
            .round()
            .min(f64::from(hours.saturating_sub(1)));
        let uniform = |rng: &mut ChaCha8Rng, lo: f64, hi: f64| lo + (hi - lo) * rng.random::<f64>();
        let rho = self.rho0[root];
        let mut s = Stress {
            root,
            onset,
            ..Stress::default()
        };
        match scenario {
            ScenarioKind::GradualLoadIncrease => {
                let p = &sc.gradual_load_increase;
                s.peak = uniform(rng, p.end_utilization_min, p.end_utilization_max) / rho;
                s.spill = p.spillover;
            }
            ScenarioKind::UnevenDistribution => {
                let p = &sc.uneven_distribution;
                s.peak = uniform(rng, p.end_utilization_min, p.end_utilization_max) / rho;
                s.spill = p.other_units_floor;
            }
            ScenarioKind::SuddenSpike => {
                let p = &sc.sudden_spike;
                s.peak = uniform(rng, p.spike_utilization_min, p.spike_utilization_max) / rho;
                s.length = f64::from(rng.random_range(p.duration_hours_min..=p.duration_hours_max));
                s.spill = p.spillover;
            }
            ScenarioKind::RecoveryDynamics => {
                let p = &sc.recovery_dynamics;
                s.peak = uniform(rng, p.end_utilization_min, p.end_utilization_max) / rho;
                s.length = f64::from(
                    rng.random_range(p.pulse_interval_hours_min..=p.pulse_interval_hours_max),
                );
                s.centre = f64::from(p.pulse_hours);
                s.spill = p.pulse_factor;
            }
            ScenarioKind::MassAbsence => {
                let p = &sc.mass_absence;
                s.peak = uniform(rng, p.peak_multiplier_min, p.peak_multiplier_max);
                s.length = p.width_days * 24.0;
                s.centre = onset + 2.0 * s.length;
                s.spill = p.other_units_share;
            }
            ScenarioKind::NullStationary | ScenarioKind::NullSeasonal => {}
        }
        let plan = StressPlan {
            scenario,
            stressed_unit: (!scenario.is_null()).then_some(root),
            onset_hour: (!scenario.is_null()).then_some(onset as u32),
        };
        (s, plan, common.daily_cycle, common.weekly_cycle)
    }

    /// The planned roster: per unit, shift-day and shift (day, evening, night), the planned
    /// headcount from the unit's people who are free that shift-day, did not work the night
    /// before a day shift, and have fewer than `max_shifts_per_week` shifts in the last 7
    /// shift-days; fewest recent shifts first, ties broken by a per-seed rotation.
    fn build_roster(&mut self, rng: &mut ChaCha8Rng) {
        let people = self.home.len();
        let days = self.shift_days;
        self.roster.clear();
        self.roster.resize(people * days, NONE);
        self.extra.clear();
        self.extra.resize(people * days, NONE);
        self.count7.clear();
        self.count7.resize(people, 0);
        let config = Arc::clone(&self.config);
        let st = &config.simulator.staffing;
        let max = st.max_shifts_per_week;
        for u in 0..self.unit_start.len() - 1 {
            let (a, b) = (self.unit_start[u], self.unit_start[u + 1]);
            let n = b - a;
            let offset = rng.random_range(0..n.max(1));
            for d in 0..days {
                if d >= 7 {
                    for p in a..b {
                        if self.roster[p * days + d - 7] != NONE {
                            self.count7[p] -= 1;
                        }
                    }
                }
                for k in 0..SHIFTS {
                    self.scratch.clear();
                    for p in a..b {
                        let free = self.roster[p * days + d] == NONE;
                        let rested = k != 0 || d == 0 || self.roster[p * days + d - 1] != 2;
                        if free && rested && self.count7[p] < max {
                            self.scratch.push(p);
                        }
                    }
                    let rank = |p: usize| (p - a + n - (d * SHIFTS + k) % n + offset) % n;
                    let count7 = &self.count7;
                    self.scratch.sort_unstable_by_key(|&p| (count7[p], rank(p)));
                    let take = (st.planned(k) as usize).min(self.scratch.len());
                    for i in 0..take {
                        let p = self.scratch[i];
                        self.roster[p * days + d] = k as u8;
                        self.count7[p] += 1;
                    }
                }
            }
        }
    }

    /// Daily absence draws at the start of each shift-day.
    fn start_absences(
        &mut self,
        t: u32,
        scenario: ScenarioKind,
        stress: &Stress,
        rng: &mut ChaCha8Rng,
    ) {
        let config = Arc::clone(&self.config);
        let ab = &config.simulator.absences;
        let units = self.unit_start.len() - 1;
        // Absent share per unit before today's draws (contagion).
        for u in 0..units {
            self.absent[u] = 0;
            for p in self.unit_start[u]..self.unit_start[u + 1] {
                if t < self.absent_until[p] {
                    self.absent[u] += 1;
                }
            }
        }
        let season = if scenario == ScenarioKind::MassAbsence {
            let z = (f64::from(t) - stress.centre) / stress.length;
            (-0.5 * z * z).exp()
        } else {
            0.0
        };
        for u in 0..units {
            let (a, b) = (self.unit_start[u], self.unit_start[u + 1]);
            let share = f64::from(self.absent[u]) / (b - a).max(1) as f64;
            let excess = stress.peak - 1.0;
            let mult = if scenario != ScenarioKind::MassAbsence {
                1.0
            } else if u == stress.root {
                1.0 + excess.max(0.0) * season
            } else {
                1.0 + excess.max(0.0) * stress.spill * season
            };
            let hazard = (ab.daily_hazard * mult + ab.contagion * share).clamp(0.0, 1.0);
            for p in a..b {
                if t < self.absent_until[p] {
                    continue;
                }
                if rng.random::<f64>() < hazard {
                    let days = rng.random_range(ab.duration_days_min..=ab.duration_days_max);
                    self.absent_until[p] = t.saturating_add(days * 24);
                    self.obs.absences_started += 1;
                    if let Some(log) = self.log.as_mut() {
                        log.push(RunEvent::AbsenceStarted {
                            hour: t,
                            person: p,
                            days,
                        });
                    }
                }
            }
        }
    }

    /// Who works the shift starting at hour `t`: rostered people who are present, plus
    /// colleagues who accept to cover a rostered person's absence (one swap request per
    /// open shift; colleagues asked in turn).
    fn start_shift(&mut self, t: u32, sd: usize, k: usize, ring: usize, rng: &mut ChaCha8Rng) {
        let days = self.shift_days;
        let config = Arc::clone(&self.config);
        let cfg = &config.simulator;
        let max = cfg.staffing.max_shifts_per_week + 1;
        for p in 0..self.home.len() {
            let present = t >= self.absent_until[p];
            let on = self.roster[p * days + sd] == k as u8 || self.extra[p * days + sd] == k as u8;
            self.duty[p] = if present && on {
                self.home[p]
            } else {
                usize::MAX
            };
        }
        for u in 0..self.unit_start.len() - 1 {
            let (a, b) = (self.unit_start[u], self.unit_start[u + 1]);
            let n = b - a;
            let last = if t == 0 {
                0.0
            } else {
                self.hist_pressure[u * ring + (t as usize - 1) % ring]
            };
            let accept = (cfg.absences.cover_accept_probability
                * (1.0 - cfg.absences.cover_overload_drop * (last.min(10.0) - 1.0).max(0.0)))
            .clamp(0.0, 1.0);
            for p in a..b {
                if self.roster[p * days + sd] != k as u8 || t >= self.absent_until[p] {
                    continue;
                }
                self.obs.swap_requests += 1;
                let mut covered = false;
                for i in 0..n {
                    let q = a + (p - a + 1 + i + sd) % n;
                    if q == p
                        || t < self.absent_until[q]
                        || self.roster[q * days + sd] != NONE
                        || self.extra[q * days + sd] != NONE
                    {
                        continue;
                    }
                    let worked_night_before = sd > 0
                        && (self.roster[q * days + sd - 1] == 2
                            || self.extra[q * days + sd - 1] == 2);
                    if k == 0 && worked_night_before {
                        continue;
                    }
                    let recent = (sd.saturating_sub(6)..=sd)
                        .filter(|&d| {
                            self.roster[q * days + d] != NONE || self.extra[q * days + d] != NONE
                        })
                        .count() as u32;
                    if recent >= max {
                        continue;
                    }
                    if rng.random::<f64>() < accept {
                        self.extra[q * days + sd] = k as u8;
                        self.duty[q] = u;
                        if let Some(log) = self.log.as_mut() {
                            log.push(RunEvent::Cover {
                                hour: t,
                                absent: p,
                                cover: q,
                                hours: SHIFT_HOURS,
                            });
                        }
                        covered = true;
                        break;
                    }
                }
                if !covered && let Some(log) = self.log.as_mut() {
                    log.push(RunEvent::OpenShift { hour: t, absent: p });
                }
            }
        }
    }

    fn count_staff(&mut self) {
        self.capacity.iter_mut().for_each(|c| *c = 0.0);
        self.staff.iter_mut().for_each(|s| *s = 0);
        for p in 0..self.home.len() {
            let u = self.duty[p];
            if u != usize::MAX {
                self.capacity[u] += self.rate[p];
                self.staff[u] += 1;
            }
        }
    }

    /// Moves one person, for the rest of their shift, to the unit that needed help most
    /// `delay` hours ago (a staffing shortfall first, then the highest pressure at or above
    /// `redeploy_pressure`), from the unit that had the lowest pressure below
    /// `redeploy_donor_pressure` and has more people on duty than required now.
    fn redeploy(&mut self, t: u32, k: usize, ring: usize, delay: u32) -> bool {
        let config = Arc::clone(&self.config);
        let cfg = &config.simulator;
        let reb = &cfg.rebalancing;
        let required = cfg.staffing.required(k);
        let units = self.unit_start.len() - 1;
        let slot = |u: usize| u * ring + (t - delay) as usize % ring;
        let mut receiver: Option<(usize, f64)> = None;
        for u in 0..units {
            let margin = self.hist_margin[slot(u)];
            let pressure = self.hist_pressure[slot(u)];
            // A shortfall (still present now) ranks above any pressure.
            let need = if margin < 0 && self.staff[u] < required {
                1e9 - margin as f64
            } else if pressure >= reb.redeploy_pressure {
                pressure.min(1e6)
            } else {
                continue;
            };
            if receiver.is_none_or(|(_, n)| need > n) {
                receiver = Some((u, need));
            }
        }
        let Some((to, _)) = receiver else {
            return false;
        };
        let mut donor: Option<(usize, f64)> = None;
        for u in 0..units {
            // The pressure the donor would have had with one person fewer.
            let staff = f64::from(self.staff[u]);
            let pressure = self.hist_pressure[slot(u)] * staff / (staff - 1.0).max(1.0);
            if u != to
                && self.staff[u] > required
                && self.staff[u] > 1
                && pressure < reb.redeploy_donor_pressure
                && donor.is_none_or(|(_, p)| pressure < p)
            {
                donor = Some((u, pressure));
            }
        }
        let Some((from, _)) = donor else {
            return false;
        };
        let Some(p) =
            (self.unit_start[from]..self.unit_start[from + 1]).find(|&p| self.duty[p] == from)
        else {
            return false;
        };
        self.duty[p] = to;
        if let Some(log) = self.log.as_mut() {
            log.push(RunEvent::Redeployed {
                hour: t,
                person: p,
                from,
                to,
            });
        }
        true
    }

    /// Moves backlog from the units whose pressure `delay` hours ago was at least
    /// `transfer_source_pressure` (most loaded first) to units whose pressure was below
    /// `transfer_target_pressure` (least loaded first), each receiving at most what brings
    /// it to the target pressure at its current capacity; at most
    /// `transfer_tasks_per_hour` tasks in all; each unit gives or takes once per hour.
    fn transfer(&mut self, t: u32, ring: usize, delay: u32) {
        let config = Arc::clone(&self.config);
        let reb = &config.simulator.rebalancing;
        let units = self.unit_start.len() - 1;
        let slot = |u: usize| u * ring + (t - delay) as usize % ring;
        let mut budget = reb.transfer_tasks_per_hour;
        let mut used: u64 = 0;
        while budget > 1e-12 {
            let mut src: Option<usize> = None;
            let mut dst: Option<usize> = None;
            for u in 0..units {
                if used & (1 << u) != 0 {
                    continue;
                }
                let p = self.hist_pressure[slot(u)];
                if p >= reb.transfer_source_pressure
                    && self.backlog[u] > 0.0
                    && src.is_none_or(|s| p > self.hist_pressure[slot(s)])
                {
                    src = Some(u);
                }
                if p < reb.transfer_target_pressure
                    && self.capacity[u] > 0.0
                    && dst.is_none_or(|d| p < self.hist_pressure[slot(d)])
                {
                    dst = Some(u);
                }
            }
            let (Some(s), Some(d)) = (src, dst) else {
                break;
            };
            let room =
                (reb.transfer_target_pressure - self.hist_pressure[slot(d)]) * self.capacity[d];
            let tasks = budget.min(self.backlog[s]).min(room);
            used |= (1 << s) | (1 << d);
            if tasks <= 1e-12 {
                continue;
            }
            self.backlog[s] -= tasks;
            self.backlog[d] += tasks;
            self.net_in[s] -= tasks;
            self.net_in[d] += tasks;
            budget -= tasks;
            self.obs.transfers.push(TransferEvent {
                from: s,
                to: d,
                tasks,
            });
        }
    }
}

/// The load multipliers (stressed unit, other units) of `scenario` at hour `t`.
fn stress_multiplier(
    scenario: ScenarioKind,
    s: &Stress,
    t: u32,
    hours: u32,
    sim: &Simulator,
) -> (f64, f64) {
    let t = f64::from(t);
    let hours = f64::from(hours);
    let ramp = |t: f64| ((t - s.onset) / (hours - s.onset).max(1.0)).clamp(0.0, 1.0);
    match scenario {
        ScenarioKind::GradualLoadIncrease => {
            let excess = (s.peak - 1.0) * ramp(t);
            (1.0 + excess, 1.0 + s.spill * excess)
        }
        ScenarioKind::UnevenDistribution => {
            let excess = (s.peak - 1.0) * ramp(t);
            // Others lose what the root gains, in expected arrivals.
            let root_load = sim.rho0[s.root] * sim.mean_rate[s.root];
            let others: f64 = (0..sim.rho0.len())
                .filter(|&u| u != s.root)
                .map(|u| sim.rho0[u] * sim.mean_rate[u])
                .sum();
            let other = if others > 0.0 {
                (1.0 - excess * root_load / others).max(s.spill)
            } else {
                1.0
            };
            (1.0 + excess, other)
        }
        ScenarioKind::SuddenSpike => {
            if t >= s.onset && t < s.onset + s.length {
                (s.peak, 1.0 + s.spill * (s.peak - 1.0))
            } else {
                (1.0, 1.0)
            }
        }
        ScenarioKind::RecoveryDynamics => {
            let base = 1.0 + (s.peak - 1.0) * ramp(t);
            let in_pulse = (t % s.length.max(1.0)) < s.centre && t >= s.length;
            (if in_pulse { base * s.spill } else { base }, 1.0)
        }
        ScenarioKind::MassAbsence | ScenarioKind::NullStationary | ScenarioKind::NullSeasonal => {
            (1.0, 1.0)
        }
    }
}

/// A Poisson draw: inversion with one uniform for small means, `rand_distr` otherwise.
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> f64 {
    // Also catches NaN.
    if lambda.is_nan() || lambda <= 0.0 {
        return 0.0;
    }
    if lambda < 30.0 {
        let u: f64 = rng.random();
        let mut p = (-lambda).exp();
        let mut cdf = p;
        let mut k = 0u32;
        while u > cdf && k < 200 {
            k += 1;
            p *= lambda / f64::from(k);
            cdf += p;
        }
        f64::from(k)
    } else {
        rand_distr::Poisson::new(lambda).map_or(lambda.round(), |d| d.sample(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_draws_have_the_right_mean_and_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for lambda in [0.3, 4.6, 25.0, 80.0] {
            let n = 100_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, lambda)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            eprintln!("{lambda}: {mean} {var}");
            assert!(
                (mean - lambda).abs() < 0.05 * lambda.max(1.0),
                "{lambda}: mean {mean}"
            );
            assert!(
                (var - lambda).abs() < 0.1 * lambda.max(1.0),
                "{lambda}: variance {var}"
            );
        }
    }
}
