//! fairdraw-core: the protocol of the fairdraw promotion lottery, specified in SPEC.md.
//!
//! Every part of fairdraw (the web app, the server, the `fairdraw-verify` CLI) calls this crate;
//! nobody reimplements it. It does no I/O, reads no clock and keeps no globals: callers pass in
//! "now" and whatever state (used fingerprints, cap counters) a decision needs. It builds for
//! `wasm32-unknown-unknown` and natively, and gives the same bytes on both.
//!
//! Modules follow the chain of evidence in SPEC.md:
//! [`money`] and [`receipt`] decide eligibility, [`rules`] fixes the campaign,
//! [`ledger`] and [`merkle`] make the append-only ledger, [`tree_head`] signs it,
//! [`seed`] and [`entropy`] derive the seed, [`sampler`] and [`draw`] select winners
//! ([`rfc3797`] is the alternative public-numbers algorithm), and [`record`] and [`verify`]
//! let anyone re-check everything.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod checkpoint;
pub mod civil;
pub mod claims;
pub mod demo;
pub mod draw;
pub mod drawtree;
pub mod encode;
pub mod entropy;
pub mod freeze;
pub mod hash;
pub mod identity;
pub mod journal;
pub mod ledger;
pub mod merkle;
pub mod message;
pub mod money;
pub mod note;
pub mod numbers;
pub mod phone;
pub mod receipt;
pub mod record;
pub mod rfc3797;
pub mod rules;
pub mod sampler;
pub mod seed;
pub mod summary;
pub mod tree_head;
pub mod vectors;
pub mod verify;

pub use hash::Hash32;
pub use message::Coded;
