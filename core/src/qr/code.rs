//! QR codes: rendering text to a module matrix (for a phone UI to draw), PNG and SVG at the
//! lowest version that fits with error correction M; and reading QR text back from a PNG, a
//! JPEG or a raw 8-bit grayscale camera frame with `quircs` (chosen on the corpus in
//! `tools/qr-decoders`: it read every clean image and the most distorted ones, ≈ 4× faster
//! than `rqrr`; see docs/benchmarks.md). Images are bounded in bytes and pixels.

use std::io::Cursor;

use qrcode::{Color, EcLevel, QrCode};

/// Largest image file accepted.
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
/// Largest image side accepted, in pixels.
pub const MAX_IMAGE_SIDE: usize = 4096;

/// Why a QR code could not be made.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum QrEncodeError {
    #[error("the text does not fit a QR code at error-correction level M: {0}")]
    TooLong(String),
    #[error("could not write the image: {0}")]
    Image(String),
}

/// Why no QR text could be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum QrReadError {
    #[error("image of {len} bytes exceeds {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("image of {width}×{height} pixels is empty or exceeds {MAX_IMAGE_SIDE} pixels a side")]
    BadDimensions { width: usize, height: usize },
    #[error("the frame holds {got} bytes, {width}×{height} needs {want}")]
    FrameSize {
        width: usize,
        height: usize,
        want: usize,
        got: usize,
    },
    #[error("not a PNG or JPEG image")]
    UnknownFormat,
    #[error("the image cannot be decoded: {0}")]
    Image(String),
    #[error("no QR code found in the image")]
    NotFound,
    #[error("a QR code was found but could not be read: {0}")]
    Unreadable(String),
    #[error("the QR code does not hold UTF-8 text")]
    NotText,
    #[error("the QR decoder failed on this image")]
    DecoderFault,
}

/// The modules of a QR code: `size × size`, row-major, `true` is dark. A UI draws it with a
/// quiet zone of 4 modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    pub version: u8,
    pub size: usize,
    pub modules: Vec<bool>,
}

/// The QR code of `text` at error-correction level M, lowest version that fits (alphanumeric
/// mode when the text is in the 45-character alphabet).
pub fn encode(text: &str) -> Result<QrMatrix, QrEncodeError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| QrEncodeError::TooLong(e.to_string()))?;
    let version = match code.version() {
        qrcode::Version::Normal(v) => u8::try_from(v).unwrap_or(0),
        qrcode::Version::Micro(_) => 0,
    };
    let size = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok(QrMatrix {
        version,
        size,
        modules,
    })
}

impl QrMatrix {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.modules
            .get(y * self.size + x)
            .copied()
            .unwrap_or(false)
    }

    /// 8-bit grayscale pixels with a `quiet`-module border, `scale` pixels a module.
    pub fn to_gray(&self, scale: usize, quiet: usize) -> (usize, Vec<u8>) {
        let side = (self.size + 2 * quiet) * scale;
        let mut px = vec![255u8; side * side];
        for (i, dark) in self.modules.iter().enumerate() {
            if !dark {
                continue;
            }
            let (mx, my) = (i % self.size + quiet, i / self.size + quiet);
            for dy in 0..scale {
                let start = (my * scale + dy) * side + mx * scale;
                if let Some(row) = px.get_mut(start..start + scale) {
                    row.fill(0);
                }
            }
        }
        (side, px)
    }

    /// A grayscale PNG, `scale` pixels a module, 4-module quiet zone.
    pub fn to_png(&self, scale: usize) -> Result<Vec<u8>, QrEncodeError> {
        let (side, px) = self.to_gray(scale.max(1), 4);
        let side32 = u32::try_from(side).map_err(|e| QrEncodeError::Image(e.to_string()))?;
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc
            .write_header()
            .map_err(|e| QrEncodeError::Image(e.to_string()))?;
        w.write_image_data(&px)
            .map_err(|e| QrEncodeError::Image(e.to_string()))?;
        w.finish()
            .map_err(|e| QrEncodeError::Image(e.to_string()))?;
        Ok(out)
    }

    /// An SVG with one path of unit squares and a 4-module quiet zone.
    pub fn to_svg(&self) -> String {
        let side = self.size + 8;
        let mut path = String::new();
        for (i, dark) in self.modules.iter().enumerate() {
            if *dark {
                path.push_str(&format!(
                    "M{},{}h1v1h-1z",
                    i % self.size + 4,
                    i / self.size + 4
                ));
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
        )
    }
}

fn check_side(width: usize, height: usize) -> Result<(), QrReadError> {
    if width == 0 || height == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(QrReadError::BadDimensions { width, height });
    }
    Ok(())
}

/// Reads the QR text in a raw 8-bit grayscale frame (`width × height` bytes, row-major).
pub fn read_gray(width: usize, height: usize, pixels: &[u8]) -> Result<String, QrReadError> {
    check_side(width, height)?;
    let want = width * height;
    if pixels.len() != want {
        return Err(QrReadError::FrameSize {
            width,
            height,
            want,
            got: pixels.len(),
        });
    }
    // quircs is a port of a C decoder; a fault on a hostile image must not take the caller down.
    let result = std::panic::catch_unwind(|| {
        let mut decoder = quircs::Quirc::default();
        let mut last = None;
        for code in decoder.identify(width, height, pixels) {
            match code
                .map_err(|e| e.to_string())
                .and_then(|c| c.decode().map_err(|e| e.to_string()))
            {
                Ok(data) => return Ok(data.payload),
                Err(e) => last = Some(e),
            }
        }
        Err(last)
    })
    .map_err(|_| QrReadError::DecoderFault)?;
    match result {
        Ok(payload) => String::from_utf8(payload).map_err(|_| QrReadError::NotText),
        Err(Some(e)) => Err(QrReadError::Unreadable(e)),
        Err(None) => Err(QrReadError::NotFound),
    }
}

/// Reads the QR text in a PNG or JPEG image.
pub fn read_image(bytes: &[u8]) -> Result<String, QrReadError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(QrReadError::TooLarge {
            len: bytes.len(),
            max: MAX_IMAGE_BYTES,
        });
    }
    let (w, h, gray) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)?
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(bytes)?
    } else {
        return Err(QrReadError::UnknownFormat);
    };
    read_gray(w, h, &gray)
}

fn decode_png(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), QrReadError> {
    let img = |e: png::DecodingError| QrReadError::Image(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: 4 * MAX_IMAGE_SIDE * MAX_IMAGE_SIDE,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(img)?;
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    check_side(w, h)?;
    let size = reader
        .output_buffer_size()
        .ok_or(QrReadError::Image("image too large".into()))?;
    let mut buf = vec![0u8; size];
    let frame = reader.next_frame(&mut buf).map_err(img)?;
    let data = buf.get(..frame.buffer_size()).unwrap_or_default();
    let channels = frame.color_type.samples();
    let line = frame.line_size;
    let mut gray = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = data.get(y * line..(y + 1) * line).unwrap_or_default();
        for x in 0..w {
            let p = row.get(x * channels..(x + 1) * channels).unwrap_or(&[255]);
            gray.push(luma(frame.color_type, p));
        }
    }
    Ok((w, h, gray))
}

fn luma(color: png::ColorType, p: &[u8]) -> u8 {
    let g = |i: usize| u32::from(p.get(i).copied().unwrap_or(255));
    match color {
        png::ColorType::Rgb | png::ColorType::Rgba => {
            ((299 * g(0) + 587 * g(1) + 114 * g(2)) / 1000) as u8
        }
        _ => g(0) as u8,
    }
}

fn decode_jpeg(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), QrReadError> {
    use zune_jpeg::zune_core::{colorspace::ColorSpace, options::DecoderOptions};
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(MAX_IMAGE_SIDE)
        .set_max_height(MAX_IMAGE_SIDE);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(Cursor::new(bytes), options);
    let pixels = decoder
        .decode()
        .map_err(|e| QrReadError::Image(format!("{e:?}")))?;
    let info = decoder
        .info()
        .ok_or(QrReadError::Image("no header".into()))?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    check_side(w, h)?;
    Ok((w, h, pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reads_back() {
        let text = "CC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEMWK4MI6UOS03CR96";
        let m = encode(text).unwrap();
        assert!(m.version >= 1 && m.size == 17 + 4 * usize::from(m.version));
        let png = m.to_png(4).unwrap();
        assert_eq!(read_image(&png).unwrap(), text);
        let (side, gray) = m.to_gray(3, 4);
        assert_eq!(read_gray(side, side, &gray).unwrap(), text);
        assert!(m.to_svg().starts_with("<svg"));
    }

    #[test]
    fn fuzz_regressions_read_without_panicking() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../test-vectors/fuzz-regressions");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with("qr_image-"))
            {
                let bytes = std::fs::read(&path).unwrap();
                assert!(read_image(&bytes).is_err(), "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 1);
    }

    #[test]
    fn refuses_bad_images() {
        assert_eq!(read_image(b"GIF89a"), Err(QrReadError::UnknownFormat));
        assert!(matches!(
            read_image(b"\x89PNG\r\n\x1a\nxxxx"),
            Err(QrReadError::Image(_))
        ));
        assert!(matches!(
            read_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Err(QrReadError::Image(_))
        ));
        assert_eq!(
            read_gray(10, 10, &[0; 99]),
            Err(QrReadError::FrameSize {
                width: 10,
                height: 10,
                want: 100,
                got: 99
            })
        );
        assert_eq!(
            read_gray(0, 10, &[]),
            Err(QrReadError::BadDimensions {
                width: 0,
                height: 10
            })
        );
        assert_eq!(read_gray(64, 64, &[255; 4096]), Err(QrReadError::NotFound));
        let mut noise = vec![0u8; 128 * 128];
        for (i, p) in noise.iter_mut().enumerate() {
            *p = ((i * 7919) % 251) as u8;
        }
        assert!(read_gray(128, 128, &noise).is_err());
        let huge = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert!(matches!(
            read_image(&huge),
            Err(QrReadError::TooLarge { .. })
        ));
    }
}
