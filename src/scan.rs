//! Reading a receipt's QR code from a camera frame or a photo: plain Rust (tested natively),
//! run in the Web Worker so the decoder (rqrr) is not in the main bundle; the page uses the
//! browser's `BarcodeDetector` instead where it has one.

use crate::i18n::Said;

/// The largest frame side the page sends to the decoder: enough for a receipt's QR code held
/// to the camera, small enough to decode in a few milliseconds on a phone.
pub const MAX_SIDE: u32 = 800;

/// How long a scan looks before saying it found nothing (ms).
pub const SCAN_TIMEOUT_MS: u64 = 20_000;

/// Luma (ITU-R BT.601) of RGBA pixels, one byte each.
pub fn rgba_to_luma(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .map(|p| {
            let y = 299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
            (y / 1000) as u8
        })
        .collect()
}

/// The texts of every QR code found in a `width`×`height` luma image.
pub fn decode_luma(width: usize, height: usize, luma: &[u8]) -> Vec<String> {
    if width == 0 || height == 0 || luma.len() < width * height {
        return Vec::new();
    }
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// The size to draw a `w`×`h` source at so its longer side is at most [`MAX_SIDE`].
pub fn scaled(w: u32, h: u32) -> (u32, u32) {
    let long = w.max(h).max(1);
    if long <= MAX_SIDE {
        return (w, h);
    }
    (
        (u64::from(w) * u64::from(MAX_SIDE) / u64::from(long)) as u32,
        (u64::from(h) * u64::from(MAX_SIDE) / u64::from(long)) as u32,
    )
}

/// A QR code drawn as a grey image, square, `px` pixels a module with a 4-module quiet zone,
/// turned by `degrees` about its centre on a canvas half as large again, dark modules at
/// `dark` on `light` (a faded print is 90 on 160): what the tests show the fake camera and
/// the decoder.
pub fn qr_image(text: &str, px: usize, degrees: f64, dark: u8, light: u8) -> (usize, Vec<u8>) {
    use qrcode::{Color, QrCode};
    let Ok(code) = QrCode::new(text.as_bytes()) else {
        return (0, Vec::new());
    };
    let n = code.width();
    let colors = code.to_colors();
    let side = (n + 8) * px;
    let size = side * 3 / 2;
    let (c, r) = (size as f64 / 2.0, degrees.to_radians());
    let mut out = vec![light; size * size];
    for y in 0..size {
        for x in 0..size {
            let (dx, dy) = (x as f64 - c, y as f64 - c);
            let sx = dx * r.cos() + dy * r.sin() + side as f64 / 2.0;
            let sy = -dx * r.sin() + dy * r.cos() + side as f64 / 2.0;
            if sx < 0.0 || sy < 0.0 {
                continue;
            }
            let (mx, my) = (sx as usize / px, sy as usize / px);
            if (4..n + 4).contains(&mx)
                && (4..n + 4).contains(&my)
                && colors[(my - 4) * n + (mx - 4)] == Color::Dark
            {
                out[y * size + x] = dark;
            }
        }
    }
    (size, out)
}

/// Why a scan stopped, as the shopper reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanProblem {
    /// The camera permission was refused.
    Refused,
    /// No camera (or none the browser lets the page use).
    NoCamera,
    /// Nothing found before the timeout.
    NothingFound,
    /// A photo with no QR code in it.
    NoCodeInPhoto,
    /// Something else went wrong (the browser's words).
    Other(String),
}

impl ScanProblem {
    /// From the name of a `getUserMedia` error (`NotAllowedError`, `NotFoundError`, …).
    pub fn from_media_error(name: &str, message: &str) -> ScanProblem {
        match name {
            "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => ScanProblem::Refused,
            "NotFoundError"
            | "OverconstrainedError"
            | "DevicesNotFoundError"
            | "NotReadableError" => ScanProblem::NoCamera,
            _ => ScanProblem::Other(format!("{name}: {message}")),
        }
    }

    /// The message, in both languages.
    pub fn said(&self) -> Said {
        match self {
            ScanProblem::Refused => Said::new(
                "无法使用相机：相机权限被拒绝。请在浏览器或微信设置中允许使用相机，或点“选择照片”。",
                "The camera cannot be used: permission was refused. Allow the camera in the browser's (or WeChat's) settings, or choose a photo.",
            ),
            ScanProblem::NoCamera => Said::new(
                "这台设备没有可用的相机。请点“选择照片”，或手动填写。",
                "This device has no camera the page can use. Choose a photo, or fill in the form by hand.",
            ),
            ScanProblem::NothingFound => Said::new(
                "没有找到二维码。请把发票右上角的二维码放在取景框中央，保持光线充足，或点“选择照片”。",
                "No QR code found. Hold the QR code in the invoice's top corner in the middle of the frame, in good light, or choose a photo.",
            ),
            ScanProblem::NoCodeInPhoto => Said::new(
                "这张照片里没有找到二维码。请换一张清晰、完整的发票照片。",
                "No QR code found in this photo. Try a sharp photo of the whole invoice.",
            ),
            ScanProblem::Other(e) => Said::new(
                format!("无法扫描（{e}）。请点“选择照片”，或手动填写。"),
                format!("Cannot scan ({e}). Choose a photo, or fill in the form by hand."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGITAL: &str = "01,32,,26512000000136634917,688.00,20261215,,1DD6";

    #[test]
    fn reads_fapiao_codes_straight_tilted_and_faint() {
        for (degrees, dark, light) in [(0.0, 0, 255), (17.0, 0, 255), (0.0, 90, 160)] {
            let (side, luma) = qr_image(DIGITAL, 6, degrees, dark, light);
            assert_eq!(
                decode_luma(side, side, &luma),
                vec![DIGITAL.to_owned()],
                "{degrees}° {dark}/{light}"
            );
        }
        assert!(decode_luma(100, 100, &[255; 10_000]).is_empty());
        assert!(decode_luma(10, 10, &[0; 5]).is_empty(), "short buffer");
    }

    #[test]
    fn luma_and_scaling() {
        assert_eq!(
            rgba_to_luma(&[255, 255, 255, 255, 0, 0, 0, 255]),
            vec![255, 0]
        );
        assert_eq!(scaled(640, 480), (640, 480));
        assert_eq!(scaled(1920, 1080), (800, 450));
        assert_eq!(scaled(1080, 1920), (450, 800));
    }

    #[test]
    fn camera_errors_are_told_apart() {
        assert_eq!(
            ScanProblem::from_media_error("NotAllowedError", ""),
            ScanProblem::Refused
        );
        assert_eq!(
            ScanProblem::from_media_error("NotFoundError", ""),
            ScanProblem::NoCamera
        );
        assert!(ScanProblem::Refused.said().zh.contains("权限"));
        assert!(matches!(
            ScanProblem::from_media_error("AbortError", "x"),
            ScanProblem::Other(_)
        ));
    }
}
