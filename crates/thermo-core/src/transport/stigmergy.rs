//! Stigmergy: preference trails that strengthen with use and evaporate with time.
//!
//! A trail has a strength s ∈ [0.01, 1.0]. A signal reinforces it by +0.1 (up to 1.0); a
//! new trail is created by its first signal at the implicit base 0.3 plus that signal's
//! reinforcement, i.e. 0.4. Between signals the strength evaporates exponentially,
//! `s ← max(0.01, s·e^{−k·Δdays})` with `k` = the decay constant (0.1 per day by default,
//! an e-folding time of 10 days and a half-life of ln 2/k = 6.93 days). Evaporation is
//! applied lazily from each trail's last update, so replaying E events costs O(E) and the
//! result does not depend on how often anyone "runs" evaporation.
//!
//! Trails are built from the swap history ([`TrailStore::from_swaps`]):
//! - executed swap → SWAP_AFFINITY between the two people (unordered pair; absorbs by the
//!   pool have no pair) and PREFERENCE of the receiver for the slot;
//! - any swap request → AVOIDANCE of the slot by its source;
//! - executed absorb → WORKLOAD of the source (it had to shed load);
//! - successive requests by the same source → SEQUENCE from the previous slot to this one.
//!
//! A *slot* is (weekday, session) of the swapped block. The transport layer uses the
//! SWAP_AFFINITY trails as the permeability of the boundary between stressed and other units
//! (thermo-spec Decision 4, Option A: one decay constant for trails and diffusion).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{PersonIdx, Schedule, Session, SwapKind, SwapStatus};

/// Lowest strength a trail can have.
pub const MIN_STRENGTH: f64 = 0.01;
/// Highest strength a trail can have.
pub const MAX_STRENGTH: f64 = 1.0;
/// Strength of a trail before its first signal.
pub const INITIAL_STRENGTH: f64 = 0.3;
/// Strength added per reinforcing signal.
pub const REINFORCEMENT: f64 = 0.1;
/// Strength above which a trail is "active".
pub const ACTIVE_STRENGTH: f64 = 0.1;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// What a trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailType {
    /// A person is drawn to a slot.
    Preference,
    /// A person moves away from a slot.
    Avoidance,
    /// Two people exchange work.
    SwapAffinity,
    /// A person sheds load.
    Workload,
    /// A person's requests move from one slot to another.
    Sequence,
}

/// Day of week (0 = Monday) and session of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Session; `None` when the swap names no session.
    pub session: Option<Session>,
}

/// What a trail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TrailKey {
    /// A person and a slot (preference, avoidance).
    PersonSlot(PersonIdx, Slot),
    /// An unordered pair of people, smaller index first (swap affinity).
    Pair(PersonIdx, PersonIdx),
    /// A person alone (workload).
    Person(PersonIdx),
    /// A person's move from one slot to the next (sequence).
    SlotChange(PersonIdx, Slot, Slot),
}

/// Bucket of a trail's strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrengthCategory {
    /// s < 0.2.
    VeryWeak,
    /// 0.2 ≤ s < 0.4.
    Weak,
    /// 0.4 ≤ s < 0.6.
    Moderate,
    /// 0.6 ≤ s < 0.8.
    Strong,
    /// s ≥ 0.8.
    VeryStrong,
}

impl StrengthCategory {
    /// The category of strength `s`.
    pub fn of(s: f64) -> Self {
        if s < 0.2 {
            Self::VeryWeak
        } else if s < 0.4 {
            Self::Weak
        } else if s < 0.6 {
            Self::Moderate
        } else if s < 0.8 {
            Self::Strong
        } else {
            Self::VeryStrong
        }
    }
}

/// One trail: strength at its last update.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    /// Strength at `updated_at`, in [0.01, 1].
    pub strength: f64,
    /// Highest strength reached.
    pub peak: f64,
    /// Signals received.
    pub reinforcements: u32,
    /// Time of the last signal.
    pub updated_at: DateTime<Utc>,
}

/// `s·e^{−k·days}` floored at [`MIN_STRENGTH`]; no change for `days ≤ 0`.
pub fn evaporate(strength: f64, decay_per_day: f64, days: f64) -> f64 {
    if days <= 0.0 {
        return strength;
    }
    (strength * (-decay_per_day * days).exp()).max(MIN_STRENGTH)
}

impl Trail {
    /// Strength at time `t` after evaporation since the last signal.
    pub fn strength_at(&self, t: DateTime<Utc>, decay_per_day: f64) -> f64 {
        let days = (t - self.updated_at).num_milliseconds() as f64 / 1000.0 / SECONDS_PER_DAY;
        evaporate(self.strength, decay_per_day, days)
    }
}

/// Every trail, keyed by type and subject, evaporating at one decay constant.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailStore {
    decay_per_day: f64,
    trails: HashMap<(TrailType, TrailKey), Trail>,
    /// Swaps skipped because they carry no usable timestamp.
    pub undated_swaps: usize,
}

impl TrailStore {
    /// An empty store with decay constant `decay_per_day` (per day, ≥ 0).
    pub fn new(decay_per_day: f64) -> Self {
        Self {
            decay_per_day: if decay_per_day.is_finite() {
                decay_per_day.max(0.0)
            } else {
                0.0
            },
            trails: HashMap::new(),
            undated_swaps: 0,
        }
    }

    /// The decay constant, per day.
    pub fn decay_per_day(&self) -> f64 {
        self.decay_per_day
    }

    /// Records one signal at time `t`: evaporates the trail to `t`, then reinforces it by
    /// [`REINFORCEMENT`]. A new trail starts at [`INITIAL_STRENGTH`] before reinforcement.
    /// Signals older than the trail's last update reinforce without evaporating.
    pub fn record(&mut self, kind: TrailType, key: TrailKey, t: DateTime<Utc>) {
        let k = self.decay_per_day;
        let trail = self.trails.entry((kind, key)).or_insert(Trail {
            strength: INITIAL_STRENGTH,
            peak: INITIAL_STRENGTH,
            reinforcements: 0,
            updated_at: t,
        });
        let s = trail.strength_at(t, k);
        trail.strength = (s + REINFORCEMENT).min(MAX_STRENGTH);
        trail.peak = trail.peak.max(trail.strength);
        trail.reinforcements += 1;
        trail.updated_at = trail.updated_at.max(t);
    }

    /// The trail of a type and subject, if any.
    pub fn get(&self, kind: TrailType, key: TrailKey) -> Option<&Trail> {
        self.trails.get(&(kind, key))
    }

    /// Strength of a trail at time `t` (0 when there is no trail).
    pub fn strength_at(&self, kind: TrailType, key: TrailKey, t: DateTime<Utc>) -> f64 {
        self.get(kind, key)
            .map_or(0.0, |tr| tr.strength_at(t, self.decay_per_day))
    }

    /// Number of trails.
    pub fn len(&self) -> usize {
        self.trails.len()
    }

    /// Whether there are no trails.
    pub fn is_empty(&self) -> bool {
        self.trails.is_empty()
    }

    /// Every trail with its key, sorted by type then key.
    pub fn trails(&self) -> Vec<(TrailType, TrailKey, Trail)> {
        let mut v: Vec<_> = self
            .trails
            .iter()
            .map(|((t, k), tr)| (*t, *k, *tr))
            .collect();
        v.sort_by_key(|(t, k, _)| (*t, *k));
        v
    }

    /// Swap-affinity trails at time `t` as `(a, b, strength)` with `a < b`, sorted.
    pub fn swap_affinities_at(&self, t: DateTime<Utc>) -> Vec<(PersonIdx, PersonIdx, f64)> {
        let mut v: Vec<_> = self
            .trails
            .iter()
            .filter_map(|((kind, key), tr)| match (kind, key) {
                (TrailType::SwapAffinity, TrailKey::Pair(a, b)) => {
                    Some((*a, *b, tr.strength_at(t, self.decay_per_day)))
                }
                _ => None,
            })
            .collect();
        v.sort_by_key(|(a, b, _)| (*a, *b));
        v
    }

    /// Replays the swap history up to `until` (inclusive) in time order.
    ///
    /// A swap's time is `executed_at` for executed swaps and `requested_at` otherwise;
    /// swaps without that timestamp are counted in [`TrailStore::undated_swaps`] and skipped.
    /// O(S log S) for S swaps.
    pub fn from_swaps(schedule: &Schedule, until: DateTime<Utc>, decay_per_day: f64) -> Self {
        let mut store = Self::new(decay_per_day);
        let mut events: Vec<(DateTime<Utc>, usize)> = Vec::with_capacity(schedule.swaps.len());
        for (i, s) in schedule.swaps.iter().enumerate() {
            let t = if s.status == SwapStatus::Executed {
                s.executed_at
            } else {
                s.requested_at
            };
            match t {
                Some(t) if t <= until => events.push((t, i)),
                Some(_) => {}
                None => store.undated_swaps += 1,
            }
        }
        // Stable on equal times: input order breaks ties.
        events.sort_by_key(|(t, _)| *t);
        let mut last_slot: HashMap<PersonIdx, Slot> = HashMap::new();
        for (t, i) in events {
            let s = &schedule.swaps[i];
            let slot = Slot {
                weekday: s.date.weekday().num_days_from_monday() as u8,
                session: s.session,
            };
            store.record(
                TrailType::Avoidance,
                TrailKey::PersonSlot(s.source, slot),
                t,
            );
            if let Some(prev) = last_slot.insert(s.source, slot) {
                store.record(
                    TrailType::Sequence,
                    TrailKey::SlotChange(s.source, prev, slot),
                    t,
                );
            }
            if s.status != SwapStatus::Executed {
                continue;
            }
            if let Some(target) = s.target
                && target != s.source
            {
                let pair = TrailKey::Pair(s.source.min(target), s.source.max(target));
                store.record(TrailType::SwapAffinity, pair, t);
                store.record(TrailType::Preference, TrailKey::PersonSlot(target, slot), t);
            }
            if s.kind == SwapKind::Absorb {
                store.record(TrailType::Workload, TrailKey::Person(s.source), t);
            }
        }
        store
    }
}

/// Swap-affinity trails of the executed swaps strictly before `t`, with their strength at
/// `t`, as `(a, b, strength)` with `a < b`, sorted by pair.
///
/// The same trails as [`TrailStore::from_swaps`] (then [`TrailStore::swap_affinities_at`]),
/// computed by sorting (pair, time) keys instead of hashing, for the transport check's
/// hot path: O(S log S) with no allocation per event.
pub fn swap_affinities(
    schedule: &Schedule,
    t: DateTime<Utc>,
    decay_per_day: f64,
) -> Vec<(PersonIdx, PersonIdx, f64)> {
    let k = if decay_per_day.is_finite() {
        decay_per_day.max(0.0)
    } else {
        0.0
    };
    let t_ms = t.timestamp_millis();
    let mut events: Vec<(u64, i64)> = schedule
        .swaps
        .iter()
        .filter(|s| s.status == SwapStatus::Executed)
        .filter_map(|s| {
            let target = s.target?;
            let executed = s.executed_at?.timestamp_millis();
            (target != s.source && executed < t_ms).then(|| {
                let (a, b) = (s.source.min(target), s.source.max(target));
                ((u64::from(a.0) << 32) | u64::from(b.0), executed)
            })
        })
        .collect();
    events.sort_unstable();
    let days = |ms: i64| ms as f64 / 1000.0 / SECONDS_PER_DAY;
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let key = events[i].0;
        let (mut strength, mut last) = (INITIAL_STRENGTH, events[i].1);
        while i < events.len() && events[i].0 == key {
            let at = events[i].1;
            strength = (evaporate(strength, k, days(at - last)) + REINFORCEMENT).min(MAX_STRENGTH);
            last = at;
            i += 1;
        }
        out.push((
            PersonIdx((key >> 32) as u32),
            PersonIdx(key as u32),
            evaporate(strength, k, days(t_ms - last)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Person, ScheduleBuilder, Swap};
    use chrono::{NaiveDate, TimeZone};

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn evaporation_golden() {
        // framework-golden trail_evaporation_0.8_rate0.1
        let s1 = evaporate(0.8, 0.1, 1.0);
        assert!((s1 - 0.7238699344287677).abs() < 1e-15);
        assert!((evaporate(s1, 0.1, 1.0) - 0.6549846024623854).abs() < 1e-15);
        assert_eq!(evaporate(0.5, 0.1, 0.0), 0.5);
        assert_eq!(evaporate(0.02, 0.1, 100.0), MIN_STRENGTH);
    }

    #[test]
    fn new_trail_starts_at_point_four_and_caps_at_one() {
        let mut st = TrailStore::new(0.1);
        let key = TrailKey::Person(PersonIdx(0));
        st.record(TrailType::Workload, key, t(1, 0));
        assert!((st.get(TrailType::Workload, key).unwrap().strength - 0.4).abs() < 1e-15);
        for _ in 0..10 {
            st.record(TrailType::Workload, key, t(1, 0));
        }
        assert_eq!(
            st.get(TrailType::Workload, key).unwrap().strength,
            MAX_STRENGTH
        );
        // Half-life 6.93 days.
        let later =
            t(1, 0) + chrono::Duration::seconds((std::f64::consts::LN_2 / 0.1 * 86_400.0) as i64);
        assert!((st.strength_at(TrailType::Workload, key, later) - 0.5).abs() < 1e-5);
        assert_eq!(StrengthCategory::of(0.5), StrengthCategory::Moderate);
    }

    #[test]
    fn swaps_build_every_trail_type_with_canonical_pairs() {
        let mut b = ScheduleBuilder::new();
        let a = b.add_person(Person::new("a")).unwrap();
        let c = b.add_person(Person::new("c")).unwrap();
        let swap = |source, target, kind, status, day| Swap {
            id: None,
            source,
            target,
            date: NaiveDate::from_ymd_opt(2026, 1, day).unwrap(),
            session: Some(Session::Am),
            blocks: 1,
            kind,
            status,
            requested_at: Some(t(day, 8)),
            executed_at: (status == SwapStatus::Executed).then(|| t(day, 9)),
        };
        b.add_swap(swap(
            a,
            Some(c),
            SwapKind::OneToOne,
            SwapStatus::Executed,
            5,
        ))
        .unwrap();
        b.add_swap(swap(c, Some(a), SwapKind::Absorb, SwapStatus::Executed, 6))
            .unwrap();
        b.add_swap(swap(c, None, SwapKind::Absorb, SwapStatus::Rejected, 7))
            .unwrap();
        let mut undated = swap(a, Some(c), SwapKind::OneToOne, SwapStatus::Requested, 8);
        undated.requested_at = None;
        b.add_swap(undated).unwrap();
        let s = b.build();
        let st = TrailStore::from_swaps(&s, t(20, 0), 0.1);
        assert_eq!(st.undated_swaps, 1);
        let aff = st.swap_affinities_at(t(6, 9));
        assert_eq!(aff.len(), 1, "(a, c) and (c, a) are one trail");
        let expected = (evaporate(0.4, 0.1, 1.0) + 0.1).min(1.0);
        assert!((aff[0].2 - expected).abs() < 1e-12);
        let kinds: std::collections::BTreeSet<_> = st.trails().iter().map(|(k, _, _)| *k).collect();
        assert_eq!(kinds.len(), 5);
        // The sorted fast path agrees with the store.
        let fast = swap_affinities(&s, t(20, 0), 0.1);
        let slow = TrailStore::from_swaps(&s, t(20, 0), 0.1).swap_affinities_at(t(20, 0));
        assert_eq!(fast.len(), slow.len());
        for (f, w) in fast.iter().zip(&slow) {
            assert_eq!((f.0, f.1), (w.0, w.1));
            assert!((f.2 - w.2).abs() < 1e-12);
        }
        // Swaps after `until` are ignored.
        assert!(TrailStore::from_swaps(&s, t(1, 0), 0.1).is_empty());
    }
}
