//! Builds the QR corpus — versions 1–40 × error-correction L/M/Q × 3–8 pixels per module, plus
//! rotated, blurred, noisy, low-contrast and perspective-skewed variants and codes inside a
//! 1280×720 frame — decodes every image with each pure-Rust decoder, and prints the table for
//! `docs/benchmarks.md`: images read exactly, per set, and the median decode time.
//!
//! `cargo run --release -p qr-decoders [-- --quick]`
#![allow(clippy::indexing_slicing, clippy::needless_range_loop)] // pixel and matrix loops over buffers whose size is computed here

use std::time::Instant;

use qrcode::{EcLevel, QrCode, Version};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// An 8-bit grayscale image.
#[derive(Clone)]
struct Gray {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Gray {
    fn get(&self, x: isize, y: isize) -> u8 {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            255
        } else {
            self.px[y as usize * self.w + x as usize]
        }
    }
    fn sample(&self, x: f64, y: f64) -> u8 {
        // bilinear
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        let p = |dx, dy| f64::from(self.get(x0 + dx, y0 + dy));
        let v = p(0, 0) * (1.0 - fx) * (1.0 - fy)
            + p(1, 0) * fx * (1.0 - fy)
            + p(0, 1) * (1.0 - fx) * fy
            + p(1, 1) * fx * fy;
        v.round().clamp(0.0, 255.0) as u8
    }
}

/// The largest alphanumeric text that fits `version` at `ec`.
fn fill(version: i16, ec: EcLevel, rng: &mut ChaCha20Rng) -> Option<(String, QrCode)> {
    let (mut lo, mut hi) = (1usize, 4300usize);
    let mut best = None;
    let text: String = (0..hi)
        .map(|_| ALNUM[(rng.next_u32() % 45) as usize] as char)
        .collect();
    while lo <= hi {
        let mid = (lo + hi) / 2;
        let t = &text[..mid];
        match QrCode::with_version(t.as_bytes(), Version::Normal(version), ec) {
            Ok(code) => {
                best = Some((t.to_owned(), code));
                lo = mid + 1;
            }
            Err(_) => hi = mid - 1,
        }
    }
    best
}

fn render(code: &QrCode, ppm: usize, quiet: usize) -> Gray {
    let n = code.width();
    let side = (n + 2 * quiet) * ppm;
    let mut px = vec![255u8; side * side];
    for y in 0..n {
        for x in 0..n {
            if code[(x, y)] == qrcode::Color::Dark {
                for dy in 0..ppm {
                    let row = (y + quiet) * ppm + dy;
                    for dx in 0..ppm {
                        px[row * side + (x + quiet) * ppm + dx] = 0;
                    }
                }
            }
        }
    }
    Gray {
        w: side,
        h: side,
        px,
    }
}

fn rotate(img: &Gray, degrees: f64) -> Gray {
    let (s, c) = degrees.to_radians().sin_cos();
    let w = ((img.w as f64) * (c.abs() + s.abs())).ceil() as usize;
    let (cx, cy) = (img.w as f64 / 2.0, img.h as f64 / 2.0);
    let (ox, oy) = (w as f64 / 2.0, w as f64 / 2.0);
    let mut px = vec![255u8; w * w];
    for y in 0..w {
        for x in 0..w {
            let (dx, dy) = (x as f64 - ox, y as f64 - oy);
            px[y * w + x] = img.sample(c * dx + s * dy + cx, -s * dx + c * dy + cy);
        }
    }
    Gray { w, h: w, px }
}

fn blur(img: &Gray, r: isize) -> Gray {
    let mut px = vec![0u8; img.px.len()];
    let n = ((2 * r + 1) * (2 * r + 1)) as u32;
    for y in 0..img.h {
        for x in 0..img.w {
            let mut sum = 0u32;
            for dy in -r..=r {
                for dx in -r..=r {
                    sum += u32::from(img.get(x as isize + dx, y as isize + dy));
                }
            }
            px[y * img.w + x] = (sum / n) as u8;
        }
    }
    Gray { px, ..img.clone() }
}

fn noise(img: &Gray, amplitude: i32, rng: &mut ChaCha20Rng) -> Gray {
    let px = img
        .px
        .iter()
        .map(|&p| {
            (i32::from(p) + (rng.next_u32() % (2 * amplitude as u32 + 1)) as i32 - amplitude)
                .clamp(0, 255) as u8
        })
        .collect();
    Gray { px, ..img.clone() }
}

fn contrast(img: &Gray, dark: u8, light: u8) -> Gray {
    let px = img
        .px
        .iter()
        .map(|&p| {
            (f64::from(dark) + (f64::from(light) - f64::from(dark)) * f64::from(p) / 255.0).round()
                as u8
        })
        .collect();
    Gray { px, ..img.clone() }
}

/// Solves the 8 homography coefficients mapping `from[i]` to `to[i]` (Gaussian elimination).
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        for row in 0..8 {
            if row != col && a[col][col] != 0.0 {
                let f = a[row][col] / a[col][col];
                for k in col..9 {
                    a[row][k] -= f * a[col][k];
                }
            }
        }
    }
    let mut h = [0f64; 9];
    for i in 0..8 {
        h[i] = a[i][8] / a[i][i];
    }
    h[8] = 1.0;
    h
}

/// Perspective skew: a true projective warp in which the top edge is `k` of the width narrower
/// on each side (a phone held tilted back).
fn skew(img: &Gray, k: f64) -> Gray {
    let (w, h) = (img.w as f64, img.h as f64);
    let dst = [(k * w, 0.0), (w - k * w, 0.0), (w, h), (0.0, h)];
    let src = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    // Map destination pixels back to the source.
    let m = homography(dst, src);
    let mut px = vec![255u8; img.px.len()];
    for y in 0..img.h {
        for x in 0..img.w {
            let (xf, yf) = (x as f64, y as f64);
            let d = m[6] * xf + m[7] * yf + m[8];
            let u = (m[0] * xf + m[1] * yf + m[2]) / d;
            let v = (m[3] * xf + m[4] * yf + m[5]) / d;
            px[y * img.w + x] = img.sample(u, v);
        }
    }
    Gray { px, ..img.clone() }
}

/// The code pasted into a 1280×720 mid-gray camera frame with some texture.
fn in_frame(img: &Gray, rng: &mut ChaCha20Rng) -> Option<Gray> {
    let (fw, fh) = (1280usize, 720usize);
    if img.w > fh || img.h > fh {
        return None;
    }
    let mut px: Vec<u8> = (0..fw * fh)
        .map(|i| 110 + ((i / fw + i % fw) % 40) as u8 + (rng.next_u32() % 20) as u8)
        .collect();
    let (ox, oy) = ((fw - img.w) / 3, (fh - img.h) / 2);
    for y in 0..img.h {
        px[(oy + y) * fw + ox..(oy + y) * fw + ox + img.w]
            .copy_from_slice(&img.px[y * img.w..(y + 1) * img.w]);
    }
    Some(Gray { w: fw, h: fh, px })
}

type Decoder = fn(&Gray) -> Option<String>;

fn rqrr_decode(img: &Gray) -> Option<String> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(img.w, img.h, |x, y| img.px[y * img.w + x]);
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|g| g.decode().ok().map(|(_, s)| s))
}

fn quircs_decode(img: &Gray) -> Option<String> {
    let mut decoder = quircs::Quirc::default();
    let codes = decoder.identify(img.w, img.h, &img.px);
    codes.filter_map(Result::ok).find_map(|c| {
        c.decode()
            .ok()
            .and_then(|d| String::from_utf8(d.payload).ok())
    })
}

struct Tally {
    ok: usize,
    total: usize,
    times_us: Vec<f64>,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let decoders: [(&str, Decoder); 2] =
        [("rqrr 0.11", rqrr_decode), ("quircs 0.10", quircs_decode)];
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let levels = [(EcLevel::L, "L"), (EcLevel::M, "M"), (EcLevel::Q, "Q")];
    let versions: Vec<i16> = if quick {
        vec![1, 10, 20, 22, 30, 40]
    } else {
        (1..=40).collect()
    };
    let sets = [
        "clean",
        "rotated 17°",
        "blurred",
        "noisy",
        "low contrast",
        "perspective",
        "in 1280×720 frame",
    ];
    // tallies[set][decoder]
    let mut tallies: Vec<Vec<Tally>> = sets
        .iter()
        .map(|_| {
            decoders
                .iter()
                .map(|_| Tally {
                    ok: 0,
                    total: 0,
                    times_us: Vec::new(),
                })
                .collect()
        })
        .collect();
    let mut clean_failures: Vec<Vec<String>> = decoders.iter().map(|_| Vec::new()).collect();
    for &v in &versions {
        for (ec, ec_name) in levels {
            let Some((text, code)) = fill(v, ec, &mut rng) else {
                continue;
            };
            for ppm in 3..=8usize {
                let clean = render(&code, ppm, 4);
                // Distorted variants at 4 and 6 pixels per module (what a phone camera sees).
                let mut images: Vec<(usize, Gray)> = vec![(0, clean.clone())];
                if ppm == 4 || ppm == 6 {
                    images.push((1, rotate(&clean, 17.0)));
                    images.push((2, blur(&clean, 1)));
                    images.push((3, noise(&clean, 60, &mut rng)));
                    images.push((4, contrast(&clean, 90, 170)));
                    images.push((5, skew(&clean, 0.08)));
                    if let Some(f) = in_frame(&clean, &mut rng) {
                        images.push((6, f));
                    }
                }
                for (set, img) in &images {
                    for (d, (name, decode)) in decoders.iter().enumerate() {
                        let start = Instant::now();
                        let got = decode(img);
                        let us = start.elapsed().as_secs_f64() * 1e6;
                        let t = &mut tallies[*set][d];
                        t.total += 1;
                        t.times_us.push(us);
                        if got.as_deref() == Some(text.as_str()) {
                            t.ok += 1;
                        } else if *set == 0 {
                            clean_failures[d].push(format!("v{v}-{ec_name}@{ppm}px"));
                        }
                        let _ = name;
                    }
                }
            }
        }
    }
    println!(
        "| set | {} |",
        decoders
            .iter()
            .map(|(n, _)| format!("{n}: read / total (median µs)"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!(
        "|---|{}",
        decoders.iter().map(|_| "---|").collect::<String>()
    );
    for (s, name) in sets.iter().enumerate() {
        let cells: Vec<String> = tallies[s]
            .iter_mut()
            .map(|t| {
                t.times_us.sort_by(f64::total_cmp);
                let med = t.times_us.get(t.times_us.len() / 2).copied().unwrap_or(0.0);
                format!("{} / {} ({:.0} µs)", t.ok, t.total, med)
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    for (d, (name, _)) in decoders.iter().enumerate() {
        let f = &clean_failures[d];
        println!(
            "\n{name}: {} clean images not read{}{}",
            f.len(),
            if f.is_empty() { "" } else { ": " },
            f.iter().take(30).cloned().collect::<Vec<_>>().join(", ")
        );
    }
}
