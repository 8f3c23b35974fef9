use super::*;

#[test]
fn smoke() {
    let config = ScenarioConfig::default();
    let run = record_run(&config, ScenarioKind::NullStationary, 263).unwrap();
    for e in run.events.iter().filter(|e| !matches!(e, RunEvent::SwapRequests { .. })).take(20) {
        eprintln!("{e:?}");
    }
    eprintln!("{:?}", run.output.truth);
}
