//! The draw record (SPEC.md §10): everything needed, with the published ledger, to recompute
//! every step of one draw. Serialised as JSON, versioned.

use crate::draw::{DrawError, Entrant, Selection, select_chacha20, select_rfc3797};
use crate::entropy::PublicEntropy;
use crate::hash::Hash32;
use crate::ledger::{Ledger, TicketId};
use crate::rules::{ALGORITHM_CHACHA20, ALGORITHM_RFC3797, CampaignRules};
use crate::seed::{Reveal, SeedCommitment, SeedInputs, derive_seed};
use crate::summary::LedgerSummary;
use crate::tree_head::SignedTreeHead;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The record format version this crate writes and reads.
pub const RECORD_VERSION: u32 = 1;

/// One selected leaf, with what the public sees of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// 0-based prize number, or 0-based alternate rank.
    pub rank: u32,
    /// The prize's name (winners only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prize: Option<String>,
    /// The leaf index.
    pub leaf_index: u64,
    /// The ticket.
    pub ticket_id: TicketId,
    /// The participant pseudonym.
    pub participant: Hash32,
    /// The masked phone.
    pub phone_masked: String,
}

/// A complete draw record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// The campaign rules, whole.
    pub rules: CampaignRules,
    /// Their hash, as published before entries opened.
    pub rules_hash: Hash32,
    /// Which draw (from 0).
    pub draw_index: u32,
    /// The freeze: the signed tree head of the frozen ledger.
    pub tree_head: SignedTreeHead,
    /// Seed commitments, in the rules' party order.
    pub commitments: Vec<SeedCommitment>,
    /// The revealed secrets, in the same order.
    pub reveals: Vec<Reveal>,
    /// The public entropy.
    pub public_entropy: PublicEntropy,
    /// The seed.
    pub seed: Hash32,
    /// The selection algorithm id.
    pub algorithm: String,
    /// Prize winners, in prize order.
    pub winners: Vec<Placement>,
    /// Alternates, in rank order.
    pub alternates: Vec<Placement>,
}

/// Why a draw could not be conducted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConductError {
    /// The draw index is not in the rules.
    NoSuchDraw,
    /// The ledger is not the frozen one.
    LedgerMismatch,
    /// The rules name an unknown algorithm or lack the entropy it needs.
    Algorithm(String),
    /// The selection failed.
    Draw(DrawError),
}

impl fmt::Display for ConductError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchDraw => f.write_str("the rules have no such draw"),
            Self::LedgerMismatch => f.write_str("the ledger does not match the frozen tree head"),
            Self::Algorithm(a) => write!(f, "cannot run algorithm {a}"),
            Self::Draw(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConductError {}

/// The entrants of a ledger, for selection.
pub fn entrants(ledger: &Ledger) -> Vec<Entrant> {
    ledger
        .leaves
        .iter()
        .map(|l| Entrant {
            participant: l.participant,
            weight: l.weight,
        })
        .collect()
}

/// Runs the selection the rules name on these inputs.
pub fn run_selection(
    algorithm: &str,
    seed: &Hash32,
    entropy: &PublicEntropy,
    entrants: &[Entrant],
    prizes: u32,
    alternates: u32,
) -> Result<Selection, ConductError> {
    match algorithm {
        ALGORITHM_CHACHA20 => {
            select_chacha20(seed, entrants, prizes, alternates).map_err(ConductError::Draw)
        }
        ALGORITHM_RFC3797 => {
            let key = entropy
                .public_numbers
                .as_ref()
                .ok_or_else(|| ConductError::Algorithm(algorithm.to_owned()))?;
            select_rfc3797(&key.key, entrants, prizes, alternates).map_err(ConductError::Draw)
        }
        other => Err(ConductError::Algorithm(other.to_owned())),
    }
}

pub(crate) fn placements_for(
    rules: &CampaignRules,
    draw: u32,
    ledger: &LedgerSummary,
    s: &Selection,
) -> (Vec<Placement>, Vec<Placement>) {
    let prizes = rules.draw(draw).map(|d| d.prizes.as_slice()).unwrap_or(&[]);
    let winners = s
        .winners
        .iter()
        .enumerate()
        .map(|(r, i)| ledger.placement(r as u32, *i, prizes.get(r).map(|p| p.name.clone())))
        .collect();
    let alternates = s
        .alternates
        .iter()
        .enumerate()
        .map(|(r, i)| ledger.placement(r as u32, *i, None))
        .collect();
    (winners, alternates)
}

/// Everything the organizer brings to the live draw.
#[derive(Debug, Clone)]
pub struct DrawInputs<'a> {
    /// The rules.
    pub rules: &'a CampaignRules,
    /// Which draw.
    pub draw_index: u32,
    /// The frozen ledger.
    pub ledger: &'a Ledger,
    /// Its signed tree head.
    pub tree_head: &'a SignedTreeHead,
    /// The commitments made before close.
    pub commitments: &'a [SeedCommitment],
    /// The reveals.
    pub reveals: &'a [Reveal],
    /// The public entropy.
    pub entropy: &'a PublicEntropy,
}

/// Derives the seed, runs the selection and assembles the record. It does not judge the inputs:
/// [`crate::verify::verify_record`] does, on the result.
pub fn conduct_draw(i: &DrawInputs<'_>) -> Result<DrawRecord, ConductError> {
    let draw = i.rules.draw(i.draw_index).ok_or(ConductError::NoSuchDraw)?;
    if i.ledger.size() != i.tree_head.head.tree_size || i.ledger.root() != i.tree_head.head.root {
        return Err(ConductError::LedgerMismatch);
    }
    let rules_hash = i.rules.hash();
    let seed = derive_seed(&SeedInputs {
        rules_hash: &rules_hash,
        draw_index: i.draw_index,
        tree_size: i.tree_head.head.tree_size,
        root: &i.tree_head.head.root,
        reveals: i.reveals,
        entropy: i.entropy,
    });
    let prizes = u32::try_from(draw.prizes.len()).unwrap_or(u32::MAX);
    let summary = LedgerSummary::of(i.ledger, None);
    let selection = run_selection(
        &draw.algorithm,
        &seed,
        i.entropy,
        &summary.entrants,
        prizes,
        draw.alternates,
    )?;
    let (winners, alternates) = placements_for(i.rules, i.draw_index, &summary, &selection);
    Ok(DrawRecord {
        version: RECORD_VERSION,
        rules: i.rules.clone(),
        rules_hash,
        draw_index: i.draw_index,
        tree_head: i.tree_head.clone(),
        commitments: i.commitments.to_vec(),
        reveals: i.reveals.to_vec(),
        public_entropy: i.entropy.clone(),
        seed,
        algorithm: draw.algorithm.clone(),
        winners,
        alternates,
    })
}
