//! Queueing and utilization against the peer tools (anchors §3.1) and the original
//! framework's golden values (framework-golden.json).

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use serde_json::Value;
use thermo_core::model::{AssignmentRole, Person, ScheduleBuilder, Session};
use thermo_core::queueing::utilization::{
    UtilizationConfig, schedule_utilization, utilization_metrics,
};
use thermo_core::queueing::{
    ErlangAQueue, ErlangCQueue, StaffingTarget, erlang_b, erlang_c, safe_utilization,
    wait_time_multiplier,
};

/// The golden file sits in `shared/` beside the repository (`../../../shared` from the crate);
/// from a worktree one level deeper it is `../../../../shared`.
fn golden() -> Value {
    let dir = env!("CARGO_MANIFEST_DIR");
    let path = ["/../../../shared/golden/", "/../../../../shared/golden/"]
        .iter()
        .map(|p| format!("{dir}{p}framework-golden.json"))
        .find(|p| std::path::Path::new(p).exists())
        .expect("framework-golden.json in ../../../shared/golden");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn pyworkforce_required_positions() {
    // 100 transactions per 30 min, AHT 3 min, ASA 20 s, SL 0.8, occupancy 0.85, shrinkage 0.3.
    let q = ErlangCQueue::new(100.0, 30.0, 3.0).unwrap();
    assert!(close(q.offered_load(), 10.0, 1e-12));
    let s = q
        .required_staff(&StaffingTarget {
            service_level: 0.8,
            answer_time: 20.0 / 60.0,
            max_occupancy: 0.85,
            shrinkage: 0.3,
        })
        .unwrap();
    assert_eq!(s.raw_positions, 14);
    assert_eq!(s.positions, 20);
    assert!(close(s.service_level, 0.8883500191794669, 1e-9));
    assert!(close(s.occupancy, 0.7142857142857143, 1e-9));
    assert!(close(s.wait_probability, 0.1741319335950498, 1e-9));
    // ErlangC (R): ASA 7.8359 s at 14 agents.
    assert!(close(s.average_speed_of_answer * 60.0, 7.8359, 5e-5));
}

#[test]
fn call_center_tools_staffing() {
    // 1000 calls/h, AHT 120 s, answer 20 s, SL 80 %, occupancy 85 %, shrinkage 30 %.
    let q = ErlangCQueue::new(1000.0, 3600.0, 120.0).unwrap();
    let s = q
        .required_staff(&StaffingTarget {
            service_level: 0.8,
            answer_time: 20.0,
            max_occupancy: 0.85,
            shrinkage: 0.3,
        })
        .unwrap();
    assert_eq!(s.raw_positions, 40, "the occupancy cap binds: ⌈33.33/0.85⌉");
    assert_eq!(s.positions, 58);
    // Values printed to six significant digits by the peer.
    assert!(close(s.wait_probability, 0.190737, 5e-7));
    assert!(close(s.service_level, 0.937211, 5e-7));
    assert!(close(s.average_speed_of_answer, 3.4333, 5e-5));
    assert!(close(s.occupancy, 0.833333, 5e-7));
}

#[test]
fn wait_multiplier_golden() {
    let g = golden();
    for (rho, want) in g["wait_multiplier"].as_object().unwrap() {
        let rho: f64 = rho.parse().unwrap();
        assert!(close(
            wait_time_multiplier(rho),
            want.as_f64().unwrap(),
            1e-9
        ));
    }
}

#[test]
fn utilization_golden_metrics() {
    let g = golden();
    let c = UtilizationConfig::default();
    for (key, required) in [("util_10f_130req_7d", 130.0), ("util_10f_100req_7d", 100.0)] {
        let want = &g[key];
        let m = utilization_metrics(required, 10.0 * 2.0 * 7.0, &c);
        assert_eq!(m.capacity, want["capacity"].as_f64().unwrap());
        assert!(close(m.utilization, want["u"].as_f64().unwrap(), 1e-9));
        assert!(close(m.buffer, want["buffer"].as_f64().unwrap(), 1e-9));
        assert_eq!(
            m.level.as_str().to_lowercase(),
            want["level"].as_str().unwrap()
        );
    }
    for (u, level) in g["util_level_edges"].as_object().unwrap() {
        let u: f64 = u.parse().unwrap();
        assert_eq!(
            c.level(u).as_str().to_lowercase(),
            level.as_str().unwrap(),
            "{u}"
        );
    }
}

/// The original's M1/M2 table (n faculty, 62 required sessions, 31 days), measured from a
/// schedule instead of head count.
#[test]
fn utilization_from_schedule_matches_the_faculty_table() {
    let g = golden();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for row in g["check_health_util_defense_by_faculty_count"]
        .as_array()
        .unwrap()
    {
        let n = row["faculty"].as_u64().unwrap() as usize;
        let required = row["required"].as_u64().unwrap() as usize;
        let mut b = ScheduleBuilder::new();
        for i in 0..n {
            b.add_person(Person::new(format!("f{i}"))).unwrap();
        }
        for k in 0..required {
            let session = if k % 2 == 0 { Session::Am } else { Session::Pm };
            let date = start + Duration::days((k / 2 % 31) as i64);
            b.assign(
                &format!("f{}", k % n),
                date,
                session,
                None,
                AssignmentRole::Primary,
            )
            .unwrap();
        }
        // Work outside the horizon does not count.
        b.assign(
            "f0",
            start + Duration::days(31),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        let s = b.build();
        let r = schedule_utilization(&s, start, 31, 2.0, &UtilizationConfig::default());
        assert_eq!(r.program.capacity, row["capacity"].as_f64().unwrap());
        assert!(close(
            r.program.utilization,
            row["utilization"].as_f64().unwrap(),
            1e-9
        ));
        assert!(close(
            r.program.buffer,
            row["buffer"].as_f64().unwrap(),
            1e-9
        ));
        assert_eq!(
            r.program.level.as_str().to_lowercase(),
            row["util_level"].as_str().unwrap()
        );
    }
}

#[test]
fn erlang_a_reduces_to_erlang_c_and_abandonment_lowers_waiting() {
    let c = erlang_c(14, 10.0).unwrap();
    let none = ErlangAQueue::new(10.0, 1.0, 0.0)
        .unwrap()
        .metrics(14)
        .unwrap();
    assert!(close(none.wait_probability, c, 1e-15));
    let some = ErlangAQueue::new(10.0, 1.0, 0.5)
        .unwrap()
        .metrics(14)
        .unwrap();
    assert!(some.wait_probability < c);
    assert!(
        some.abandonment_probability > 0.0 && some.abandonment_probability < some.wait_probability
    );
    // Little's law ties the mean wait to the queue length.
    assert!(close(some.mean_wait * 10.0, some.mean_queue_length, 1e-12));
}

proptest! {
    #[test]
    fn erlang_c_is_a_probability_decreasing_in_servers(c in 1u64..300, frac in 0.0f64..1.5) {
        let a = frac * c as f64;
        let p = erlang_c(c, a).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        let p_more = erlang_c(c + 1, a).unwrap();
        prop_assert!(p_more <= p + 1e-12);
        let b = erlang_b(c, a).unwrap();
        prop_assert!(b <= p + 1e-12, "blocking never exceeds waiting");
    }

    #[test]
    fn safe_utilization_meets_its_target(c in 1u64..200, target in 0.01f64..0.99) {
        let rho = safe_utilization(c, target).unwrap();
        prop_assert!((0.0..1.0).contains(&rho));
        prop_assert!(erlang_c(c, rho * c as f64).unwrap() <= target + 1e-9);
    }

    #[test]
    fn erlang_a_is_consistent(lambda in 0.1f64..50.0, theta in 0.0f64..3.0, c in 1u64..60) {
        let m = ErlangAQueue::new(lambda, 1.0, theta).unwrap().metrics(c).unwrap();
        prop_assert!((0.0..=1.0).contains(&m.wait_probability));
        prop_assert!((0.0..=1.0).contains(&m.abandonment_probability));
        prop_assert!(m.abandonment_probability <= m.wait_probability + 1e-12);
        prop_assert!(m.occupancy <= 1.0 + 1e-12);
    }
}
