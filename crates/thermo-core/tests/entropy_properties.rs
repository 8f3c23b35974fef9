//! Invariants of the entropy layer.

use proptest::prelude::*;
use thermo_core::entropy::{
    EntropyCounter, NO_ROTATION, conditional_entropy, mutual_information, shannon,
};

const EPS: f64 = 1e-9;

fn rows() -> impl Strategy<Value = Vec<(u32, u32, u32)>> {
    prop::collection::vec(
        (0u32..12, prop_oneof![Just(NO_ROTATION), 0u32..6], 0u32..20),
        0..200,
    )
}

/// Rows whose ids stay below the primes 11, 5 and 19, so that v ↦ (7v + c) mod n relabels bijectively.
fn prime_rows() -> impl Strategy<Value = Vec<(u32, u32, u32)>> {
    prop::collection::vec(
        (0u32..11, prop_oneof![Just(NO_ROTATION), 0u32..5], 0u32..19),
        0..200,
    )
}

fn report(rows: &[(u32, u32, u32)]) -> thermo_core::entropy::EntropyReport {
    let p: Vec<u32> = rows.iter().map(|r| r.0).collect();
    let r: Vec<u32> = rows.iter().map(|r| r.1).collect();
    let b: Vec<u32> = rows.iter().map(|r| r.2).collect();
    let mut c = EntropyCounter::new(12, 6, 20);
    c.count(&p, &r, &b);
    c.finish(12)
}

proptest! {
    #[test]
    fn shannon_is_between_zero_and_log2_k(values in prop::collection::vec(0u8..16, 0..300)) {
        let k = values.iter().collect::<std::collections::HashSet<_>>().len();
        let h = shannon(&values);
        prop_assert!(h >= 0.0);
        prop_assert!(h <= (k.max(1) as f64).log2() + EPS);
    }

    #[test]
    fn mutual_information_is_bounded_and_symmetric(pairs in prop::collection::vec((0u8..8, 0u8..5), 0..300)) {
        let (x, y): (Vec<u8>, Vec<u8>) = pairs.into_iter().unzip();
        let mi = mutual_information(&x, &y).unwrap();
        prop_assert!(mi >= 0.0);
        prop_assert!(mi <= shannon(&x).min(shannon(&y)) + EPS);
        prop_assert!((mi - mutual_information(&y, &x).unwrap()).abs() < EPS);
        // Chain rule: H(X|Y) = H(X) − I(X;Y).
        prop_assert!((conditional_entropy(&x, &y).unwrap() - (shannon(&x) - mi)).abs() < 1e-9);
    }

    #[test]
    fn schedule_entropy_bounds(rows in rows()) {
        let r = report(&rows);
        prop_assert!(r.person_entropy >= 0.0 && r.person_entropy <= 12f64.log2() + EPS);
        prop_assert!(r.rotation_entropy <= 6f64.log2() + EPS);
        prop_assert!(r.time_entropy <= 20f64.log2() + EPS);
        prop_assert!(r.mutual_information >= 0.0);
        prop_assert!(r.mutual_information <= r.rotation_entropy + EPS);
        prop_assert!(r.joint_entropy + EPS >= r.rotation_entropy);
        prop_assert!((0.0..=1.0).contains(&r.normalized_entropy));
        prop_assert!(r.person_given_rotation >= 0.0 && r.rotation_given_person >= 0.0);
        prop_assert_eq!(r.assignments_counted, rows.len() as u64);
    }

    #[test]
    fn invariant_under_reordering_and_relabelling(rows in prime_rows(), seed in any::<u64>()) {
        let base = report(&rows);
        // Reorder rows by a seeded key, and relabel every id space by a permutation.
        let mut shuffled = rows.clone();
        shuffled.sort_by_key(|r| (r.0 as u64 * 31 + r.2 as u64).wrapping_mul(seed | 1));
        let relabel = |v: u32, n: u32| if v == NO_ROTATION { v } else { (v * 7 + (seed % n as u64) as u32) % n };
        let relabelled: Vec<_> = shuffled.iter().map(|&(p, r, b)| (relabel(p, 11), relabel(r, 5), relabel(b, 19))).collect();
        {
            let other = report(&relabelled);
            for (a, b) in [
                (base.person_entropy, other.person_entropy),
                (base.rotation_entropy, other.rotation_entropy),
                (base.time_entropy, other.time_entropy),
                (base.joint_entropy, other.joint_entropy),
                (base.mutual_information, other.mutual_information),
                (base.person_given_rotation, other.person_given_rotation),
            ] {
                prop_assert!((a - b).abs() < 1e-9);
            }
        }
    }
}
