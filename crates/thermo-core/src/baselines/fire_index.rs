//! Burnout fire-danger index (baseline D, "fixed"), CFFDRS-style.
//!
//! Inputs per person and day: hours worked in the last 14 days, average monthly hours over
//! the last 3 months, yearly satisfaction in [0, 1] and workload velocity (h/week per week).
//! Codes (all dimensionless, 0–100 unless noted), with `e = exp(1)`:
//! - `FFMC = min(100, 100·(1 − e^(−3.5·x)))`, `x = max(0, (recent − T₂)/T₂)`, `T₂` the
//!   two-week target (default 120 h = 2 × 60 h/week);
//! - `DMC = min(100, 100·(1 − e^(−2.5·y)))`, `y = max(0, (monthly − T_m)/T_m)`, `T_m` the monthly
//!   target (default 240 h);
//! - `DC = 100·(1 − satisfaction)^1.5`;
//! - `ISI = 0.35·FFMC·max(0, 1 + velocity/10)`;
//! - `BUI = 0.9·DMC·DC/(DMC + 0.4·DC)` (0 when `DMC + 0.4·DC = 0`);
//! - `fD = 0.626·BUI^0.809 + 2` for `BUI ≤ 80`, else `1000/(25 + 108.64·e^(−0.023·BUI))`;
//! - `FWI = max(ISI, 0.12·ISI·fD)`.
//!
//! The `max(ISI, …)` is the fix of the zero-component defect: in the original, `DMC = 0` or
//! `DC = 0` zeroes the BUI, so `FWI = 0.24·ISI ≤ 8.4·(1 + velocity/10)` stayed LOW however
//! many hours were worked recently. Now the acute component alone is a floor on the danger.
//! Classes by FWI: < 20 low, < 40 moderate, < 60 high, < 80 very high, otherwise extreme;
//! the baseline alerts at HIGH or above.

use serde::{Deserialize, Serialize};

use super::{BaselineError, check};

/// Fire-index settings (`[baselines.fire_index]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FireIndexConfig {
    /// Hours in 14 days above which fine-fuel dryness starts (default 120 h).
    pub two_week_target_hours: f64,
    /// Average monthly hours above which duff dryness starts (default 240 h).
    pub monthly_target_hours: f64,
}

impl Default for FireIndexConfig {
    fn default() -> Self {
        Self {
            two_week_target_hours: 120.0,
            monthly_target_hours: 240.0,
        }
    }
}

/// One person-day of inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FireIndexInput {
    /// Hours worked in the last 14 days (h, ≥ 0).
    pub recent_two_week_hours: f64,
    /// Average monthly hours over the last three months (h, ≥ 0).
    pub monthly_average_hours: f64,
    /// Yearly satisfaction in [0, 1] (1 = fully satisfied).
    pub yearly_satisfaction: f64,
    /// Slope of weekly hours (h/week per week).
    pub workload_velocity: f64,
}

/// Danger class by FWI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DangerClass {
    /// FWI < 20.
    Low,
    /// 20 ≤ FWI < 40.
    Moderate,
    /// 40 ≤ FWI < 60 (alert).
    High,
    /// 60 ≤ FWI < 80.
    VeryHigh,
    /// FWI ≥ 80.
    Extreme,
}

impl DangerClass {
    /// The class of an FWI value.
    pub fn of(fwi: f64) -> Self {
        if fwi < 20.0 {
            Self::Low
        } else if fwi < 40.0 {
            Self::Moderate
        } else if fwi < 60.0 {
            Self::High
        } else if fwi < 80.0 {
            Self::VeryHigh
        } else {
            Self::Extreme
        }
    }

    /// Whether the class alerts (HIGH or above).
    pub fn alerts(self) -> bool {
        self >= Self::High
    }
}

/// The six codes and the class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FireDanger {
    /// Fine-fuel moisture code (acute, 2 weeks).
    pub ffmc: f64,
    /// Duff moisture code (medium term, months).
    pub dmc: f64,
    /// Drought code (long term, satisfaction).
    pub dc: f64,
    /// Initial spread index.
    pub isi: f64,
    /// Build-up index.
    pub bui: f64,
    /// Fire weather index.
    pub fwi: f64,
    /// Class by FWI.
    pub class: DangerClass,
}

/// Computes the fire-danger codes of one person-day.
pub fn fire_danger(
    input: &FireIndexInput,
    config: &FireIndexConfig,
) -> Result<FireDanger, BaselineError> {
    let t2 = check(
        "fire_index.two_week_target_hours",
        "> 0",
        config.two_week_target_hours,
        |v| v > 0.0,
    )?;
    let tm = check(
        "fire_index.monthly_target_hours",
        "> 0",
        config.monthly_target_hours,
        |v| v > 0.0,
    )?;
    let recent = check(
        "recent_two_week_hours",
        ">= 0",
        input.recent_two_week_hours,
        |v| v >= 0.0,
    )?;
    let monthly = check(
        "monthly_average_hours",
        ">= 0",
        input.monthly_average_hours,
        |v| v >= 0.0,
    )?;
    let sat = check(
        "yearly_satisfaction",
        "0..=1",
        input.yearly_satisfaction,
        |v| (0.0..=1.0).contains(&v),
    )?;
    let velocity = check(
        "workload_velocity",
        "finite",
        input.workload_velocity,
        |_| true,
    )?;

    let ffmc = (100.0 * (1.0 - (-3.5 * ((recent - t2) / t2).max(0.0)).exp())).min(100.0);
    let dmc = (100.0 * (1.0 - (-2.5 * ((monthly - tm) / tm).max(0.0)).exp())).min(100.0);
    let dc = 100.0 * (1.0 - sat).powf(1.5);
    let isi = 0.35 * ffmc * (1.0 + velocity / 10.0).max(0.0);
    let denom = dmc + 0.4 * dc;
    let bui = if denom > 0.0 {
        0.9 * dmc * dc / denom
    } else {
        0.0
    };
    let fd = if bui <= 80.0 {
        0.626 * bui.powf(0.809) + 2.0
    } else {
        1000.0 / (25.0 + 108.64 * (-0.023 * bui).exp())
    };
    let fwi = isi.max(0.12 * isi * fd);
    Ok(FireDanger {
        ffmc,
        dmc,
        dc,
        isi,
        bui,
        fwi,
        class: DangerClass::of(fwi),
    })
}
