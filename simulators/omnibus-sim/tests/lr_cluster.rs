//! Two processes of a timely cluster on loopback produce exactly the outputs
//! of one process (and of the sequential rules).

use omnibus_linear_road::run;
use omnibus_sim::linear_road::{LrConfig, generate, segment_history};
use std::process::Command;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn lines(path: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect();
    v.sort();
    v
}

#[test]
fn two_processes_give_exactly_the_outputs_of_one() {
    let exe = env!("CARGO_BIN_EXE_lr-cluster");
    let dir = tempfile::tempdir().unwrap();
    let (seed, xways, minutes) = ("5", "2", "10");

    let single = dir.path().join("single.txt");
    let status =
        Command::new(exe).args([seed, xways, minutes]).arg(&single).args(["-w", "2"]).status().unwrap();
    assert!(status.success());

    let hosts = dir.path().join("hosts.txt");
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).unwrap();
    let outs: Vec<_> = (0..2).map(|i| dir.path().join(format!("process-{i}.txt"))).collect();
    let mut children: Vec<_> = (0..2)
        .map(|i| {
            Command::new(exe)
                .args([seed, xways, minutes])
                .arg(&outs[i])
                .args(["-w", "1", "-n", "2", "-p", &i.to_string(), "-h"])
                .arg(&hosts)
                .spawn()
                .unwrap()
        })
        .collect();
    // Bounded: the processes connect and finish in seconds; never wait forever.
    let deadline = Instant::now() + Duration::from_secs(120);
    for i in 0..children.len() {
        loop {
            if let Some(status) = children[i].try_wait().unwrap() {
                assert!(status.success(), "a cluster process failed: {status}");
                break;
            }
            if Instant::now() > deadline {
                for c in &mut children {
                    let _ = c.kill();
                }
                panic!("the cluster did not finish in 120 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut cluster: Vec<String> = outs.iter().flat_map(|p| lines(p)).collect();
    cluster.sort();
    let one = lines(&single);
    assert!(!one.is_empty());
    assert_eq!(cluster, one);

    // And both equal the sequential rules.
    let tuples = generate(&LrConfig { seed: 5, xways: 2, duration_s: 600, ..LrConfig::default() });
    let mut want: Vec<String> = run(&tuples, &omnibus_linear_road::History::new(&[], segment_history(5, 2)))
        .iter()
        .map(|o| format!("{o:?}"))
        .collect();
    want.sort();
    assert_eq!(one, want);
}
