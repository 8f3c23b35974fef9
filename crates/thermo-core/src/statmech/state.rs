//! The compact mutable schedule state behind the landscape, the loss barrier and the
//! Boltzmann sampler: per-assignment person/rotation arrays, per-(block, person)
//! busy counts, per-slot coverage counts, per-person load and per-(person, rotation) cell
//! counts, with the running sums that make every move's energy change O(1).
//!
//! Running sums (all integers except two floats that are saved and restored around a
//! rejected move, so a rejected move leaves the state bit-identical):
//! - Σc and Σc² of per-person work load over the active roster → Var = (kΣc² − (Σc)²)/k²;
//! - Σ c ln c over (person, rotation) cells and the assigned count N → S = ln N − Σ c ln c / N;
//! - Σ_r (Σ_p c_pr²)/n_r over rotations → hub concentration = that sum / N_rot;
//! - the coverage shortfall Σ_slots max(0, min − covered).
//!
//! Slots: the (block, work rotation) pairs the schedule uses. A slot's demand is
//! ⌈min_coverage × capacity_factor⌉ (the calendar row of that day or session; 1 without
//! one; 0 on a closed day). A rotation change may move an assignment to another rotation
//! scheduled in its block, but never takes the last assignment out of a slot, so the slot
//! set is the same in every state (the constraint is symmetric, so the chain stays
//! reversible).
//!
//! Movable assignments are those on a work rotation (or without rotation); assignments on
//! rotations that do not count as work (`off`, `leave`) stay where they are but still occupy
//! their person's block. A removed person's work assignments become vacancies; their other
//! assignments leave the state.

use chrono::NaiveDate;
use rand::{Rng, RngExt};

use super::StatmechError;
use super::free_energy::{EnergyComponents, EnergyModel, EnergyTerms, FreeEnergy};
use crate::model::{PersonIdx, Schedule};

/// Marker for "no person" (a vacancy) in [`MoveState`] person arrays.
pub const VACANT: u32 = u32::MAX;
const NO_SLOT: u32 = u32::MAX;

/// The assignments in scope: those dated in `[from, to)` (`None` = unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    /// First date in scope.
    pub from: Option<NaiveDate>,
    /// First date after the scope.
    pub to: Option<NaiveDate>,
}

impl Scope {
    /// The whole schedule.
    pub fn all() -> Self {
        Self::default()
    }

    /// `[at, at + days)`; `days` = 0 means the whole schedule.
    pub fn window(at: NaiveDate, days: u32) -> Self {
        if days == 0 {
            Self::all()
        } else {
            Self {
                from: Some(at),
                to: Some(at + chrono::Duration::days(i64::from(days))),
            }
        }
    }

    fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date < t)
    }
}

/// One content-changing move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Exchange the persons of two assignments in different blocks.
    SwapPersons {
        /// First assignment (state index).
        a: u32,
        /// Second assignment (state index).
        b: u32,
    },
    /// Give an assignment to another person (or fill a vacancy).
    Reassign {
        /// Assignment (state index).
        a: u32,
        /// Person before (or [`VACANT`]).
        from: u32,
        /// Person after.
        to: u32,
    },
    /// Put an assignment on another rotation scheduled in its block.
    ChangeRotation {
        /// Assignment (state index).
        a: u32,
        /// Rotation column before.
        from: u32,
        /// Rotation column after.
        to: u32,
    },
}

impl Move {
    /// The move that undoes this one.
    pub fn inverse(self) -> Self {
        match self {
            Move::SwapPersons { .. } => self,
            Move::Reassign { a, from, to } => Move::Reassign {
                a,
                from: to,
                to: from,
            },
            Move::ChangeRotation { a, from, to } => Move::ChangeRotation {
                a,
                from: to,
                to: from,
            },
        }
    }
}

/// The running sums (a small `Copy` record saved before a tentative move).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sums {
    load_sum: i64,
    load_sq: i64,
    assigned: i64,
    clnc: f64,
    hub_acc: f64,
    rotated: i64,
    shortfall: i64,
    vacancies: i64,
}

/// The compact mutable state (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct MoveState {
    model: EnergyModel,
    people: usize,
    cols: usize,
    /// Schedule assignment index of each state assignment.
    origin: Vec<u32>,
    block: Vec<u32>,
    covers: Vec<bool>,
    /// State assignments `0..movable` are movable; the rest stay put.
    movable: usize,
    skill_ok: Vec<bool>,
    active: Vec<bool>,
    active_count: i64,
    work_col: Vec<bool>,
    /// Slot id of (block, column) pairs: `block_slots[block_slot_start[b]..block_slot_start[b+1]]`.
    block_slot_start: Vec<u32>,
    block_slots: Vec<(u32, u32)>,
    slot_min: Vec<u32>,
    col_people: Vec<Vec<u32>>,
    preference_deficit: f64,
    violations: u64,
    /// Preference score and violation flag of each state assignment, for
    /// [`MoveState::remove_persons`] (the non-work assignments it takes out carry them).
    score: Vec<Option<f64>>,
    violation: Vec<bool>,
    /// Non-work assignments of persons taken out by [`MoveState::remove_persons`]: they stay
    /// in the arrays, after the movable ones, as [`VACANT`] entries that count for nothing.
    departed: usize,
    xlnx: Vec<f64>,
    /// ln k for k = 0 ..= the state's assignments: the entropy's ln N is a table read.
    ln_count: Vec<f64>,
    // Mutable part.
    person: Vec<u32>,
    col: Vec<u32>,
    slot: Vec<u32>,
    /// `[block * people + person]`: the assignments the person holds in the block, plus 1
    /// when they are away on the block's day, plus 1 while they are off the roster. The
    /// person is free to take work in the block exactly when it is 0, so the eligibility
    /// test reads one counter instead of three flags.
    busy: Vec<u16>,
    coverage: Vec<u32>,
    /// Assignments (vacant or not) on each slot.
    slot_size: Vec<u32>,
    load: Vec<u32>,
    cell: Vec<u32>,
    col_n: Vec<u32>,
    col_sq: Vec<u64>,
    col_term: Vec<f64>,
    sums: Sums,
}

/// The running sums of one column's cell counts (for the hub term).
#[derive(Debug, Clone, Copy)]
struct ColumnSums {
    /// Cells of the column with a positive count.
    n: u32,
    /// Sum of the squared counts.
    sq: u64,
    /// `sq / n` (0 when `n` is 0).
    term: f64,
}

/// Steps cell count `old` (of column `c`) by ±1, updating `sums` and the column's running
/// sums, and returns the new count. The one place that arithmetic lives, so a state change
/// and an evaluation on copies round identically.
#[inline]
fn step_cell(
    xlnx: &[f64],
    cols: usize,
    sums: &mut Sums,
    column: &mut ColumnSums,
    c: usize,
    old: u32,
    up: bool,
) -> u32 {
    let new = if up { old + 1 } else { old - 1 };
    sums.clnc += xlnx[new as usize] - xlnx[old as usize];
    if c + 1 < cols {
        let n_new = if up { column.n + 1 } else { column.n - 1 };
        let sq_new = column.sq + u64::from(new) * u64::from(new) - u64::from(old) * u64::from(old);
        let term = if n_new == 0 {
            0.0
        } else {
            sq_new as f64 / f64::from(n_new)
        };
        sums.hub_acc += term - column.term;
        *column = ColumnSums {
            n: n_new,
            sq: sq_new,
            term,
        };
        sums.rotated += if up { 1 } else { -1 };
    }
    new
}

/// The slot of (block, column), or `NO_SLOT`.
fn slot_in(block_slot_start: &[u32], block_slots: &[(u32, u32)], block: u32, col: u32) -> u32 {
    let lo = block_slot_start[block as usize] as usize;
    let hi = block_slot_start[block as usize + 1] as usize;
    block_slots[lo..hi]
        .iter()
        .find(|(c, _)| *c == col)
        .map_or(NO_SLOT, |&(_, s)| s)
}

/// Width of the index fields of a proposal's random word.
const INDEX_BITS: u32 = 31;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// A uniform integer in `0..n` from `bits`, [`INDEX_BITS`] uniform random bits, by
/// Lemire's multiply-shift with rejection: the draw is exactly uniform, and the rare bits
/// that would bias it (probability below n / 2³¹) are replaced by fresh bits from `rng`.
/// Ranges wider than the field (more than 2³¹ choices) draw from `rng` directly.
#[inline(always)]
fn uniform_below<R: Rng>(bits: u64, n: usize, rng: &mut R) -> usize {
    let wide = n as u64;
    // bits < 2³¹ and n ≤ 2³¹: the product fits in 62 bits. A low part ≥ n is never among
    // the 2³¹ mod n values that over-represent some results, so it is accepted at once.
    let product = bits.wrapping_mul(wide);
    if wide <= 1 << INDEX_BITS && product & INDEX_MASK >= wide {
        return (product >> INDEX_BITS) as usize;
    }
    uniform_below_slow(bits, n, rng)
}

/// The rest of [`uniform_below`]: the exact rejection test, and wide ranges.
#[cold]
#[inline(never)]
fn uniform_below_slow<R: Rng>(bits: u64, n: usize, rng: &mut R) -> usize {
    debug_assert!(n > 0);
    let n = n as u64;
    if n > 1 << INDEX_BITS {
        return rng.random_range(0..n) as usize;
    }
    let threshold = (INDEX_MASK + 1 - n) % n;
    let mut bits = bits;
    loop {
        let product = bits * n;
        if product & INDEX_MASK >= threshold {
            return (product >> INDEX_BITS) as usize;
        }
        bits = rng.next_u64() >> (64 - INDEX_BITS);
    }
}

fn xlnx(x: u32) -> f64 {
    if x <= 1 {
        0.0
    } else {
        let x = f64::from(x);
        x * x.ln()
    }
}

/// Everything a [`MoveState`] needs from the schedule for one scope and energy model that
/// does not depend on who is removed: the in-scope assignments in schedule order, the
/// block, absence and skill tables, the slots and their demands.
///
/// Built once with [`StateTemplate::new`]; [`StateTemplate::state`] then makes the state
/// for any set of removed persons in time linear in the in-scope assignments, without
/// scanning the schedule again. `MoveState::new(schedule, scope, removed, model)` is
/// exactly `StateTemplate::new(schedule, scope, model)?.state(removed)`, so both give
/// bit-identical states (the loss barrier of every person uses one template).
#[derive(Debug, Clone)]
pub struct StateTemplate {
    model: EnergyModel,
    people: usize,
    cols: usize,
    work_col: Vec<bool>,
    /// `[block * people + person]`: away (approved absence) on the block's day.
    away_block: Vec<bool>,
    skill_ok: Vec<bool>,
    block_slot_start: Vec<u32>,
    block_slots: Vec<(u32, u32)>,
    slot_min: Vec<u32>,
    /// x ln x for every count an in-scope cell can reach.
    xlnx: Vec<f64>,
    /// ln k for every count of assignments the state can hold.
    ln_count: Vec<f64>,
    // In-scope assignments in schedule order.
    origin: Vec<u32>,
    block: Vec<u32>,
    col: Vec<u32>,
    covers: Vec<bool>,
    person: Vec<u32>,
    score: Vec<Option<f64>>,
    violation: Vec<bool>,
    slot: Vec<u32>,
    /// In-scope assignments (schedule-order indices), movable ones first, each group in
    /// schedule order: the state order with nobody removed. Removing persons only drops
    /// non-movable entries, so every state's order is this one with entries left out.
    order: Vec<u32>,
    /// Movable (work) assignments in scope.
    movable: usize,
    /// Σ (1 − score) over the in-scope assignments, in schedule order.
    preference_deficit: f64,
    /// Violations among the in-scope assignments.
    violations: u64,
}

impl StateTemplate {
    /// Scans `schedule` once for the assignments in `scope` under `model`.
    pub fn new(
        schedule: &Schedule,
        scope: Scope,
        model: &EnergyModel,
    ) -> Result<Self, StatmechError> {
        model.validate()?;
        let people = schedule.people.len();
        let rotations = schedule.rotations.len();
        let cols = rotations + 1;
        let none_col = rotations as u32;
        let work_col: Vec<bool> = schedule
            .rotations
            .iter()
            .map(|r| r.counts_as_work)
            .chain(std::iter::once(true))
            .collect();

        // Blocks in scope, renumbered densely.
        let mut block_map = vec![u32::MAX; schedule.blocks.len()];
        let mut block_dates: Vec<NaiveDate> = Vec::new();
        let mut block_session: Vec<crate::model::Session> = Vec::new();
        for (i, b) in schedule.blocks.iter().enumerate() {
            if scope.contains(b.date) {
                block_map[i] = block_dates.len() as u32;
                block_dates.push(b.date);
                block_session.push(b.session);
            }
        }
        let first_day = block_dates.iter().min().copied();
        let days = match (first_day, block_dates.iter().max()) {
            (Some(lo), Some(hi)) => (*hi - lo).num_days() as usize + 1,
            _ => 0,
        };
        let block_day: Vec<u32> = block_dates
            .iter()
            .map(|d| first_day.map_or(0, |f| (*d - f).num_days() as u32))
            .collect();
        let away = match first_day {
            Some(f) => schedule.absence_matrix(f, days),
            None => Vec::new(),
        };
        let nblocks = block_dates.len();
        let mut away_block = vec![false; nblocks * people];
        if days > 0 {
            for (b, &d) in block_day.iter().enumerate() {
                for p in 0..people {
                    away_block[b * people + p] = away[p * days + d as usize];
                }
            }
        }

        let mut skill_ok = vec![true; people * cols];
        for (p, person) in schedule.people.iter().enumerate() {
            for (r, rot) in schedule.rotations.iter().enumerate() {
                if let Some(skill) = &rot.required_skill {
                    skill_ok[p * cols + r] = person.has_skill(skill);
                }
            }
        }

        let mut origin = Vec::new();
        let mut block = Vec::new();
        let mut covers = Vec::new();
        let mut person = Vec::new();
        let mut col = Vec::new();
        let mut score = Vec::new();
        let mut violation = Vec::new();
        let mut slot_pairs: Vec<(u32, u32)> = Vec::new();
        for (i, a) in schedule.assignments.iter().enumerate() {
            let b = block_map[a.block.index()];
            if b == u32::MAX {
                continue;
            }
            let c = a.rotation.map_or(none_col, |r| r.0);
            origin.push(i as u32);
            block.push(b);
            covers.push(a.role.covers());
            person.push(a.person.0);
            col.push(c);
            score.push(a.score);
            violation.push(a.violation);
            // Removing persons never drops a work assignment (it becomes a vacancy), so
            // the slot set does not depend on who is removed.
            if c != none_col && work_col[c as usize] {
                slot_pairs.push((b, c));
            }
        }
        // Demand of a scheduled slot: its rotation's minimum scaled by the calendar's
        // capacity factor for that day (or session), rounded up; 0 on a closed day.
        let mut factors: std::collections::HashMap<
            (NaiveDate, Option<crate::model::Session>),
            f64,
        > = std::collections::HashMap::new();
        for day in &schedule.calendar {
            factors.insert((day.date, day.session), day.capacity_factor);
        }
        slot_pairs.sort_unstable();
        slot_pairs.dedup();
        let mut block_slot_start = vec![0u32; nblocks + 1];
        for &(b, _) in &slot_pairs {
            block_slot_start[b as usize + 1] += 1;
        }
        for b in 0..nblocks {
            block_slot_start[b + 1] += block_slot_start[b];
        }
        // Each (block, rotation) entry gets a slot id; slots without demand have minimum 0.
        let block_slots: Vec<(u32, u32)> = slot_pairs
            .iter()
            .enumerate()
            .map(|(s, &(_, c))| (c, s as u32))
            .collect();
        let slot_min: Vec<u32> = slot_pairs
            .iter()
            .map(|&(b, c)| {
                let date = block_dates[b as usize];
                let factor = factors
                    .get(&(date, Some(block_session[b as usize])))
                    .or_else(|| factors.get(&(date, None)))
                    .copied()
                    .unwrap_or(1.0);
                if factor <= 0.0 {
                    0
                } else {
                    (f64::from(schedule.rotations[c as usize].min_coverage) * factor.min(1.0))
                        .ceil() as u32
                }
            })
            .collect();
        let xlnx_table: Vec<f64> = (0..=origin.len() as u32 + 1).map(xlnx).collect();
        let ln_count: Vec<f64> = (0..=origin.len() + 1).map(|k| (k as f64).ln()).collect();
        let slot: Vec<u32> = block
            .iter()
            .zip(&col)
            .map(|(&b, &c)| slot_in(&block_slot_start, &block_slots, b, c))
            .collect();
        let n = origin.len() as u32;
        let is_movable = |a: u32| work_col[col[a as usize] as usize];
        let order: Vec<u32> = (0..n)
            .filter(|&a| is_movable(a))
            .chain((0..n).filter(|&a| !is_movable(a)))
            .collect();
        let movable = order.iter().take_while(|&&a| is_movable(a)).count();
        let mut preference_deficit = 0.0;
        for s in score.iter().flatten() {
            preference_deficit += 1.0 - s;
        }
        let violations = violation.iter().filter(|&&v| v).count() as u64;
        Ok(Self {
            model: *model,
            people,
            cols,
            work_col,
            away_block,
            skill_ok,
            block_slot_start,
            block_slots,
            slot_min,
            xlnx: xlnx_table,
            ln_count,
            origin,
            block,
            col,
            covers,
            person,
            score,
            violation,
            slot,
            order,
            movable,
            preference_deficit,
            violations,
        })
    }

    /// The state with the persons in `removed` taken out of the roster (their work
    /// assignments become vacancies, their other assignments leave the state).
    pub fn state(&self, removed: &[PersonIdx]) -> Result<MoveState, StatmechError> {
        let people = self.people;
        for r in removed {
            if r.index() >= people {
                return Err(StatmechError::UnknownPerson(format!("#{}", r.0)));
            }
        }
        let mut active = vec![true; people];
        for r in removed {
            active[r.index()] = false;
        }
        let cols = self.cols;
        let work_col = &self.work_col;
        // A removed person's non-work assignments leave the state; everything else stays,
        // in the template's order (movable entries are never dropped).
        let dropped =
            |i: usize| !active[self.person[i] as usize] && !work_col[self.col[i] as usize];
        let (mut preference_deficit, mut violations) = (self.preference_deficit, self.violations);
        if !removed.is_empty() {
            // Recomputed in schedule order only when a dropped entry carries a score, so
            // the sum is the one a fresh scan would give, bit for bit.
            if (0..self.origin.len()).any(|i| dropped(i) && self.score[i].is_some()) {
                preference_deficit = 0.0;
                for i in 0..self.origin.len() {
                    if let Some(s) = self.score[i]
                        && !dropped(i)
                    {
                        preference_deficit += 1.0 - s;
                    }
                }
            }
            violations -= (0..self.origin.len())
                .filter(|&i| dropped(i) && self.violation[i])
                .count() as u64;
        }
        let cap = self.order.len();
        let mut origin = Vec::with_capacity(cap);
        let mut block = Vec::with_capacity(cap);
        let mut covers = Vec::with_capacity(cap);
        let mut person = Vec::with_capacity(cap);
        let mut col = Vec::with_capacity(cap);
        let mut slot = Vec::with_capacity(cap);
        let mut score = Vec::with_capacity(cap);
        let mut violation = Vec::with_capacity(cap);
        for &i in &self.order {
            let i = i as usize;
            let p = self.person[i];
            if removed.is_empty() || !dropped(i) {
                origin.push(self.origin[i]);
                block.push(self.block[i]);
                covers.push(self.covers[i]);
                person.push(if active[p as usize] { p } else { VACANT });
                col.push(self.col[i]);
                slot.push(self.slot[i]);
                score.push(self.score[i]);
                violation.push(self.violation[i]);
            }
        }
        let col_people: Vec<Vec<u32>> = (0..cols)
            .map(|c| {
                (0..people)
                    .filter(|&p| active[p] && self.skill_ok[p * cols + c])
                    .map(|p| p as u32)
                    .collect()
            })
            .collect();
        let n = origin.len();
        let movable = self.movable;
        let off_roster: Vec<usize> = (0..people).filter(|&p| !active[p]).collect();
        let mut state = MoveState {
            model: self.model,
            people,
            cols,
            origin,
            block,
            covers,
            movable,
            skill_ok: self.skill_ok.clone(),
            active_count: active.iter().filter(|&&x| x).count() as i64,
            active,
            work_col: self.work_col.clone(),
            block_slot_start: self.block_slot_start.clone(),
            block_slots: self.block_slots.clone(),
            slot_min: self.slot_min.clone(),
            col_people,
            preference_deficit,
            violations,
            score,
            violation,
            departed: 0,
            xlnx: self.xlnx.clone(),
            ln_count: self.ln_count.clone(),
            person: vec![VACANT; n],
            col,
            slot,
            busy: self
                .away_block
                .iter()
                .map(|&away| u16::from(away))
                .collect(),
            coverage: vec![0; self.slot_min.len()],
            slot_size: vec![0; self.slot_min.len()],
            load: vec![0; people],
            cell: vec![0; people * cols],
            col_n: vec![0; cols],
            col_sq: vec![0; cols],
            col_term: vec![0.0; cols],
            sums: Sums {
                load_sum: 0,
                load_sq: 0,
                assigned: 0,
                clnc: 0.0,
                hub_acc: 0.0,
                rotated: 0,
                shortfall: self.slot_min.iter().map(|&m| i64::from(m)).sum(),
                vacancies: 0,
            },
        };
        for p in off_roster {
            state.mark_off_roster(p);
        }
        for (a, p) in person.into_iter().enumerate() {
            let slot = state.slot[a];
            if slot != NO_SLOT {
                state.slot_size[slot as usize] += 1;
            }
            state.add(a, p);
        }
        Ok(state)
    }
}

impl MoveState {
    /// Builds the state for the assignments of `schedule` in `scope`, with the persons in
    /// `removed` taken out of the roster (their work assignments become vacancies).
    /// Equivalent to [`StateTemplate::new`] followed by [`StateTemplate::state`].
    pub fn new(
        schedule: &Schedule,
        scope: Scope,
        removed: &[PersonIdx],
        model: &EnergyModel,
    ) -> Result<Self, StatmechError> {
        StateTemplate::new(schedule, scope, model)?.state(removed)
    }

    fn slot_of(&self, block: u32, col: u32) -> u32 {
        slot_in(&self.block_slot_start, &self.block_slots, block, col)
    }

    #[inline]
    fn cell_change(&mut self, p: usize, c: usize, up: bool) {
        let idx = p * self.cols + c;
        let old = self.cell[idx];
        if c + 1 < self.cols {
            let mut column = self.column_sums(c);
            self.cell[idx] = step_cell(
                &self.xlnx,
                self.cols,
                &mut self.sums,
                &mut column,
                c,
                old,
                up,
            );
            self.col_n[c] = column.n;
            self.col_sq[c] = column.sq;
            self.col_term[c] = column.term;
        } else {
            // The last column (no rotation) has no hub term: only the cell entropy moves.
            let new = if up { old + 1 } else { old - 1 };
            self.cell[idx] = new;
            self.sums.clnc += self.xlnx[new as usize] - self.xlnx[old as usize];
        }
    }

    #[inline]
    fn column_sums(&self, c: usize) -> ColumnSums {
        ColumnSums {
            n: self.col_n[c],
            sq: self.col_sq[c],
            term: self.col_term[c],
        }
    }

    /// E = U − t·S after `mv`, without changing the state, for the moves of present persons:
    /// a swap of two present persons, a reassignment between two present persons on a work
    /// rotation, and a rotation change. The sums are updated on copies by exactly the
    /// operations (same order, same rounding) [`MoveState::apply`] performs, so the value is
    /// bit-identical to applying the move and measuring. `None` for a move that involves a
    /// vacancy (apply it to measure).
    #[inline]
    pub fn energy_after(&self, mv: Move, entropy_temperature: f64) -> Option<f64> {
        let cols = self.cols;
        let cell = |p: u32, c: usize| self.cell[p as usize * cols + c];
        let mut s = self.sums;
        match mv {
            Move::SwapPersons { a, b } => {
                let (pa, pb) = (self.person[a as usize], self.person[b as usize]);
                if pa == VACANT || pb == VACANT {
                    return None;
                }
                let (ca, cb) = (self.col[a as usize] as usize, self.col[b as usize] as usize);
                if ca != cb {
                    // The four cells are distinct (pa ≠ pb, ca ≠ cb); columns ca and cb
                    // each take two steps, in `apply`'s order.
                    let (mut col_a, mut col_b) = (self.column_sums(ca), self.column_sums(cb));
                    let x = &self.xlnx;
                    step_cell(x, cols, &mut s, &mut col_a, ca, cell(pa, ca), false);
                    step_cell(x, cols, &mut s, &mut col_b, cb, cell(pb, cb), false);
                    step_cell(x, cols, &mut s, &mut col_a, ca, cell(pb, ca), true);
                    step_cell(x, cols, &mut s, &mut col_b, cb, cell(pa, cb), true);
                }
            }
            Move::Reassign { a, from, to } => {
                let c = self.col[a as usize] as usize;
                if from == VACANT || to == VACANT || !self.work_col[c] || from == to {
                    return None;
                }
                let lf = i64::from(self.load[from as usize] - 1);
                let lt = i64::from(self.load[to as usize]);
                s.load_sq += 2 * lt + 1 - (2 * lf + 1);
                let mut column = self.column_sums(c);
                let x = &self.xlnx;
                step_cell(x, cols, &mut s, &mut column, c, cell(from, c), false);
                step_cell(x, cols, &mut s, &mut column, c, cell(to, c), true);
            }
            Move::ChangeRotation { a, from, to } => {
                let au = a as usize;
                let p = self.person[au];
                let c = self.col[au] as usize;
                let to = to as usize;
                if p == VACANT || c != from as usize || to == c {
                    return None;
                }
                // take(a): the person leaves column c and the assignment's slot.
                let mut load = self.load[p as usize];
                if self.work_col[c] {
                    load -= 1;
                    s.load_sum -= 1;
                    s.load_sq -= 2 * i64::from(load) + 1;
                }
                let mut column = self.column_sums(c);
                step_cell(&self.xlnx, cols, &mut s, &mut column, c, cell(p, c), false);
                s.assigned -= 1;
                let old_slot = self.slot[au];
                if old_slot != NO_SLOT && self.covers[au] {
                    let cov = self.coverage[old_slot as usize] - 1;
                    if cov < self.slot_min[old_slot as usize] {
                        s.shortfall += 1;
                    }
                }
                // add(a, p) on column `to` (a different cell and column).
                if self.work_col[to] {
                    s.load_sum += 1;
                    s.load_sq += 2 * i64::from(load) + 1;
                }
                let mut column = self.column_sums(to);
                step_cell(&self.xlnx, cols, &mut s, &mut column, to, cell(p, to), true);
                s.assigned += 1;
                let new_slot = self.slot_of(self.block[au], to as u32);
                if new_slot != NO_SLOT && self.covers[au] {
                    let mut cov = self.coverage[new_slot as usize];
                    if new_slot == old_slot {
                        cov -= 1;
                    }
                    if cov < self.slot_min[new_slot as usize] {
                        s.shortfall -= 1;
                    }
                }
            }
        }
        Some(self.energy_from(&s, entropy_temperature))
    }

    /// Puts person `p` (or [`VACANT`]) on assignment `a` (which must be empty).
    #[inline]
    fn add(&mut self, a: usize, p: u32) {
        self.person[a] = p;
        if p == VACANT {
            self.sums.vacancies += 1;
            return;
        }
        let pu = p as usize;
        let c = self.col[a] as usize;
        self.busy[self.block[a] as usize * self.people + pu] += 1;
        if self.work_col[c] {
            let l = i64::from(self.load[pu]);
            self.load[pu] += 1;
            self.sums.load_sum += 1;
            self.sums.load_sq += 2 * l + 1;
        }
        self.cell_change(pu, c, true);
        self.sums.assigned += 1;
        let s = self.slot[a];
        if s != NO_SLOT && self.covers[a] {
            let cov = self.coverage[s as usize];
            if cov < self.slot_min[s as usize] {
                self.sums.shortfall -= 1;
            }
            self.coverage[s as usize] = cov + 1;
        }
    }

    /// Takes the person off assignment `a`, returning them.
    #[inline]
    fn take(&mut self, a: usize) -> u32 {
        let p = self.person[a];
        self.person[a] = VACANT;
        if p == VACANT {
            self.sums.vacancies -= 1;
            return p;
        }
        let pu = p as usize;
        let c = self.col[a] as usize;
        self.busy[self.block[a] as usize * self.people + pu] -= 1;
        if self.work_col[c] {
            self.load[pu] -= 1;
            let l = i64::from(self.load[pu]);
            self.sums.load_sum -= 1;
            self.sums.load_sq -= 2 * l + 1;
        }
        self.cell_change(pu, c, false);
        self.sums.assigned -= 1;
        let s = self.slot[a];
        if s != NO_SLOT && self.covers[a] {
            let cov = self.coverage[s as usize] - 1;
            self.coverage[s as usize] = cov;
            if cov < self.slot_min[s as usize] {
                self.sums.shortfall += 1;
            }
        }
        p
    }

    /// Applies a move (assumed feasible).
    pub fn apply(&mut self, mv: Move) {
        match mv {
            Move::SwapPersons { a, b } => {
                let (a, b) = (a as usize, b as usize);
                let (pa, pb) = (self.person[a], self.person[b]);
                if pa == VACANT || pb == VACANT {
                    let pa = self.take(a);
                    let pb = self.take(b);
                    self.add(a, pb);
                    self.add(b, pa);
                    return;
                }
                // Both movable assignments are work: loads and coverage are unchanged,
                // only the busy counts and (when the rotations differ) the cells move.
                let (ba, bb) = (self.block[a] as usize, self.block[b] as usize);
                let np = self.people;
                self.busy[ba * np + pa as usize] -= 1;
                self.busy[bb * np + pb as usize] -= 1;
                self.busy[ba * np + pb as usize] += 1;
                self.busy[bb * np + pa as usize] += 1;
                self.person[a] = pb;
                self.person[b] = pa;
                let (ca, cb) = (self.col[a] as usize, self.col[b] as usize);
                if ca != cb {
                    self.cell_change(pa as usize, ca, false);
                    self.cell_change(pb as usize, cb, false);
                    self.cell_change(pb as usize, ca, true);
                    self.cell_change(pa as usize, cb, true);
                }
            }
            Move::Reassign { a, from, to } => {
                let a = a as usize;
                if from == VACANT || to == VACANT || !self.work_col[self.col[a] as usize] {
                    self.take(a);
                    self.add(a, to);
                    return;
                }
                // Same slot and role: coverage is unchanged.
                let b = self.block[a] as usize;
                let c = self.col[a] as usize;
                let np = self.people;
                self.busy[b * np + from as usize] -= 1;
                self.busy[b * np + to as usize] += 1;
                self.person[a] = to;
                self.load[from as usize] -= 1;
                let lf = i64::from(self.load[from as usize]);
                let lt = i64::from(self.load[to as usize]);
                self.load[to as usize] += 1;
                self.sums.load_sq += 2 * lt + 1 - (2 * lf + 1);
                self.cell_change(from as usize, c, false);
                self.cell_change(to as usize, c, true);
            }
            Move::ChangeRotation { a, to, .. } => {
                let a = a as usize;
                let p = self.take(a);
                if self.slot[a] != NO_SLOT {
                    self.slot_size[self.slot[a] as usize] -= 1;
                }
                self.col[a] = to;
                self.slot[a] = self.slot_of(self.block[a], to);
                if self.slot[a] != NO_SLOT {
                    self.slot_size[self.slot[a] as usize] += 1;
                }
                self.add(a, p);
            }
        }
    }

    /// Applies `mv` and returns the change of E = U − t·S (`t` = 0 for the internal energy).
    /// Call [`MoveState::reject`] with the returned token to undo it exactly.
    #[inline]
    pub fn try_move(&mut self, mv: Move, entropy_temperature: f64) -> (f64, Undo) {
        let before = self.sums;
        let e0 = self.energy_from(&before, entropy_temperature);
        self.apply(mv);
        let e1 = self.energy(entropy_temperature);
        (e1 - e0, Undo { mv, sums: before })
    }

    /// Applies `mv` and returns E = U − t·S after it, for callers that carry the current E
    /// (a greedy descent): one evaluation of E per move instead of two.
    /// Call [`MoveState::reject`] with the returned token to undo it exactly.
    #[inline]
    pub fn try_move_from(&mut self, mv: Move, entropy_temperature: f64) -> (f64, Undo) {
        let before = self.sums;
        self.apply(mv);
        (self.energy(entropy_temperature), Undo { mv, sums: before })
    }

    /// E = U − t·S if vacancy `a` were filled by person `p`, without changing the state:
    /// the running sums are updated on a copy by exactly the operations (same order, same
    /// rounding) that `Move::Reassign { a, from: VACANT, to: p }` would perform, so the
    /// value is bit-identical to the energy after that move. For choosing the best filler
    /// among many candidates without applying and undoing each.
    #[inline]
    pub fn energy_if_filled(&self, a: u32, p: u32, entropy_temperature: f64) -> f64 {
        let a = a as usize;
        debug_assert_eq!(self.person[a], VACANT);
        let mut s = self.sums;
        let pu = p as usize;
        let c = self.col[a] as usize;
        // take(a) of a vacancy.
        s.vacancies -= 1;
        // add(a, p).
        if self.work_col[c] {
            let l = i64::from(self.load[pu]);
            s.load_sum += 1;
            s.load_sq += 2 * l + 1;
        }
        let old = self.cell[pu * self.cols + c];
        let new = old + 1;
        s.clnc += self.xlnx[new as usize] - self.xlnx[old as usize];
        if c + 1 < self.cols {
            let n_new = self.col_n[c] + 1;
            let sq_new =
                self.col_sq[c] + u64::from(new) * u64::from(new) - u64::from(old) * u64::from(old);
            let term = sq_new as f64 / f64::from(n_new);
            s.hub_acc += term - self.col_term[c];
            s.rotated += 1;
        }
        s.assigned += 1;
        let slot = self.slot[a];
        if slot != NO_SLOT
            && self.covers[a]
            && self.coverage[slot as usize] < self.slot_min[slot as usize]
        {
            s.shortfall -= 1;
        }
        self.energy_from(&s, entropy_temperature)
    }

    /// Undoes a move applied by [`MoveState::try_move`], restoring the state bit for bit.
    #[inline]
    pub fn reject(&mut self, undo: Undo) {
        self.apply(undo.mv.inverse());
        self.sums = undo.sums;
    }

    /// E = U − t·S for the current state.
    #[inline]
    pub fn energy(&self, entropy_temperature: f64) -> f64 {
        self.energy_from(&self.sums, entropy_temperature)
    }

    #[inline]
    fn energy_from(&self, s: &Sums, t: f64) -> f64 {
        let u = self.internal_from(s);
        if t == 0.0 {
            u
        } else {
            u - t * self.entropy_from(s)
        }
    }

    #[inline]
    fn variance_from(&self, s: &Sums) -> f64 {
        let k = self.active_count;
        if k == 0 {
            return 0.0;
        }
        let num = k as f64 * s.load_sq as f64 - (s.load_sum as f64) * (s.load_sum as f64);
        (num / (k as f64 * k as f64)).max(0.0)
    }

    #[inline]
    fn hub_from(s: &Sums) -> f64 {
        if s.rotated == 0 {
            0.0
        } else {
            s.hub_acc / s.rotated as f64
        }
    }

    #[inline]
    fn entropy_from(&self, s: &Sums) -> f64 {
        if s.assigned <= 1 {
            return 0.0;
        }
        let n = s.assigned as f64;
        // The same ln(n) as computing it here, read from the table.
        let ln_n = self
            .ln_count
            .get(s.assigned as usize)
            .copied()
            .unwrap_or_else(|| n.ln());
        (ln_n - s.clnc / n).max(0.0)
    }

    #[inline]
    fn internal_from(&self, s: &Sums) -> f64 {
        let m = &self.model;
        m.imbalance_weight * self.variance_from(s)
            + m.preference_weight * self.preference_deficit
            + m.violation_weight * self.violations as f64
            + m.coverage_weight * s.shortfall as f64
            + m.vacancy_weight * s.vacancies as f64
            + m.hub_weight * Self::hub_from(s)
    }

    /// Internal energy U.
    pub fn internal_energy(&self) -> f64 {
        self.internal_from(&self.sums)
    }

    /// Configuration entropy S (nats).
    pub fn configuration_entropy(&self) -> f64 {
        self.entropy_from(&self.sums)
    }

    /// The raw terms of U.
    pub fn terms(&self) -> EnergyTerms {
        EnergyTerms {
            load_variance: self.variance_from(&self.sums),
            preference_deficit: self.preference_deficit,
            violations: self.violations,
            coverage_shortfall: self.sums.shortfall.max(0) as u64,
            vacancies: self.sums.vacancies.max(0) as u64,
            hub_concentration: Self::hub_from(&self.sums),
        }
    }

    /// The full free-energy record at temperature T.
    pub fn free_energy(&self, temperature: f64) -> FreeEnergy {
        let terms = self.terms();
        let components = EnergyComponents::of(&terms, &self.model);
        let u = self.internal_energy();
        let s = self.configuration_entropy();
        FreeEnergy {
            free_energy: u - temperature * s,
            internal_energy: u,
            entropy_term: temperature * s,
            temperature,
            configuration_entropy: s,
            constraint_violations: self.violations,
            components,
            terms,
            assignments_counted: self.len(),
        }
    }

    /// Number of assignments in the state (entries that left with a removed person excluded).
    pub fn len(&self) -> usize {
        self.person.len() - self.departed
    }

    /// Whether the state holds no assignment.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of movable assignments.
    pub fn movable_count(&self) -> usize {
        self.movable
    }

    /// Person of each state assignment ([`VACANT`] for a vacancy).
    pub fn persons(&self) -> &[u32] {
        &self.person
    }

    /// Rotation column of each state assignment (the rotation count means "no rotation").
    pub fn columns(&self) -> &[u32] {
        &self.col
    }

    /// Block (state-local index) of each state assignment.
    pub fn blocks(&self) -> &[u32] {
        &self.block
    }

    /// Schedule assignment index of each state assignment.
    pub fn origins(&self) -> &[u32] {
        &self.origin
    }

    /// Current coverage shortfall (person-sessions).
    pub fn coverage_shortfall(&self) -> u64 {
        self.sums.shortfall.max(0) as u64
    }

    /// Current number of vacancies.
    pub fn vacancies(&self) -> u64 {
        self.sums.vacancies.max(0) as u64
    }

    /// Indices of the vacant assignments (always movable: only work becomes a vacancy).
    pub fn vacant_assignments(&self) -> Vec<u32> {
        (0..self.movable as u32)
            .filter(|&a| self.person[a as usize] == VACANT)
            .collect()
    }

    /// Takes the persons in `removed` out of the roster in place, as
    /// [`StateTemplate::state`] would have built the state without them: their work
    /// assignments become vacancies, their other assignments leave the state (they stay in
    /// the arrays, after the movable ones, as [`VACANT`] entries that count for nothing and
    /// are never proposed), and they leave every eligibility list and the roster of the
    /// workload variance. Persons already off the roster are ignored.
    ///
    /// Cost: one pass over the state's person array plus O(1) per assignment removed,
    /// instead of a rebuild. Every integer of the state (loads, counts, coverage, terms)
    /// and the movable assignments' order equal those of the rebuilt state, so a seeded
    /// repair draws the same proposals; the floating-point sums (Σ c ln c, the hub terms,
    /// the preference deficit) are updated rather than re-accumulated, so they can differ
    /// from a rebuild in the last bits.
    ///
    /// [`MoveState::reset_to`] with the state before the removal puts the persons back.
    pub fn remove_persons(&mut self, removed: &[PersonIdx]) -> Result<(), StatmechError> {
        for r in removed {
            if r.index() >= self.people {
                return Err(StatmechError::UnknownPerson(format!("#{}", r.0)));
            }
        }
        let mut any = false;
        for r in removed {
            let p = r.0;
            if !self.active[r.index()] {
                continue;
            }
            any = true;
            self.active[r.index()] = false;
            self.active_count -= 1;
            self.mark_off_roster(r.index());
            for list in &mut self.col_people {
                if let Ok(i) = list.binary_search(&p) {
                    list.remove(i);
                }
            }
        }
        if !any {
            return Ok(());
        }
        for a in 0..self.person.len() {
            let p = self.person[a];
            if p == VACANT || self.active[p as usize] {
                continue;
            }
            self.take(a);
            if a < self.movable {
                self.add(a, VACANT);
            } else {
                self.departed += 1;
                if let Some(s) = self.score[a] {
                    self.preference_deficit -= 1.0 - s;
                }
                if self.violation[a] {
                    self.violations -= 1;
                }
            }
        }
        Ok(())
    }

    /// Makes this state bit-identical to `origin` by copying into its own buffers every
    /// field that moves and roster changes ([`MoveState::remove_persons`]) alter. For a state
    /// that started as a copy of `origin` and has since moved: one pass of copies instead of
    /// undoing each move. A state of another shape (built for another roster or scope) is
    /// replaced by a clone of `origin`.
    pub fn reset_to(&mut self, origin: &MoveState) {
        let same_shape = self.origin == origin.origin
            && self.model == origin.model
            && self.movable == origin.movable
            && self.cell.len() == origin.cell.len()
            && self.busy.len() == origin.busy.len()
            && self.coverage.len() == origin.coverage.len()
            && self.col_people.len() == origin.col_people.len();
        if !same_shape {
            *self = origin.clone();
            return;
        }
        self.active.copy_from_slice(&origin.active);
        self.active_count = origin.active_count;
        for (mine, theirs) in self.col_people.iter_mut().zip(&origin.col_people) {
            mine.clone_from(theirs);
        }
        self.preference_deficit = origin.preference_deficit;
        self.violations = origin.violations;
        self.departed = origin.departed;
        self.person.copy_from_slice(&origin.person);
        self.col.copy_from_slice(&origin.col);
        self.slot.copy_from_slice(&origin.slot);
        self.busy.copy_from_slice(&origin.busy);
        self.coverage.copy_from_slice(&origin.coverage);
        self.slot_size.copy_from_slice(&origin.slot_size);
        self.load.copy_from_slice(&origin.load);
        self.cell.copy_from_slice(&origin.cell);
        self.col_n.copy_from_slice(&origin.col_n);
        self.col_sq.copy_from_slice(&origin.col_sq);
        self.col_term.copy_from_slice(&origin.col_term);
        self.sums = origin.sums;
        debug_assert!(self == origin);
    }

    /// Counts person `p`, now off the roster, busy in every block.
    fn mark_off_roster(&mut self, p: usize) {
        for count in self.busy.iter_mut().skip(p).step_by(self.people) {
            *count += 1;
        }
    }

    /// Whether person `p` may take assignment `a` (skill, presence, free in the block, active).
    #[inline(always)]
    pub fn eligible(&self, p: u32, a: u32, col: u32) -> bool {
        let pu = p as usize;
        let at = self.block[a as usize] as usize * self.people + pu;
        self.skill_ok[pu * self.cols + col as usize] && self.busy[at] == 0
    }

    /// Persons who could take a vacant or reassigned assignment `a` in its rotation.
    pub fn candidates(&self, a: u32) -> impl Iterator<Item = u32> + '_ {
        let c = self.col[a as usize];
        self.col_people[c as usize]
            .iter()
            .copied()
            .filter(move |&p| p != self.person[a as usize] && self.eligible(p, a, c))
    }

    /// Draws one move from the proposal distribution: swap persons (probability 0.5),
    /// reassign (0.25) or change rotation (0.25), each over uniformly chosen movable
    /// assignments and uniformly chosen targets from static lists, so the proposal is
    /// symmetric. `None` is an infeasible draw (it counts as a rejected step). With
    /// `fill_vacancies` a reassign may fill a vacancy (a one-way repair move); otherwise
    /// vacancies never move and the chain is reversible.
    ///
    /// Each proposal takes one 64-bit word from `rng`: its top 2 bits choose the kind, and
    /// two disjoint 31-bit fields choose the assignment and the target
    /// ([`uniform_below`], exactly uniform). Most proposals are infeasible and rejected at
    /// once, so drawing one word instead of one per choice halves the cost of a chain.
    #[inline]
    pub fn propose<R: Rng>(&self, rng: &mut R, fill_vacancies: bool) -> Option<Move> {
        let m = self.movable as u32;
        if m == 0 {
            return None;
        }
        let word = rng.next_u64();
        let kind = (word >> 62) as u32;
        let a = uniform_below((word >> INDEX_BITS) & INDEX_MASK, m as usize, rng) as u32;
        let target = word & INDEX_MASK;
        let pa = self.person[a as usize];
        match kind {
            0 | 1 => {
                let b = uniform_below(target, m as usize, rng) as u32;
                let pb = self.person[b as usize];
                if pa == VACANT || pb == VACANT || pa == pb {
                    return None;
                }
                let (ba, bb) = (self.block[a as usize], self.block[b as usize]);
                if ba == bb {
                    return None;
                }
                let (ca, cb) = (self.col[a as usize], self.col[b as usize]);
                if self.eligible(pa, b, cb) && self.eligible(pb, a, ca) {
                    Some(Move::SwapPersons { a, b })
                } else {
                    None
                }
            }
            2 => {
                if pa == VACANT && !fill_vacancies {
                    return None;
                }
                let c = self.col[a as usize];
                let list = &self.col_people[c as usize];
                if list.is_empty() {
                    return None;
                }
                let p = list[uniform_below(target, list.len(), rng)];
                if p == pa || !self.eligible(p, a, c) {
                    return None;
                }
                Some(Move::Reassign { a, from: pa, to: p })
            }
            _ => {
                let c = self.col[a as usize];
                if pa == VACANT || c as usize + 1 == self.cols {
                    return None;
                }
                let own = self.slot[a as usize];
                if own != NO_SLOT && self.slot_size[own as usize] <= 1 {
                    return None;
                }
                let b = self.block[a as usize] as usize;
                let lo = self.block_slot_start[b] as usize;
                let hi = self.block_slot_start[b + 1] as usize;
                if hi == lo {
                    return None;
                }
                let (to, _) = self.block_slots[lo + uniform_below(target, hi - lo, rng)];
                if to == c || !self.skill_ok[pa as usize * self.cols + to as usize] {
                    return None;
                }
                Some(Move::ChangeRotation { a, from: c, to })
            }
        }
    }

    /// Writes the state back into a copy of `schedule`: state assignments take their
    /// person and rotation; vacancies and every assignment of a removed person are dropped.
    pub fn to_schedule(&self, schedule: &Schedule) -> Schedule {
        self.write_back(schedule, &self.person, &self.col)
    }

    /// Like [`MoveState::to_schedule`] for a recorded configuration (`persons`, `columns`
    /// as returned by [`MoveState::persons`] and [`MoveState::columns`]).
    pub fn write_back(&self, schedule: &Schedule, persons: &[u32], columns: &[u32]) -> Schedule {
        let mut out = schedule.clone();
        let none_col = (self.cols - 1) as u32;
        let mut keep = vec![true; out.assignments.len()];
        for (k, &i) in self.origin.iter().enumerate() {
            let a = &mut out.assignments[i as usize];
            if persons[k] == VACANT {
                keep[i as usize] = false;
            } else {
                a.person = PersonIdx(persons[k]);
                a.rotation =
                    (columns[k] != none_col).then_some(crate::model::RotationIdx(columns[k]));
            }
        }
        for (i, a) in out.assignments.iter().enumerate() {
            if !self.active[a.person.index()] {
                keep[i] = false;
            }
        }
        let mut idx = 0;
        out.assignments.retain(|_| {
            let k = keep[idx];
            idx += 1;
            k
        });
        out
    }

    /// Recomputes U from scratch (for tests of the incremental sums).
    pub fn internal_energy_from_scratch(&self) -> f64 {
        let mut fresh = self.clone();
        let persons = fresh.person.clone();
        for a in 0..fresh.person.len() {
            fresh.take(a);
        }
        fresh.sums.clnc = 0.0;
        fresh.sums.hub_acc = 0.0;
        fresh.col_term.fill(0.0);
        for (a, p) in persons.into_iter().enumerate() {
            fresh.add(a, p);
        }
        fresh.internal_energy()
    }

    /// Energy weights in use.
    pub fn model(&self) -> &EnergyModel {
        &self.model
    }
}

/// What [`MoveState::reject`] needs to undo a tentative move.
#[derive(Debug, Clone, Copy)]
pub struct Undo {
    mv: Move,
    sums: Sums,
}

impl Undo {
    /// The move that was applied.
    pub fn applied(&self) -> Move {
        self.mv
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use statrs::distribution::{ChiSquared, ContinuousCDF};

    #[test]
    fn uniform_below_covers_the_edges_of_the_field() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Every choice from 1 to the full field, and the bits at both ends of the field.
        for n in [1usize, 2, 3, 7, 1000, 1 << 30, (1 << 31) - 1, 1 << 31] {
            for bits in [0, 1, 2, INDEX_MASK / 2, INDEX_MASK - 1, INDEX_MASK] {
                let k = uniform_below(bits, n, &mut rng);
                assert!(k < n, "n {n} bits {bits}: {k}");
            }
        }
        // Wider than the field: drawn from the generator directly, still in range.
        let wide = (1usize << 33) + 5;
        assert!(uniform_below(INDEX_MASK, wide, &mut rng) < wide);
        // An accepted draw is Lemire's multiply-shift of the bits.
        assert_eq!(uniform_below(INDEX_MASK, 10, &mut rng), 9);
        assert_eq!(uniform_below((1 << 30) + 1, 10, &mut rng), 5);
        // 2³⁰ · 10 leaves a low part of 0, below 2³¹ mod 10 = 8: rejected, so the result
        // comes from fresh bits of the generator (the same ones a second call would take).
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = a.clone();
        let fresh = b.next_u64() >> (64 - INDEX_BITS);
        let expected = ((fresh * 10) >> INDEX_BITS) as usize;
        assert!(
            (fresh * 10) & INDEX_MASK >= 8,
            "the fresh bits are accepted"
        );
        assert_eq!(uniform_below(1 << 30, 10, &mut a), expected);
    }

    #[test]
    fn uniform_below_is_uniform() {
        // χ² goodness of fit of 200 000 draws per range, at α = 0.001.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [3usize, 7, 10, 97] {
            let draws = 200_000;
            let mut counts = vec![0u64; n];
            for _ in 0..draws {
                let bits = rng.next_u64() >> (64 - INDEX_BITS);
                counts[uniform_below(bits, n, &mut rng)] += 1;
            }
            let expected = draws as f64 / n as f64;
            let chi2: f64 = counts
                .iter()
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum();
            let critical = ChiSquared::new((n - 1) as f64).unwrap().inverse_cdf(0.999);
            assert!(chi2 < critical, "n {n}: χ² {chi2} ≥ {critical}");
        }
    }
}
