//! Sacrifice hierarchy: which activities to shed when capacity falls short.
//!
//! Activities belong to one of seven categories (lower = more protected). A load-shedding
//! level sacrifices a cumulative set of categories; patient safety is never sacrificed.
//! Hours are faculty hours over the planning period (unit: h).
//!
//! The original `shed_load` kept any activity that still fitted after more protected ones
//! had been cut, so a 4-hour optional conference survived while core didactics were
//! sacrificed. [`shed_load`] keeps a strict prefix of the protection order instead: once
//! one activity does not fit, it and every less protected activity are sacrificed.

use serde::{Deserialize, Serialize};

use super::{ResilienceError, finite};

/// Activity category, most protected first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityCategory {
    /// 1: never sacrificed.
    PatientSafety,
    /// 2: accreditation requirements.
    AcgmeRequirements,
    /// 3: continuity of care.
    ContinuityOfCare,
    /// 4: core education.
    EducationCore,
    /// 5: research.
    Research,
    /// 6: administration.
    Administration,
    /// 7: optional education.
    EducationOptional,
}

/// Load-shedding level, in increasing severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LoadSheddingLevel {
    /// Nothing sacrificed.
    Normal,
    /// Optional education.
    Yellow,
    /// + administration and research.
    Orange,
    /// + core education.
    Red,
    /// + continuity of care.
    Black,
    /// + accreditation requirements (only patient safety remains).
    Critical,
}

impl LoadSheddingLevel {
    /// Every level, least severe first.
    pub const ALL: [Self; 6] = [
        Self::Normal,
        Self::Yellow,
        Self::Orange,
        Self::Red,
        Self::Black,
        Self::Critical,
    ];

    /// Whether this level sacrifices `category`.
    pub fn sacrifices(self, category: ActivityCategory) -> bool {
        use ActivityCategory as C;
        let least_protected_kept = match self {
            Self::Normal => return false,
            Self::Yellow => C::Administration,
            Self::Orange => C::EducationCore,
            Self::Red => C::ContinuityOfCare,
            Self::Black => C::AcgmeRequirements,
            Self::Critical => C::PatientSafety,
        };
        category > least_protected_kept
    }
}

/// An activity competing for faculty hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Id.
    pub id: String,
    /// Category.
    pub category: ActivityCategory,
    /// Faculty hours it needs (h, finite, ≥ 0).
    pub hours: f64,
    /// Whether it is required (kept before optional ones of the same category).
    pub required: bool,
}

/// Result of shedding load to a capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheddingPlan {
    /// The level whose category set covers everything sacrificed.
    pub level: LoadSheddingLevel,
    /// Kept activity ids, in protection order.
    pub kept: Vec<String>,
    /// Sacrificed activity ids, in protection order.
    pub sacrificed: Vec<String>,
    /// Hours kept (h); may exceed capacity only through patient-safety activities.
    pub kept_hours: f64,
}

fn validate(activities: &[Activity], capacity: f64) -> Result<(), ResilienceError> {
    finite("capacity_hours", capacity)?;
    for a in activities {
        if !(a.hours.is_finite() && a.hours >= 0.0) {
            return Err(ResilienceError::InvalidNumber {
                field: "activity.hours",
                value: a.hours,
            });
        }
    }
    Ok(())
}

/// The least severe level whose remaining hours fit in `capacity` (CRITICAL if none does).
pub fn required_level(
    activities: &[Activity],
    capacity: f64,
) -> Result<LoadSheddingLevel, ResilienceError> {
    validate(activities, capacity)?;
    for level in LoadSheddingLevel::ALL {
        let remaining: f64 = activities
            .iter()
            .filter(|a| !level.sacrifices(a.category))
            .map(|a| a.hours)
            .sum();
        if remaining <= capacity {
            return Ok(level);
        }
    }
    Ok(LoadSheddingLevel::Critical)
}

/// Keeps the longest prefix of the protection order (category, required first, more hours
/// first, then input order) that fits in `capacity`; patient safety is always kept.
pub fn shed_load(activities: &[Activity], capacity: f64) -> Result<SheddingPlan, ResilienceError> {
    validate(activities, capacity)?;
    let mut order: Vec<&Activity> = activities.iter().collect();
    order.sort_by(|a, b| {
        a.category
            .cmp(&b.category)
            .then(b.required.cmp(&a.required))
            .then(b.hours.total_cmp(&a.hours))
    });
    let mut kept = Vec::new();
    let mut sacrificed = Vec::new();
    let mut used = 0.0;
    let mut cut: Option<ActivityCategory> = None;
    for a in order {
        let safety = a.category == ActivityCategory::PatientSafety;
        if safety || (cut.is_none() && used + a.hours <= capacity) {
            used += a.hours;
            kept.push(a.id.clone());
        } else {
            cut.get_or_insert(a.category);
            sacrificed.push(a.id.clone());
        }
    }
    let level = match cut {
        None => LoadSheddingLevel::Normal,
        Some(first_cut) => LoadSheddingLevel::ALL
            .into_iter()
            .find(|l| l.sacrifices(first_cut))
            .unwrap_or(LoadSheddingLevel::Critical),
    };
    Ok(SheddingPlan {
        level,
        kept,
        sacrificed,
        kept_hours: used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityCategory as C;

    /// Hours consistent with every capacity → level pair of the reference's golden table.
    fn activities() -> Vec<Activity> {
        [
            ("icu", C::PatientSafety, 40.0),
            ("acgme", C::AcgmeRequirements, 20.0),
            ("clinic", C::ContinuityOfCare, 20.0),
            ("didactics", C::EducationCore, 10.0),
            ("research", C::Research, 8.0),
            ("admin", C::Administration, 6.0),
            ("conf", C::EducationOptional, 4.0),
        ]
        .into_iter()
        .map(|(id, category, hours)| Activity {
            id: id.into(),
            category,
            hours,
            required: true,
        })
        .collect()
    }

    #[test]
    fn required_level_matches_the_reference_table() {
        use LoadSheddingLevel as L;
        for (cap, level) in [
            (108.0, L::Normal),
            (104.0, L::Yellow),
            (95.0, L::Orange),
            (90.0, L::Orange),
            (85.0, L::Red),
            (70.0, L::Black),
            (60.0, L::Black),
            (50.0, L::Critical),
        ] {
            assert_eq!(required_level(&activities(), cap).unwrap(), level, "{cap}");
        }
    }

    #[test]
    fn shedding_respects_the_hierarchy() {
        // The reference kept "conf" and cut didactics, research and admin at 85 h.
        let plan = shed_load(&activities(), 85.0).unwrap();
        assert_eq!(plan.kept, vec!["icu", "acgme", "clinic"]);
        assert_eq!(
            plan.sacrificed,
            vec!["didactics", "research", "admin", "conf"]
        );
        assert_eq!(plan.level, LoadSheddingLevel::Red);
        assert_eq!(plan.kept_hours, 80.0);
        // Patient safety stays even above capacity.
        let plan = shed_load(&activities(), 10.0).unwrap();
        assert_eq!(plan.kept, vec!["icu"]);
        assert_eq!(plan.level, LoadSheddingLevel::Critical);
        assert_eq!(
            shed_load(&activities(), 200.0).unwrap().level,
            LoadSheddingLevel::Normal
        );
        assert!(shed_load(&activities(), f64::NAN).is_err());
    }
}
