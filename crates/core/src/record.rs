//! The draw record (SPEC.md §10): everything needed, with the published ledger, to recompute
//! every step of one draw. Serialised as JSON, versioned.

use crate::draw::{DrawError, Entrant, Selection, select_chacha20, select_rfc3797};
use crate::entropy::PublicEntropy;
use crate::freeze::SignedFreeze;
use crate::hash::Hash32;
use crate::ledger::{Ledger, PhoneOpening, TicketId};
use crate::rules::{ALGORITHM_CHACHA20, ALGORITHM_RFC3797, CampaignRules};
use crate::seed::{Reveal, SeedInputs, derive_seed};
use crate::summary::LedgerSummary;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The record format version this crate writes and reads. A version 1 record is refused with
/// a message naming its version (SPEC.md §10): v1 records certified themselves and cannot be
/// anchored.
pub const RECORD_VERSION: u32 = 2;

/// One selected leaf, with what the public sees of it: its masked phone, and the salt that
/// opens the leaf's phone commitment to it.
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
    /// The leaf's phone salt.
    #[serde(with = "crate::hash::hex_array")]
    pub phone_salt: [u8; 16],
}

impl Placement {
    /// The opening this placement publishes.
    pub fn opening(&self) -> PhoneOpening {
        PhoneOpening {
            phone_masked: self.phone_masked.clone(),
            phone_salt: self.phone_salt,
        }
    }
}

/// A complete draw record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// The campaign rules, whole.
    pub rules: CampaignRules,
    /// Their hash: the anchor, as published before entries opened.
    pub rules_hash: Hash32,
    /// Which draw (from 0).
    pub draw_index: u32,
    /// The signed freeze (ledger, weights, commitments).
    pub freeze: SignedFreeze,
    /// The revealed secrets, in the rules' party order.
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
    /// The witnessed journal and its cosigned checkpoints (SPEC.md §17), when the rules name
    /// witnesses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnessing: Option<crate::journal::Witnessing>,
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
    /// The phone opening of a placed leaf is missing or does not open its commitment.
    Opening(u64),
}

impl fmt::Display for ConductError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchDraw => f.write_str("the rules have no such draw"),
            Self::LedgerMismatch => f.write_str("the ledger does not match the freeze"),
            Self::Algorithm(a) => write!(f, "cannot run algorithm {a}"),
            Self::Draw(e) => e.fmt(f),
            Self::Opening(i) => write!(f, "no valid phone opening for leaf {i}"),
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
    freeze_hash: &Hash32,
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
            let numbers = entropy
                .public_numbers
                .as_ref()
                .ok_or_else(|| ConductError::Algorithm(algorithm.to_owned()))?;
            let key = crate::rfc3797::draw_key(&numbers.key, freeze_hash);
            select_rfc3797(&key, entrants, prizes, alternates).map_err(ConductError::Draw)
        }
        other => Err(ConductError::Algorithm(other.to_owned())),
    }
}

/// The placements of a selection, without their phone openings (zeroed): the verifier fills
/// them from the record and checks them against the ledger's commitments separately.
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
    /// The signed freeze.
    pub freeze: &'a SignedFreeze,
    /// The reveals, in the rules' party order.
    pub reveals: &'a [Reveal],
    /// The public entropy.
    pub entropy: &'a PublicEntropy,
}

/// The seed and the selection of a draw: everything but the phone openings, which only the
/// server holds. The live draw screen shows these, then asks the server for the openings of
/// exactly the placed leaves.
pub fn conduct_selection(i: &DrawInputs<'_>) -> Result<(Hash32, Selection), ConductError> {
    let draw = i.rules.draw(i.draw_index).ok_or(ConductError::NoSuchDraw)?;
    let f = &i.freeze.freeze;
    if i.ledger.size() != f.tree_size || i.ledger.root() != f.root {
        return Err(ConductError::LedgerMismatch);
    }
    let freeze_hash = f.hash();
    let seed = derive_seed(&SeedInputs {
        freeze_hash: &freeze_hash,
        reveals: i.reveals,
        entropy: i.entropy,
    });
    let prizes = u32::try_from(draw.prizes.len()).unwrap_or(u32::MAX);
    let selection = run_selection(
        &draw.algorithm,
        &seed,
        &freeze_hash,
        i.entropy,
        &entrants(i.ledger),
        prizes,
        draw.alternates,
    )?;
    Ok((seed, selection))
}

/// Assembles the record of a conducted selection, with each placed leaf's phone opening from
/// `opening` (checked against the leaf's commitment). It does not judge the inputs:
/// [`crate::verify::verify_record`] does, on the result.
pub fn assemble_record(
    i: &DrawInputs<'_>,
    seed: Hash32,
    selection: &Selection,
    opening: impl Fn(u64) -> Option<PhoneOpening>,
) -> Result<DrawRecord, ConductError> {
    let draw = i.rules.draw(i.draw_index).ok_or(ConductError::NoSuchDraw)?;
    // Only the placed leaves are read: no pass over the whole ledger.
    let place = |rank: usize, index: u64, prize: Option<String>| {
        let leaf = usize::try_from(index)
            .ok()
            .and_then(|k| i.ledger.leaves.get(k))
            .ok_or(ConductError::Opening(index))?;
        let o = opening(index)
            .filter(|o| o.commitment() == leaf.phone_commitment)
            .ok_or(ConductError::Opening(index))?;
        Ok(Placement {
            rank: rank as u32,
            prize,
            leaf_index: index,
            ticket_id: leaf.ticket_id,
            participant: leaf.participant,
            phone_masked: o.phone_masked,
            phone_salt: o.phone_salt,
        })
    };
    let winners = selection
        .winners
        .iter()
        .enumerate()
        .map(|(r, ix)| place(r, *ix, draw.prizes.get(r).map(|p| p.name.clone())))
        .collect::<Result<Vec<_>, ConductError>>()?;
    let alternates = selection
        .alternates
        .iter()
        .enumerate()
        .map(|(r, ix)| place(r, *ix, None))
        .collect::<Result<Vec<_>, ConductError>>()?;
    Ok(DrawRecord {
        version: RECORD_VERSION,
        rules: i.rules.clone(),
        rules_hash: i.rules.hash(),
        draw_index: i.draw_index,
        freeze: i.freeze.clone(),
        reveals: i.reveals.to_vec(),
        public_entropy: i.entropy.clone(),
        seed,
        algorithm: draw.algorithm.clone(),
        winners,
        alternates,
        witnessing: None,
    })
}

/// [`conduct_selection`] then [`assemble_record`].
pub fn conduct_draw(
    i: &DrawInputs<'_>,
    opening: impl Fn(u64) -> Option<PhoneOpening>,
) -> Result<DrawRecord, ConductError> {
    let (seed, selection) = conduct_selection(i)?;
    assemble_record(i, seed, &selection, opening)
}
