//! Web storage that may not be there: some in-app browsers turn DOM storage off, and then even
//! asking for `localStorage` throws. Values are JSON, as gloo-storage wrote them, so what
//! earlier versions kept is still read. Nothing here panics: without storage the app works and
//! only forgets (tickets on the phone, the language, a ceremony in progress).

use serde::Serialize;
use serde::de::DeserializeOwned;

fn area(session: bool) -> Option<web_sys::Storage> {
    let w = web_sys::window()?;
    let s = if session {
        w.session_storage()
    } else {
        w.local_storage()
    };
    s.ok().flatten()
}

fn read<T: DeserializeOwned>(session: bool, key: &str) -> Option<T> {
    let text = area(session)?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn write<T: Serialize + ?Sized>(session: bool, key: &str, value: &T) -> bool {
    let (Some(s), Ok(text)) = (area(session), serde_json::to_string(value)) else {
        return false;
    };
    s.set_item(key, &text).is_ok()
}

/// A value kept on this device, if storage works and it is there.
pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    read(false, key)
}

/// Keeps a value on this device; false when storage is off or full.
pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> bool {
    write(false, key, value)
}

/// Forgets a value kept on this device.
pub fn delete(key: &str) {
    if let Some(s) = area(false) {
        let _ = s.remove_item(key);
    }
}

/// A value kept for this tab.
pub fn session_get<T: DeserializeOwned>(key: &str) -> Option<T> {
    read(true, key)
}

/// Keeps a value for this tab; false when storage is off or full.
pub fn session_set<T: Serialize + ?Sized>(key: &str, value: &T) -> bool {
    write(true, key, value)
}
