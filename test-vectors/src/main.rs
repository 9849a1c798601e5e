//! `generate-vectors`: writes the deterministic test vectors into `test-vectors/`.
//! `--check` only compares and exits 1 when a committed file differs or is missing.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = match cancuoc_test_vectors::generate() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("generate-vectors: {e:?}");
            return ExitCode::from(2);
        }
    };
    let mut differ = 0;
    for (rel, bytes) in &files {
        let path = dir.join(rel);
        let same = std::fs::read(&path).is_ok_and(|old| old == *bytes);
        if same {
            continue;
        }
        differ += 1;
        if check {
            eprintln!("differs: {rel}");
            continue;
        }
        if let Some(parent) = path.parent()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            eprintln!("{}: {e}", parent.display());
            return ExitCode::from(2);
        }
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("wrote {rel}");
    }
    println!(
        "{} files, {} {}",
        files.len(),
        differ,
        if check { "differ" } else { "written" }
    );
    if check && differ > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
