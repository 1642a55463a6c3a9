//! Scanning a receipt's QR code: the rear camera (`getUserMedia`, `facingMode: environment`)
//! or a photo from the gallery. Frames are read by the browser's `BarcodeDetector` where it
//! has one, else by rqrr in the Web Worker (its own bundle, loaded only when scanning). The
//! text found goes to the form, which reads it as a fapiao.

use crate::i18n::InLang;
use crate::i18n::Lang;
use crate::scan::{SCAN_TIMEOUT_MS, ScanProblem, rgba_to_luma, scaled};
use crate::verify_job::ShopperReply;
use crate::worker_client::{JobHandle, set, start_job};
use gloo::timers::callback::Interval;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement, HtmlInputElement,
    HtmlVideoElement, MediaStream, MediaStreamConstraints,
};
use yew::prelude::*;

/// Props of [`Scanner`].
#[derive(Properties, PartialEq)]
pub struct ScannerProps {
    /// The language.
    pub lang: Lang,
    /// Called with the text of the QR code found.
    pub on_text: Callback<String>,
}

/// Where a scan stands.
#[derive(Clone, PartialEq)]
enum Mode {
    Idle,
    Opening,
    Scanning,
    Reading,
    Failed(ScanProblem),
}

/// A scan under way: the camera, the decoder and the frame loop; dropping it stops them all.
#[derive(Default)]
struct Session {
    stream: Option<MediaStream>,
    _ticker: Option<Interval>,
    worker: Option<JobHandle>,
    detector: Option<JsValue>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(stream) = &self.stream {
            for track in stream.get_tracks().iter() {
                if let Ok(t) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                    t.stop();
                }
            }
        }
    }
}

/// The browser's `BarcodeDetector` for QR codes, where it has one.
fn barcode_detector() -> Option<JsValue> {
    let window = web_sys::window()?;
    let ctor = js_sys::Reflect::get(&window, &"BarcodeDetector".into()).ok()?;
    let ctor: js_sys::Function = ctor.dyn_into().ok()?;
    let options = js_sys::Object::new();
    let formats = js_sys::Array::of1(&"qr_code".into());
    set(&options, "formats", &formats).ok()?;
    js_sys::Reflect::construct(&ctor, &js_sys::Array::of1(&options)).ok()
}

/// The first QR text `BarcodeDetector.detect(source)` finds.
async fn detect_with(detector: &JsValue, source: &JsValue) -> Option<String> {
    let detect: js_sys::Function = js_sys::Reflect::get(detector, &"detect".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: js_sys::Promise = detect.call1(detector, source).ok()?.dyn_into().ok()?;
    let found: js_sys::Array = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    found.iter().find_map(|b| {
        js_sys::Reflect::get(&b, &"rawValue".into())
            .ok()?
            .as_string()
    })
}

/// Draws `source` (a video frame or a photo) scaled into `canvas`; its grey pixels as the
/// worker's `qr` job.
fn frame_job(
    canvas: &HtmlCanvasElement,
    source: &JsValue,
    (w, h): (u32, u32),
) -> Result<js_sys::Object, JsValue> {
    let (sw, sh) = scaled(w, h);
    canvas.set_width(sw);
    canvas.set_height(sh);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or("no 2d context")?
        .dyn_into()?;
    if let Some(video) = source.dyn_ref::<HtmlVideoElement>() {
        ctx.draw_image_with_html_video_element_and_dw_and_dh(
            video,
            0.0,
            0.0,
            f64::from(sw),
            f64::from(sh),
        )?;
    } else if let Some(img) = source.dyn_ref::<HtmlImageElement>() {
        ctx.draw_image_with_html_image_element_and_dw_and_dh(
            img,
            0.0,
            0.0,
            f64::from(sw),
            f64::from(sh),
        )?;
    }
    let rgba = ctx.get_image_data(0.0, 0.0, f64::from(sw), f64::from(sh))?;
    let luma = rgba_to_luma(&rgba.data());
    let msg = js_sys::Object::new();
    set(&msg, "job", &"qr".into())?;
    set(&msg, "width", &f64::from(sw).into())?;
    set(&msg, "height", &f64::from(sh).into())?;
    set(&msg, "luma", &js_sys::Uint8Array::from(luma.as_slice()))?;
    Ok(msg)
}

/// The scan button, the camera view while scanning, the photo picker, and what went wrong.
#[function_component(Scanner)]
pub fn scanner(props: &ScannerProps) -> Html {
    let l = props.lang;
    let mode = use_state(|| Mode::Idle);
    let session = use_mut_ref(|| None::<Session>);
    let video = use_node_ref();
    let canvas = use_node_ref();
    // Stops the camera when the component goes away (the form is submitted, the page left).
    {
        let session = session.clone();
        use_effect_with((), move |_| move || drop(session.borrow_mut().take()));
    }
    let found = {
        let (session, mode, on_text) = (session.clone(), mode.clone(), props.on_text.clone());
        Rc::new(move |text: String| {
            session.borrow_mut().take();
            mode.set(Mode::Idle);
            on_text.emit(text);
        })
    };
    let fail = {
        let (session, mode) = (session.clone(), mode.clone());
        Rc::new(move |p: ScanProblem| {
            session.borrow_mut().take();
            mode.set(Mode::Failed(p));
        })
    };
    // A picture is being decoded: the next frame waits.
    let busy: Rc<Cell<bool>> = use_memo((), |_| Cell::new(false));
    // A decoded frame from the worker: its text, or the next frame may go.
    let on_worker = {
        let (found, fail, busy, mode) = (found.clone(), fail.clone(), busy.clone(), mode.clone());
        Rc::new(move |m: ShopperReply| match m {
            ShopperReply::Qr { texts } => {
                busy.set(false);
                if let Some(t) = texts.into_iter().next() {
                    found(t);
                } else if *mode == Mode::Reading {
                    fail(ScanProblem::NoCodeInPhoto);
                }
            }
            ShopperReply::Error { message } => fail(ScanProblem::Other(message)),
            _ => {}
        })
    };
    // Sends one picture to the decoder: BarcodeDetector, or the worker (started on the
    // first picture, then reused).
    let decode = {
        let (session, canvas, busy, found, fail, on_worker) = (
            session.clone(),
            canvas.clone(),
            busy.clone(),
            found.clone(),
            fail.clone(),
            on_worker.clone(),
        );
        let mode = mode.clone();
        Rc::new(move |source: JsValue, size: (u32, u32)| {
            if busy.get() {
                return;
            }
            let detector = session.borrow().as_ref().and_then(|s| s.detector.clone());
            if let Some(detector) = detector {
                busy.set(true);
                let (busy, found, fail, mode) =
                    (busy.clone(), found.clone(), fail.clone(), mode.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let text = detect_with(&detector, &source).await;
                    busy.set(false);
                    match text {
                        Some(t) => found(t),
                        None if *mode == Mode::Reading => fail(ScanProblem::NoCodeInPhoto),
                        None => {}
                    }
                });
                return;
            }
            let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let job = match frame_job(&canvas, &source, size) {
                Ok(j) => j,
                Err(e) => return fail(ScanProblem::Other(format!("{e:?}"))),
            };
            busy.set(true);
            let posted = {
                let mut s = session.borrow_mut();
                let s = s.get_or_insert_with(Session::default);
                match &s.worker {
                    Some(w) => w.post(&job),
                    None => {
                        let on_worker = on_worker.clone();
                        start_job(&job, move |m| on_worker(m)).map(|h| s.worker = Some(h))
                    }
                }
            };
            if let Err(e) = posted {
                busy.set(false);
                fail(ScanProblem::Other(format!("{e:?}")));
            }
        })
    };
    let start_camera = {
        let (mode, session, video, decode, fail, busy) = (
            mode.clone(),
            session.clone(),
            video.clone(),
            decode.clone(),
            fail.clone(),
            busy.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            session.borrow_mut().take();
            busy.set(false);
            let devices = web_sys::window().and_then(|w| w.navigator().media_devices().ok());
            let Some(devices) = devices else {
                return fail(ScanProblem::NoCamera);
            };
            let constraints = MediaStreamConstraints::new();
            let video_wanted = js_sys::Object::new();
            let _ = set(&video_wanted, "facingMode", &"environment".into());
            constraints.set_video(&video_wanted);
            constraints.set_audio(&JsValue::FALSE);
            let promise = match devices.get_user_media_with_constraints(&constraints) {
                Ok(p) => p,
                Err(_) => return fail(ScanProblem::NoCamera),
            };
            mode.set(Mode::Opening);
            let (mode, session, video, decode, fail) = (
                mode.clone(),
                session.clone(),
                video.clone(),
                decode.clone(),
                fail.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let stream = match JsFuture::from(promise).await {
                    Ok(s) => s.unchecked_into::<MediaStream>(),
                    Err(e) => {
                        let get = |k: &str| {
                            js_sys::Reflect::get(&e, &k.into())
                                .ok()
                                .and_then(|v| v.as_string())
                                .unwrap_or_default()
                        };
                        return fail(ScanProblem::from_media_error(&get("name"), &get("message")));
                    }
                };
                let Some(v) = video.cast::<HtmlVideoElement>() else {
                    return;
                };
                v.set_src_object(Some(&stream));
                let _ = v.play();
                let started = js_sys::Date::now();
                let (tick_video, tick_decode, tick_fail) =
                    (v.clone(), decode.clone(), fail.clone());
                let ticker = Interval::new(250, move || {
                    if js_sys::Date::now() - started > SCAN_TIMEOUT_MS as f64 {
                        return tick_fail(ScanProblem::NothingFound);
                    }
                    // HAVE_CURRENT_DATA: a frame to read.
                    if tick_video.ready_state() >= 2 && tick_video.video_width() > 0 {
                        let size = (tick_video.video_width(), tick_video.video_height());
                        tick_decode(tick_video.clone().into(), size);
                    }
                });
                *session.borrow_mut() = Some(Session {
                    stream: Some(stream),
                    _ticker: Some(ticker),
                    worker: None,
                    detector: barcode_detector(),
                });
                mode.set(Mode::Scanning);
            });
        })
    };
    let stop = {
        let (session, mode) = (session.clone(), mode.clone());
        Callback::from(move |_: MouseEvent| {
            session.borrow_mut().take();
            mode.set(Mode::Idle);
        })
    };
    // A photo from the gallery: loaded as an image, decoded the same way.
    let photo = {
        let (mode, session, decode, fail, busy) = (
            mode.clone(),
            session.clone(),
            decode.clone(),
            fail.clone(),
            busy.clone(),
        );
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            session.borrow_mut().take();
            busy.set(false);
            *session.borrow_mut() = Some(Session {
                stream: None,
                _ticker: None,
                worker: None,
                detector: barcode_detector(),
            });
            mode.set(Mode::Reading);
            let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) else {
                return fail(ScanProblem::NoCodeInPhoto);
            };
            let Ok(img) = HtmlImageElement::new() else {
                return;
            };
            let loaded_img = img.clone();
            let (decode, fail_photo, url2) = (decode.clone(), fail.clone(), url.clone());
            let onload = Closure::once_into_js(move || {
                let _ = web_sys::Url::revoke_object_url(&url2);
                let size = (loaded_img.natural_width(), loaded_img.natural_height());
                if size.0 == 0 {
                    return fail_photo(ScanProblem::NoCodeInPhoto);
                }
                decode(loaded_img.into(), size);
            });
            let fail_load = fail.clone();
            let onerror = Closure::once_into_js(move || fail_load(ScanProblem::NoCodeInPhoto));
            img.set_onload(Some(onload.unchecked_ref()));
            img.set_onerror(Some(onerror.unchecked_ref()));
            img.set_src(&url);
        })
    };
    let scanning = matches!(*mode, Mode::Opening | Mode::Scanning);
    html! {
        <div class="scanner" id="scanner" data-mode={match &*mode { Mode::Idle => "idle", Mode::Opening => "opening", Mode::Scanning => "scanning", Mode::Reading => "reading", Mode::Failed(_) => "failed" }}>
            <div class="scan-actions">
                if scanning {
                    <button type="button" id="scan-stop" class="big-touch" onclick={stop}>{ l.t("停止扫描", "Stop scanning") }</button>
                } else {
                    <button type="button" id="scan" class="primary big-touch" onclick={start_camera}>{ l.t("扫描发票二维码", "Scan the invoice QR code") }</button>
                }
                <label class="button big-touch" for="scan-photo">{ l.t("选择照片", "Choose a photo") }</label>
                <input id="scan-photo" class="visually-hidden" type="file" accept="image/*" onchange={photo} />
            </div>
            <div class={classes!("viewfinder", (!scanning).then_some("hidden"))}>
                <video ref={video} id="scan-video" autoplay=true muted=true playsinline=true aria-label={l.t("相机取景", "Camera view")} />
                <p class="note">{ if *mode == Mode::Opening { l.t("正在打开相机……", "Opening the camera…") } else { l.t("把发票上的二维码放在框内", "Hold the invoice's QR code inside the frame") } }</p>
            </div>
            <canvas ref={canvas} class="hidden" aria-hidden="true" />
            if *mode == Mode::Reading {
                <p class="note" aria-busy="true" id="scan-reading">{ l.t("正在识别照片……", "Reading the photo…") }</p>
            }
            if let Mode::Failed(p) = &*mode {
                <p class="fail" role="alert" id="scan-error">{ p.said().in_lang(l).to_owned() }</p>
            }
        </div>
    }
}
