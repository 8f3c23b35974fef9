//! Receiver operating characteristic: the area under the curve and the curve itself.
//!
//! Scores are "higher means more alarming". The AUC is the Mann–Whitney probability that
//! a positive scores above a negative, ties counting one half, which equals the
//! trapezoidal area under the empirical ROC curve (the convention of scikit-learn's
//! `roc_auc_score`, used by Bury et al. 2021).

/// ROC AUC of `positives` against `negatives`, in [0, 1]; 0.5 is chance. `None` when
/// either side is empty or a score is not finite.
pub fn roc_auc(positives: &[f64], negatives: &[f64]) -> Option<f64> {
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    if positives.iter().chain(negatives).any(|v| !v.is_finite()) {
        return None;
    }
    // Rank-sum form in O(n log n): sort all scores, give tied runs their mean rank.
    let mut all: Vec<(f64, bool)> = positives
        .iter()
        .map(|&v| (v, true))
        .chain(negatives.iter().map(|&v| (v, false)))
        .collect();
    all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i + 1;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j share their mean.
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        let positives_in_run = all[i..j].iter().filter(|e| e.1).count();
        rank_sum_pos += mean_rank * positives_in_run as f64;
        i = j;
    }
    let n_pos = positives.len() as f64;
    let n_neg = negatives.len() as f64;
    let u = rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0;
    Some(u / (n_pos * n_neg))
}

/// One point of an ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RocPoint {
    /// Alert when score ≥ threshold.
    pub threshold: f64,
    /// False-positive rate at this threshold, in [0, 1].
    pub false_positive_rate: f64,
    /// True-positive rate at this threshold, in [0, 1].
    pub true_positive_rate: f64,
}

/// The empirical ROC curve: one point per distinct score (descending threshold), starting
/// at (0, 0) with threshold +∞ and ending at (1, 1). Empty when either side is empty or a
/// score is not finite.
pub fn roc_curve(positives: &[f64], negatives: &[f64]) -> Vec<RocPoint> {
    if positives.is_empty()
        || negatives.is_empty()
        || positives.iter().chain(negatives).any(|v| !v.is_finite())
    {
        return Vec::new();
    }
    let mut all: Vec<(f64, bool)> = positives
        .iter()
        .map(|&v| (v, true))
        .chain(negatives.iter().map(|&v| (v, false)))
        .collect();
    // Descending score.
    all.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let n_pos = positives.len() as f64;
    let n_neg = negatives.len() as f64;
    let mut curve = vec![RocPoint {
        threshold: f64::INFINITY,
        false_positive_rate: 0.0,
        true_positive_rate: 0.0,
    }];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < all.len() {
        let threshold = all[i].0;
        while i < all.len() && all[i].0 == threshold {
            if all[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        curve.push(RocPoint {
            threshold,
            false_positive_rate: fp as f64 / n_neg,
            true_positive_rate: tp as f64 / n_pos,
        });
    }
    curve
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trapezoid(curve: &[RocPoint]) -> f64 {
        curve
            .windows(2)
            .map(|w| {
                (w[1].false_positive_rate - w[0].false_positive_rate)
                    * (w[1].true_positive_rate + w[0].true_positive_rate)
                    / 2.0
            })
            .sum()
    }

    #[test]
    fn perfect_separation_is_one_and_reversed_is_zero() {
        assert_eq!(roc_auc(&[3.0, 4.0], &[1.0, 2.0]), Some(1.0));
        assert_eq!(roc_auc(&[1.0, 2.0], &[3.0, 4.0]), Some(0.0));
    }

    #[test]
    fn ties_count_one_half() {
        assert_eq!(roc_auc(&[1.0], &[1.0]), Some(0.5));
        // Pairs: (2>1) 1, (2=2) .5, (3>1) 1, (3>2) 1 → 3.5 / 4.
        assert_eq!(roc_auc(&[2.0, 3.0], &[1.0, 2.0]), Some(0.875));
    }

    #[test]
    fn matches_the_pairwise_definition_and_the_curve_area() {
        let pos = [0.9, 0.4, 0.4, 0.7, 0.1, 0.55];
        let neg = [0.3, 0.4, 0.2, 0.8, 0.05];
        let mut wins = 0.0;
        for p in pos {
            for n in neg {
                wins += if p > n {
                    1.0
                } else if p == n {
                    0.5
                } else {
                    0.0
                };
            }
        }
        let expected = wins / (pos.len() * neg.len()) as f64;
        let auc = roc_auc(&pos, &neg).unwrap();
        assert!((auc - expected).abs() < 1e-12);
        let curve = roc_curve(&pos, &neg);
        assert!((trapezoid(&curve) - expected).abs() < 1e-12);
        let last = curve.last().unwrap();
        assert_eq!(
            (last.false_positive_rate, last.true_positive_rate),
            (1.0, 1.0)
        );
    }

    #[test]
    fn empty_or_non_finite_is_undefined() {
        assert_eq!(roc_auc(&[], &[1.0]), None);
        assert_eq!(roc_auc(&[f64::NAN], &[1.0]), None);
        assert!(roc_curve(&[1.0], &[]).is_empty());
    }
}
