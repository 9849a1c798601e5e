//! QR image reading: PNG/JPEG bytes, and small raw grayscale frames (the first two bytes give
//! width and height). Invariant: no panic, bounded time and memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cancuoc_core::qr::code::read_image(data);
    if let [w, h, pixels @ ..] = data {
        let (w, h) = (usize::from(*w).max(1), usize::from(*h).max(1));
        if let Some(frame) = pixels.get(..w * h) {
            let _ = cancuoc_core::qr::code::read_gray(w, h, frame);
        }
    }
});
