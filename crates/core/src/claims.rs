//! Who holds each prize once winners forfeit (SPEC.md §7.4): the one rule the server, the
//! results page and every ticket's status apply, so they can never disagree.
//!
//! Forfeits are kept in the order they were made, each naming a prize. A forfeit takes the
//! prize from whoever holds it now — the winner, or an alternate who stepped in — and gives it
//! to the next alternate not yet used. Alternates are used in rank order, each at most once, and
//! an alternate who has stepped in is never moved to another prize.

use std::fmt;

/// Who holds, or held, a prize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The winner of prize `rank`.
    Winner(u32),
    /// Alternate of rank `rank` (from 0).
    Alternate(u32),
}

/// One prize and everyone who has held it, in order; all but the last forfeited it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrizeClaim {
    /// The prize (its winner's rank).
    pub prize: u32,
    /// The winner, then each alternate who stepped in, in order.
    pub holders: Vec<Holder>,
}

impl PrizeClaim {
    /// Who holds it now.
    pub fn current(&self) -> Holder {
        self.holders
            .last()
            .copied()
            .unwrap_or(Holder::Winner(self.prize))
    }

    /// Whether `h` held it and forfeited it.
    pub fn forfeited_by(&self, h: Holder) -> bool {
        self.holders.contains(&h) && self.current() != h
    }
}

/// An alternate's place in the claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlternateState {
    /// Not (yet) called.
    Waiting,
    /// Holds prize `prize` now.
    Holds {
        /// The prize.
        prize: u32,
    },
    /// Stepped in for prize `prize`, then forfeited it too.
    Forfeited {
        /// The prize.
        prize: u32,
    },
}

/// Every prize's holders and every alternate's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// One per prize, in prize order.
    pub prizes: Vec<PrizeClaim>,
    /// One per alternate, in rank order.
    pub alternates: Vec<AlternateState>,
}

/// A forfeit that cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForfeitError {
    /// There is no such prize.
    NoSuchPrize(u32),
    /// Every alternate has been used.
    NoAlternateLeft,
}

impl fmt::Display for ForfeitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchPrize(p) => write!(f, "there is no prize {p}"),
            Self::NoAlternateLeft => f.write_str("every alternate has been used"),
        }
    }
}

impl std::error::Error for ForfeitError {}

/// Applies `forfeits` (prize ranks, in the order the forfeits were made) to a draw of `prizes`
/// winners and `alternates` alternates.
pub fn apply_forfeits(
    prizes: u32,
    alternates: u32,
    forfeits: &[u32],
) -> Result<Claims, ForfeitError> {
    let mut claims = Claims {
        prizes: (0..prizes)
            .map(|p| PrizeClaim {
                prize: p,
                holders: vec![Holder::Winner(p)],
            })
            .collect(),
        alternates: vec![AlternateState::Waiting; alternates as usize],
    };
    // Each forfeit calls the next alternate: the k-th forfeit calls alternate k.
    for (next, &prize) in forfeits.iter().enumerate() {
        let next = u32::try_from(next).unwrap_or(u32::MAX);
        let claim = claims
            .prizes
            .get_mut(prize as usize)
            .ok_or(ForfeitError::NoSuchPrize(prize))?;
        if next >= alternates {
            return Err(ForfeitError::NoAlternateLeft);
        }
        if let Holder::Alternate(a) = claim.current() {
            claims.alternates[a as usize] = AlternateState::Forfeited { prize };
        }
        claim.holders.push(Holder::Alternate(next));
        claims.alternates[next as usize] = AlternateState::Holds { prize };
    }
    Ok(claims)
}

/// What a placed ticket's holder is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Holds prize `prize` now (as its winner, or as an alternate who stepped in).
    Holds {
        /// The prize.
        prize: u32,
        /// Set when the holder is an alternate who stepped in.
        stepped_in: bool,
    },
    /// Held prize `prize` and did not claim it.
    Forfeited {
        /// The prize.
        prize: u32,
    },
    /// An alternate not (yet) called.
    Waiting {
        /// The alternate's rank.
        rank: u32,
    },
}

impl Claims {
    /// The standing of winner `rank` (`Winner`) or alternate `rank` (`Alternate`).
    pub fn standing(&self, who: Holder) -> Option<Standing> {
        match who {
            Holder::Winner(p) => {
                let claim = self.prizes.get(p as usize)?;
                Some(if claim.forfeited_by(who) {
                    Standing::Forfeited { prize: p }
                } else {
                    Standing::Holds {
                        prize: p,
                        stepped_in: false,
                    }
                })
            }
            Holder::Alternate(a) => Some(match *self.alternates.get(a as usize)? {
                AlternateState::Waiting => Standing::Waiting { rank: a },
                AlternateState::Holds { prize } => Standing::Holds {
                    prize,
                    stepped_in: true,
                },
                AlternateState::Forfeited { prize } => Standing::Forfeited { prize },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternates_step_in_in_order_and_never_move() {
        // Prize 1 forfeited first, then prize 0: alternate 0 keeps prize 1.
        let c = apply_forfeits(2, 5, &[1, 0]).expect("claims");
        assert_eq!(c.prizes[1].current(), Holder::Alternate(0));
        assert_eq!(c.prizes[0].current(), Holder::Alternate(1));
        assert_eq!(
            c.standing(Holder::Alternate(0)),
            Some(Standing::Holds {
                prize: 1,
                stepped_in: true
            })
        );
        assert_eq!(
            c.standing(Holder::Winner(1)),
            Some(Standing::Forfeited { prize: 1 })
        );
        assert_eq!(
            c.standing(Holder::Alternate(2)),
            Some(Standing::Waiting { rank: 2 })
        );
    }

    #[test]
    fn a_stepped_in_alternate_can_forfeit_in_turn() {
        let c = apply_forfeits(2, 3, &[1, 1]).expect("claims");
        assert_eq!(
            c.prizes[1].holders,
            vec![
                Holder::Winner(1),
                Holder::Alternate(0),
                Holder::Alternate(1)
            ]
        );
        assert_eq!(
            c.standing(Holder::Alternate(0)),
            Some(Standing::Forfeited { prize: 1 })
        );
        assert_eq!(
            c.standing(Holder::Winner(0)),
            Some(Standing::Holds {
                prize: 0,
                stepped_in: false
            })
        );
        assert_eq!(
            apply_forfeits(2, 3, &[1, 1, 0, 0]),
            Err(ForfeitError::NoAlternateLeft)
        );
        assert_eq!(
            apply_forfeits(2, 3, &[2]),
            Err(ForfeitError::NoSuchPrize(2))
        );
    }
}
