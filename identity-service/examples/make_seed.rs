//! Writes a seed file of synthetic citizens: the shipped one (`seed/citizens.json`, 24
//! citizens, the demo citizen first), or a larger one for the load generator. Deterministic:
//! the same arguments give the same bytes. `--check FILE` fails when FILE differs.
//!
//! `cargo run -p cancuoc-identity --example make_seed -- [--citizens N] [--random-seed S]
//!  (--out FILE | --check FILE)`

use std::process::ExitCode;

use cancuoc_identity::seed::{self, SHIPPED_CITIZENS, SHIPPED_RANDOM_SEED};

fn main() -> ExitCode {
    let mut citizens = SHIPPED_CITIZENS;
    let mut random_seed = SHIPPED_RANDOM_SEED;
    let (mut out, mut check) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = it.next();
        match (a.as_str(), value) {
            ("--citizens", Some(v)) => citizens = v.parse().unwrap_or(0),
            ("--random-seed", Some(v)) => random_seed = v.parse().unwrap_or(0),
            ("--out", Some(v)) => out = Some(v),
            ("--check", Some(v)) => check = Some(v),
            (other, _) => {
                eprintln!("unknown or incomplete argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    if !(1..=1_000_000).contains(&citizens) {
        eprintln!("--citizens must be 1–1,000,000");
        return ExitCode::from(2);
    }
    let text = seed::generate(citizens, random_seed).to_json();
    match (out, check) {
        (Some(path), None) => match std::fs::write(&path, text) {
            Ok(()) => {
                eprintln!("wrote {citizens} citizens to {path}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                ExitCode::FAILURE
            }
        },
        (None, Some(path)) => match std::fs::read_to_string(&path) {
            Ok(found) if found == text => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!("{path} is not the generator's output: regenerate it with --out");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("give one of --out FILE or --check FILE");
            ExitCode::from(2)
        }
    }
}
