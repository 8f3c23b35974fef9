//! Kendall's τ-b rank correlation in O(n log n) (Knight 1966).
//!
//! τ-b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)) with n₀ = n(n−1)/2, n₁ and n₂ the pairs tied
//! in x and in y. The arithmetic follows `scipy.stats.kendalltau` step by step (dense ranks,
//! discordant pairs by merge-sort inversion count, joint ties), so results agree with scipy
//! and pandas' `corr(method="kendall")` to the last bits.

use std::hint::select_unpredictable;

/// Kendall τ-b of (x, y), dimensionless in [−1, 1]. `None` for mismatched lengths, fewer
/// than 2 pairs, or when x or y is constant (τ undefined).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n != y.len() || n < 2 {
        return None;
    }
    // A strictly increasing x (a time axis) has no ties and is already in order: τ-b only
    // needs the inversions and ties of y, counted on order-preserving integer keys.
    if x.windows(2).all(|w| w[0] < w[1]) && !y.iter().any(|v| v.is_nan()) {
        return TrendTau::default().tau(y);
    }
    // Dense rank of y (one sort of (value, position) pairs).
    let mut order: Vec<(f64, u32)> = y.iter().copied().zip(0u32..).collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut y_rank = vec![0u64; n];
    let mut rank = 0u64;
    for (i, &(v, p)) in order.iter().enumerate() {
        if i == 0 || v != order[i - 1].0 {
            rank += 1;
        }
        y_rank[p as usize] = rank;
    }
    // Order by (x, y) and dense-rank x.
    let mut perm: Vec<usize> = (0..n).collect();
    perm.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(y_rank[a].cmp(&y_rank[b])));
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    let mut rank = 0u64;
    for (i, &p) in perm.iter().enumerate() {
        if i == 0 || x[p] != x[perm[i - 1]] {
            rank += 1;
        }
        xs.push(rank);
        ys.push(y_rank[p]);
    }

    // Joint ties: runs equal in both ranks.
    let mut ntie = 0u64;
    let mut run = 1u64;
    for i in 1..=n {
        if i < n && xs[i] == xs[i - 1] && ys[i] == ys[i - 1] {
            run += 1;
        } else {
            ntie += run * (run - 1) / 2;
            run = 1;
        }
    }
    let xtie = tied_pairs(&xs);
    // The inversion count sorts the y ranks, so their ties become runs too.
    let mut scratch = vec![0u64; n];
    let (dis, in_scratch) = sort_count_inversions(&mut ys, &mut scratch);
    let ytie = tied_pairs(if in_scratch { &scratch } else { &ys });
    let tot = (n as u64) * (n as u64 - 1) / 2;
    if xtie == tot || ytie == tot {
        return None;
    }
    let con_minus_dis = tot as i64 - xtie as i64 - ytie as i64 + ntie as i64 - 2 * dis as i64;
    let tau = con_minus_dis as f64 / ((tot - xtie) as f64).sqrt() / ((tot - ytie) as f64).sqrt();
    Some(tau.clamp(-1.0, 1.0))
}

/// Kendall τ-b of the last `capacity` values of a stream against their time order, updated
/// in O(capacity) per value with no allocation (the batch [`kendall_tau_b`] is
/// O(n log n) per call and allocates).
///
/// Time is strictly increasing, so it has no ties and τ-b = S / √(n₀·(n₀ − n₂)), with
/// S = Σ_{i<j} sign(y_j − y_i), n₀ = n(n−1)/2 and n₂ the pairs tied in y. Adding a value
/// adds its signs against the window; dropping the oldest removes its signs. The result
/// equals `kendall_tau_b(0..n, window)` exactly (pinned by a property test).
#[derive(Debug, Clone)]
pub struct RollingKendall {
    capacity: usize,
    window: std::collections::VecDeque<f64>,
    s: i64,
    ties: u64,
}

impl RollingKendall {
    /// A window of `capacity` (≥ 2) values.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Self {
            capacity,
            window: std::collections::VecDeque::with_capacity(capacity),
            s: 0,
            ties: 0,
        }
    }

    /// Adds a value (finite; a non-finite value clears the window, since no rank exists).
    pub fn push(&mut self, y: f64) {
        if !y.is_finite() {
            self.clear();
            return;
        }
        if self.window.len() == self.capacity
            && let Some(old) = self.window.pop_front()
        {
            for &v in &self.window {
                if v > old {
                    self.s -= 1;
                } else if v < old {
                    self.s += 1;
                } else {
                    self.ties -= 1;
                }
            }
        }
        for &v in &self.window {
            if y > v {
                self.s += 1;
            } else if y < v {
                self.s -= 1;
            } else {
                self.ties += 1;
            }
        }
        self.window.push_back(y);
    }

    /// Empties the window.
    pub fn clear(&mut self) {
        self.window.clear();
        self.s = 0;
        self.ties = 0;
    }

    /// Values in the window.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// Whether the window holds `capacity` values.
    pub fn is_full(&self) -> bool {
        self.window.len() == self.capacity
    }

    /// τ-b of the window against time; `None` with fewer than 2 values or a constant window.
    pub fn tau(&self) -> Option<f64> {
        let n = self.window.len() as u64;
        if n < 2 {
            return None;
        }
        let tot = n * (n - 1) / 2;
        if self.ties == tot {
            return None;
        }
        let tau = self.s as f64 / (tot as f64).sqrt() / ((tot - self.ties) as f64).sqrt();
        Some(tau.clamp(-1.0, 1.0))
    }
}

/// The integer counts behind τ-b of a series against a strictly increasing axis (no ties in
/// the axis): τ-b = (n_c − n_d) / (√n₀ · √(n₀ − n_y)), n₀ = n(n−1)/2 pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TauCounts {
    /// Number of pairs n₀ = n(n−1)/2.
    pub pairs: u64,
    /// Concordant minus discordant pairs n_c − n_d.
    pub concordant_minus_discordant: i64,
    /// Pairs tied in the series, n_y.
    pub y_ties: u64,
}

impl TauCounts {
    /// τ-b, `None` when the series is constant (or has fewer than 2 points). The arithmetic
    /// is the same as [`kendall_tau_b`]'s, so both give the same bits.
    pub fn tau(&self) -> Option<f64> {
        if self.pairs == 0 || self.y_ties == self.pairs {
            return None;
        }
        let tau = self.concordant_minus_discordant as f64
            / (self.pairs as f64).sqrt()
            / ((self.pairs - self.y_ties) as f64).sqrt();
        Some(tau.clamp(-1.0, 1.0))
    }

    /// The counts of a strictly decreasing transform of the series: every concordant pair
    /// becomes discordant and vice versa, ties stay.
    pub fn reversed(self) -> Self {
        Self {
            concordant_minus_discordant: -self.concordant_minus_discordant,
            ..self
        }
    }
}

/// Kendall τ-b of series against a strictly increasing axis, with buffers reused across
/// calls (the surrogate loops compute thousands of τ).
///
/// Values are mapped to order-preserving `u64` keys (−0 and +0 are equal, as in `==`), so
/// the O(n log n) merge-sort inversion count compares integers and needs no rank sort.
#[derive(Debug, Clone, Default)]
pub struct TrendTau {
    keys: Vec<u64>,
    scratch: Vec<u64>,
    sorted_in_scratch: bool,
    keys_unsorted: bool,
}

/// Series up to this length are counted pair by pair (O(n²) without branches or memory
/// traffic), longer ones by merge sort.
const SMALL_N: usize = 96;

/// Order-preserving key of a non-NaN `f64`: `a < b` ⇔ `key(a) < key(b)`, and
/// `a == b` ⇔ `key(a) == key(b)` (the two zeros share one key).
#[inline]
fn order_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Inverse of [`order_key`].
#[inline]
fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

impl TrendTau {
    /// Empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// τ-b of `y` against its positions 0, 1, 2, … (any strictly increasing axis); `None`
    /// for fewer than 2 values, a constant series or a NaN.
    pub fn tau(&mut self, y: &[f64]) -> Option<f64> {
        self.counts(y)?.tau()
    }

    /// The counts behind τ-b of `y` against a strictly increasing axis; `None` for fewer
    /// than 2 values or a NaN. O(n log n), no allocation once the buffers have grown.
    pub fn counts(&mut self, y: &[f64]) -> Option<TauCounts> {
        let n = y.len();
        if n < 2 || y.iter().any(|v| v.is_nan()) {
            return None;
        }
        let pairs = (n as u64) * (n as u64 - 1) / 2;
        if n <= SMALL_N {
            // Short series (surrogate windows): counting every pair beats sorting.
            let (mut dis, mut ties) = (0u64, 0u64);
            for (i, &a) in y.iter().enumerate() {
                for &b in &y[i + 1..] {
                    dis += u64::from(b < a);
                    ties += u64::from(b == a);
                }
            }
            // Sorted only if `keeps_ties_under` asks.
            self.keys.clear();
            self.keys.extend(y.iter().map(|&v| order_key(v)));
            self.keys_unsorted = true;
            self.sorted_in_scratch = false;
            return Some(TauCounts {
                pairs,
                concordant_minus_discordant: pairs as i64 - ties as i64 - 2 * dis as i64,
                y_ties: ties,
            });
        }
        self.keys.clear();
        self.keys.extend(y.iter().map(|&v| order_key(v)));
        self.scratch.resize(n, 0);
        let (dis, in_scratch) = sort_count_inversions(&mut self.keys, &mut self.scratch);
        self.sorted_in_scratch = in_scratch;
        self.keys_unsorted = false;
        let ties = tied_pairs(self.sorted_keys());
        Some(TauCounts {
            pairs,
            concordant_minus_discordant: pairs as i64 - ties as i64 - 2 * dis as i64,
            y_ties: ties,
        })
    }

    fn sorted_keys(&self) -> &[u64] {
        if self.sorted_in_scratch {
            &self.scratch
        } else {
            &self.keys
        }
    }

    /// Whether `f` maps the values of the last [`TrendTau::counts`] call without changing
    /// their tie structure: strictly increasing (`increasing`) or strictly decreasing
    /// between every two distinct values, and never NaN. When it holds, the series
    /// `f(y_i)` has the same counts (`increasing`) or [`TauCounts::reversed`] ones. O(n).
    ///
    /// Only adjacent distinct values of the sorted series need checking: a weakly
    /// monotone `f` can only merge or reorder values that are adjacent in sorted order.
    pub fn keeps_ties_under(&mut self, f: impl Fn(f64) -> f64, increasing: bool) -> bool {
        if self.keys_unsorted {
            self.keys.sort_unstable();
            self.keys_unsorted = false;
        }
        let sorted = self.sorted_keys();
        let Some(&first) = sorted.first() else {
            return true;
        };
        let mut prev_key = first;
        let mut prev = f(from_order_key(first));
        if prev.is_nan() {
            return false;
        }
        for &k in &sorted[1..] {
            if k == prev_key {
                continue;
            }
            let v = f(from_order_key(k));
            let ok = if increasing { v > prev } else { v < prev };
            if !ok {
                return false;
            }
            prev_key = k;
            prev = v;
        }
        true
    }
}

/// Σ t(t−1)/2 over runs of equal values of a sorted slice.
fn tied_pairs(sorted: &[u64]) -> u64 {
    let mut total = 0;
    let mut run = 1u64;
    for i in 1..=sorted.len() {
        if i < sorted.len() && sorted[i] == sorted[i - 1] {
            run += 1;
        } else {
            total += run * (run - 1) / 2;
            run = 1;
        }
    }
    total
}

/// Number of pairs i < j with v[i] > v[j] (strict), by bottom-up merge sort alternating
/// between `v` and `scratch` (same length). Returns the count and whether the sorted values
/// ended in `scratch` (else in `v`).
fn sort_count_inversions(v: &mut [u64], scratch: &mut [u64]) -> (u64, bool) {
    let n = v.len();
    debug_assert_eq!(n, scratch.len());
    let mut inversions = 0u64;
    let mut width = 1;
    let mut in_scratch = false;
    while width < n {
        let (src, dst): (&[u64], &mut [u64]) = if in_scratch {
            (&*scratch, &mut *v)
        } else {
            (&*v, &mut *scratch)
        };
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            inversions += merge_count(&src[start..end], mid - start, &mut dst[start..end]);
            start = end;
        }
        in_scratch = !in_scratch;
        width *= 2;
    }
    (inversions, in_scratch)
}

/// Merges the sorted runs `src[..mid]` and `src[mid..]` into `dst`, returning the number
/// of pairs (left, right) with left > right. Branch-free inner loop: an exhausted run reads
/// as `u64::MAX` (never a key: NaN has none), and the comparison's outcome selects the
/// value and the advances.
#[inline]
fn merge_count(src: &[u64], mid: usize, dst: &mut [u64]) -> u64 {
    let (left, right) = src.split_at(mid);
    let (mut i, mut j) = (0usize, 0usize);
    let mut inversions = 0u64;
    for slot in dst.iter_mut() {
        let a = left.get(i).copied().unwrap_or(u64::MAX);
        let b = right.get(j).copied().unwrap_or(u64::MAX);
        // The outcome is a coin flip on unsorted data: keep it out of the branch predictor.
        let take_right = b < a;
        *slot = select_unpredictable(take_right, b, a);
        inversions += select_unpredictable(take_right, (left.len() - i) as u64, 0);
        i += usize::from(!take_right);
        j += usize::from(take_right);
    }
    inversions
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn naive(x: &[f64], y: &[f64]) -> Option<f64> {
        let n = x.len();
        let (mut c, mut d, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                let sx = (x[i] - x[j]).signum() * f64::from(u8::from(x[i] != x[j]));
                let sy = (y[i] - y[j]).signum() * f64::from(u8::from(y[i] != y[j]));
                if sx == 0.0 && sy == 0.0 {
                    continue;
                } else if sx == 0.0 {
                    tx += 1;
                } else if sy == 0.0 {
                    ty += 1;
                } else if sx == sy {
                    c += 1;
                } else {
                    d += 1;
                }
            }
        }
        let den = (((c + d + tx) * (c + d + ty)) as f64).sqrt();
        (den > 0.0).then(|| (c - d) as f64 / den)
    }

    #[test]
    fn matches_scipy_with_ties() {
        // scipy.stats.kendalltau([1,2,2,3,4,5], [2,1,3,3,5,4]).statistic
        let x = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 1.0, 3.0, 3.0, 5.0, 4.0];
        assert_relative_eq!(
            kendall_tau_b(&x, &y).unwrap(),
            0.6428571428571429,
            max_relative = 1e-12
        );
        assert_eq!(kendall_tau_b(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(
            kendall_tau_b(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]),
            Some(-1.0)
        );
    }

    #[test]
    fn trend_tau_reuses_buffers_and_detects_monotone_images() {
        let y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, -0.0, 0.0];
        let t: Vec<f64> = (0..y.len()).map(|i| i as f64).collect();
        let mut tt = TrendTau::new();
        let counts = tt.counts(&y).unwrap();
        assert_relative_eq!(
            counts.tau().unwrap(),
            naive(&t, &y).unwrap(),
            max_relative = 1e-12
        );
        // −0 and +0 tie, as with `==`.
        assert_eq!(counts.y_ties, 2);
        assert!(tt.keeps_ties_under(|v| v * 2.0, true));
        assert!(tt.keeps_ties_under(|v| 1.0 - v, false));
        assert!(!tt.keeps_ties_under(|v| (v - 3.0) * (v - 3.0), true));
        assert!(!tt.keeps_ties_under(|v| (v / 4.0).floor(), true));
        let neg: Vec<f64> = y.iter().map(|v| 1.0 - v).collect();
        assert_relative_eq!(
            counts.reversed().tau().unwrap(),
            naive(&t, &neg).unwrap(),
            max_relative = 1e-12
        );
        assert_eq!(tt.tau(&[1.0, f64::NAN]), None);
        assert_eq!(tt.tau(&[2.0, 2.0, 2.0]), None);
        assert_eq!(tt.tau(&[2.0]), None);
    }

    proptest! {
        #[test]
        fn trend_tau_equals_the_quadratic_definition(
            ys in prop::collection::vec(-4i8..4, 2..300)
        ) {
            let y: Vec<f64> = ys.iter().map(|&v| f64::from(v) * 0.5).collect();
            let t: Vec<f64> = (0..y.len()).map(|i| i as f64).collect();
            let fast = TrendTau::new().tau(&y);
            match (fast, naive(&t, &y)) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12),
                (a, b) => prop_assert_eq!(a.is_some(), b.is_some()),
            }
            prop_assert_eq!(kendall_tau_b(&t, &y), fast);
        }

        #[test]
        fn equals_the_quadratic_definition(
            pairs in prop::collection::vec((0u8..6, 0u8..6), 2..60)
        ) {
            let x: Vec<f64> = pairs.iter().map(|p| f64::from(p.0)).collect();
            let y: Vec<f64> = pairs.iter().map(|p| f64::from(p.1)).collect();
            match (kendall_tau_b(&x, &y), naive(&x, &y)) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12),
                (a, b) => prop_assert_eq!(a.is_some(), b.is_some()),
            }
            if let Some(t) = kendall_tau_b(&x, &y) {
                prop_assert!((-1.0..=1.0).contains(&t));
                prop_assert!((kendall_tau_b(&y, &x).unwrap() - t).abs() < 1e-12);
            }
        }
    }

    proptest! {
        #[test]
        fn rolling_kendall_matches_the_batch_form(
            ys in proptest::collection::vec(prop_oneof![(-5i32..5).prop_map(f64::from), -10.0f64..10.0], 1..60),
            cap in 2usize..20,
        ) {
            let mut r = RollingKendall::new(cap);
            for (i, &y) in ys.iter().enumerate() {
                r.push(y);
                let lo = (i + 1).saturating_sub(cap);
                let w = &ys[lo..=i];
                let t: Vec<f64> = (0..w.len()).map(|k| k as f64).collect();
                let batch = kendall_tau_b(&t, w);
                match (r.tau(), batch) {
                    (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12, "{a} vs {b}"),
                    (a, b) => prop_assert_eq!(a, b),
                }
            }
        }
    }
}
