//! Kendall's τ-b rank correlation in O(n log n) (Knight 1966).
//!
//! τ-b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)) with n₀ = n(n−1)/2, n₁ and n₂ the pairs tied
//! in x and in y. The arithmetic follows `scipy.stats.kendalltau` step by step (dense ranks,
//! discordant pairs by merge-sort inversion count, joint ties), so results agree with scipy
//! and pandas' `corr(method="kendall")` to the last bits.

/// Kendall τ-b of (x, y), dimensionless in [−1, 1]. `None` for mismatched lengths, fewer
/// than 2 pairs, or when x or y is constant (τ undefined).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n != y.len() || n < 2 {
        return None;
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
    // Order by (x, y) and dense-rank x; strictly increasing x (a time axis) is already ordered.
    let (xs, mut ys): (Vec<u64>, Vec<u64>) = if x.windows(2).all(|w| w[0] < w[1]) {
        ((1..=n as u64).collect(), y_rank)
    } else {
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
        (xs, ys)
    };

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
    let dis = count_inversions(&mut ys);
    let ytie = tied_pairs(&ys);
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

/// Number of pairs i < j with v[i] > v[j] (strict), by bottom-up merge sort. Sorts `v`.
fn count_inversions(v: &mut [u64]) -> u64 {
    let n = v.len();
    let mut buf = vec![0u64; n];
    let mut inversions = 0u64;
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if v[i] <= v[j] {
                    buf[k] = v[i];
                    i += 1;
                } else {
                    buf[k] = v[j];
                    inversions += (mid - i) as u64;
                    j += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
            k += mid - i;
            buf[k..k + (end - j)].copy_from_slice(&v[j..end]);
            start = end;
        }
        v.copy_from_slice(&buf);
        width *= 2;
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

    proptest! {
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
