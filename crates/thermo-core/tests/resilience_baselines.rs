//! Baselines: ARL simulation of the Western Electric chart, golden cross-checks and the fixed
//! defects of STA/LTA and the fire index.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::Value;
use thermo_core::baselines::fire_index::{
    DangerClass, FireIndexConfig, FireIndexInput, fire_danger,
};
use thermo_core::baselines::spc::{Side, WesternElectricChart};
use thermo_core::baselines::sta_lta::{StaLtaConfig, TriggerSeverity, detect};

/// The golden file beside the repository (`../shared`), also from a worktree one level deeper.
fn golden() -> Value {
    let candidates = [
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/golden/framework-golden.json"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../../shared/golden/framework-golden.json"
        ),
    ];
    let text = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .expect("shared/golden/framework-golden.json beside the repository");
    serde_json::from_str(&text).unwrap()
}

/// Mean run length to the first sample where `fires` holds, over `runs` in-control runs.
fn average_run_length(runs: usize, seed: u64, fires: impl Fn(&[Option<Side>; 4]) -> bool) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let mut total = 0usize;
    for _ in 0..runs {
        let mut chart = WesternElectricChart::new(0.0, 1.0).unwrap();
        let mut t = 0usize;
        loop {
            t += 1;
            let p = chart.update(normal.sample(&mut rng)).unwrap();
            if fires(&p.fired) || t > 100_000 {
                break;
            }
        }
        total += t;
    }
    total as f64 / runs as f64
}

#[test]
fn in_control_average_run_lengths() {
    // Published values: 370.4 for rule 1 alone (1/0.0027), 91.75 for rules 1–4
    // (Champ & Woodall 1987). Standard errors with these run counts: ≈ 4.1 and ≈ 1.3.
    let rule1 = average_run_length(8000, 7, |f| f[0].is_some());
    assert!((rule1 - 370.4).abs() < 15.0, "rule 1 ARL {rule1}");
    let all = average_run_length(8000, 11, |f| f.iter().any(Option::is_some));
    assert!((all - 91.75).abs() < 5.0, "rules 1–4 ARL {all}");
}

#[test]
fn first_firings_match_the_original_first_windows() {
    let g = golden();
    // (key, rule, side, index of the last point of the original's first window)
    for (key, rule, side, index) in [
        ("spc_doc", 1, Side::Upper, 6),
        ("spc_doc", 2, Side::Upper, 5),
        ("spc_doc", 3, Side::Upper, 6),
        ("spc_low", 2, Side::Lower, 2),
        ("spc_rule4", 4, Side::Upper, 7),
    ] {
        let data: Vec<f64> = g[key]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mut chart = WesternElectricChart::new(60.0, 5.0).unwrap();
        let pts = chart.run(&data).unwrap();
        let first = pts.iter().position(|p| p.fired[rule - 1].is_some());
        assert_eq!(first, Some(index), "{key} rule {rule}");
        assert_eq!(pts[index].fired[rule - 1], Some(side));
    }
    // Every window fires: rule 1 at both 78 and 80 of spc_doc, rule 4 not at all in spc_low.
    let mut chart = WesternElectricChart::new(60.0, 5.0).unwrap();
    let pts = chart
        .run(&[58.0, 62.0, 59.0, 67.0, 71.0, 75.0, 78.0, 80.0])
        .unwrap();
    let r1: Vec<usize> = (0..8).filter(|&i| pts[i].fired[0].is_some()).collect();
    assert_eq!(r1, vec![6, 7]);
}

#[test]
fn sta_lta_ratio_exceeds_the_original_bound() {
    let config = StaLtaConfig::default();
    // A steady signal never triggers (the original raised "high" at once on a constant 3).
    assert!(detect(&[3.0; 40], &config).unwrap().is_empty());
    // A tenfold burst after a steady baseline reaches "critical", above 31/6.
    let mut series = vec![1.0; 40];
    series.extend([10.0; 5]);
    series.extend([1.0; 20]);
    let triggers = detect(&series, &config).unwrap();
    assert_eq!(triggers.len(), 1);
    let t = triggers[0];
    assert_eq!(t.start, 40);
    assert!(
        t.max_ratio > 10.0,
        "above 31/6 and above the critical band: {t:?}"
    );
    assert_eq!(t.severity, TriggerSeverity::Critical);
    assert!(t.end > 44 && t.end < series.len() - 1);
    // No trigger can open during priming, whatever the data.
    let mut early = vec![0.0; 10];
    early.extend([5.0; 20]);
    assert!(detect(&early, &config).unwrap().is_empty());
}

#[test]
fn fire_index_matches_the_original_where_no_defect_applies() {
    let g = golden();
    let orig_targets = FireIndexConfig {
        two_week_target_hours: 60.0,
        monthly_target_hours: 240.0,
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-4 * b.abs().max(1.0);
    for case in g["fire"].as_array().unwrap() {
        let inp: Vec<f64> = case["in"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let d = fire_danger(
            &FireIndexInput {
                recent_two_week_hours: inp[0],
                monthly_average_hours: inp[1],
                yearly_satisfaction: inp[2],
                workload_velocity: inp[3],
            },
            &orig_targets,
        )
        .unwrap();
        for (name, ours) in [
            ("ffmc", d.ffmc),
            ("dmc", d.dmc),
            ("dc", d.dc),
            ("isi", d.isi),
            ("bui", d.bui),
        ] {
            assert!(close(ours, case[name].as_f64().unwrap()), "{name} {case}");
        }
        let orig_fwi = case["fwi"].as_f64().unwrap();
        if d.bui > 0.0 && 0.12 * (0.626 * d.bui.powf(0.809) + 2.0) >= 1.0 {
            assert!(close(d.fwi, orig_fwi), "fwi {case}");
        } else {
            // The acute floor: never below the original, never below ISI.
            assert!(d.fwi >= orig_fwi && close(d.fwi, d.isi), "floor {case}");
        }
    }
}

#[test]
fn a_zero_build_up_no_longer_masks_acute_overwork() {
    let config = FireIndexConfig::default();
    // 180 h in two weeks, rising 10 h/week per week, but content and average monthly hours.
    let d = fire_danger(
        &FireIndexInput {
            recent_two_week_hours: 180.0,
            monthly_average_hours: 230.0,
            yearly_satisfaction: 1.0,
            workload_velocity: 10.0,
        },
        &config,
    )
    .unwrap();
    assert_eq!((d.dmc, d.dc, d.bui), (0.0, 0.0, 0.0));
    // FFMC = 100·(1 − e^(−1.75)) = 82.6, ISI = 57.8: the original formula gives
    // 0.24·ISI = 13.9 (LOW); the fixed index is ISI (HIGH).
    assert!((d.fwi - d.isi).abs() < 1e-12 && d.fwi > 40.0, "{d:?}");
    assert_eq!(d.class, DangerClass::High);
    assert!(d.class.alerts());
    let bad = FireIndexInput {
        yearly_satisfaction: 1.5,
        ..FireIndexInput {
            recent_two_week_hours: 1.0,
            monthly_average_hours: 1.0,
            yearly_satisfaction: 0.0,
            workload_velocity: 0.0,
        }
    };
    assert!(fire_danger(&bad, &config).is_err());
}
