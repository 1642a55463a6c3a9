//! A QR code drawn as one SVG path (crisp at any size, no image decoder, no script).

use qrcode::{Color, EcLevel, QrCode};
use yew::prelude::*;

/// Props of [`Qr`].
#[derive(Properties, PartialEq)]
pub struct QrProps {
    /// The text to encode (a ticket id, a URL, a seed secret).
    pub text: AttrValue,
    /// What the code holds, for screen readers.
    pub label: AttrValue,
    /// Element id, for tests.
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// The SVG path data of `text`'s QR modules (one unit per module) and the width in modules,
/// quiet zone excluded; `None` when the text is too long for a QR code.
pub fn qr_path(text: &str) -> Option<(String, usize)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let mut d = String::with_capacity(width * width * 4);
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            d.push_str(&format!("M{} {}h1v1h-1z", i % width, i / width));
        }
    }
    Some((d, width))
}

/// A QR code, or the text itself if it cannot be encoded.
#[function_component(Qr)]
pub fn qr(props: &QrProps) -> Html {
    let path = use_memo(props.text.clone(), |t| qr_path(t));
    match &*path {
        Some((d, width)) => {
            let view = format!("-4 -4 {} {}", width + 8, width + 8);
            html! {
                <svg class="qr" id={props.id.clone()} viewBox={view} role="img" aria-label={props.label.clone()}
                    data-text={props.text.clone()} shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">
                    <rect x="-4" y="-4" width={(width + 8).to_string()} height={(width + 8).to_string()} fill="#fff" />
                    <path d={d.clone()} fill="#000" />
                </svg>
            }
        }
        None => html! { <code>{ props.text.clone() }</code> },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_ticket_and_refuses_what_cannot_fit() {
        let (d, width) = qr_path("0123456789abcdef0123456789abcdef").expect("fits");
        // A QR version v is 17 + 4v modules wide; 32 hex digits fit in version 3 or below.
        assert!((width - 17) % 4 == 0 && width <= 29, "{width}");
        assert!(d.starts_with("M0 0h1v1h-1z"), "finder pattern corner");
        assert!(qr_path(&"x".repeat(5000)).is_none());
    }
}
