//! The set-membership guilt model: which agents probably leaked a set of records, judged only by who
//! received which records.
//!
//! This is the baseline of P. Papadimitriou and H. Garcia-Molina, "Data Leakage Detection", IEEE Transactions
//! on Knowledge and Data Engineering 23(1), 2011, pp. 51–63, section 3. Agents `U_i` received record sets
//! `R_i`; a leaked set `S` was found; the target could have obtained each leaked object independently with
//! probability `p`. Under the paper's two assumptions — the source of each leaked object is independent of
//! the others, and an object that came from the agents came from any one of its holders with equal
//! probability — the probability that agent `U_i` leaked at least one object is
//!
//! ```text
//! Pr{G_i | S} = 1 − Π_{t ∈ S ∩ R_i} (1 − (1 − p) / |V_t|)
//! ```
//!
//! where `V_t` is the set of agents that received `t`. The probabilities are per agent and do not sum to one:
//! several agents can be guilty at once. An agent holding none of the leaked objects has probability zero
//! and is left out of the result.
//!
//! Guarantees: the leaked set and each `V_t` are treated as sets (duplicates count once); the result is
//! deterministic (ties keep the order in which agents were first met while walking `leaked`). Objects that no
//! agent received are only counted: they came from outside kura, or are canaries, which the caller handles.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// One agent's estimated guilt.
#[derive(Debug, Clone, PartialEq)]
pub struct Guilt<A> {
    /// The agent (a principal, an export, a recipient: whatever the caller's holders are).
    pub agent: A,
    /// `Pr{G_i | S}`, in `[0, 1]`.
    pub probability: f64,
    /// Distinct leaked objects this agent received (`|S ∩ R_i|`).
    pub held: usize,
}

/// The guilt of every agent that received part of a leak.
#[derive(Debug, Clone, PartialEq)]
pub struct Report<A> {
    /// Agents holding at least one leaked object, most probably guilty first.
    pub agents: Vec<Guilt<A>>,
    /// Distinct leaked objects (`|S|`).
    pub leaked: usize,
    /// Distinct leaked objects that no agent received.
    pub unattributed: usize,
}

/// Error estimating guilt.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GuiltError {
    /// `p` must be at least 0 and below 1: at 1 every object could have been guessed and nobody is guilty.
    #[error("the guess probability must be at least 0 and below 1, not `{0}`")]
    Probability(f64),
}

/// Estimates each agent's guilt for the leaked objects `leaked`, where `holders(t)` gives the agents that
/// received `t` and `p` is the probability that the target obtained an object independently.
///
/// Runs in time linear in the total number of (object, holder) pairs.
pub fn guilt<T, A, I>(leaked: &[T], holders: impl Fn(&T) -> I, p: f64) -> Result<Report<A>, GuiltError>
where
    T: Eq + Hash,
    A: Eq + Hash + Clone,
    I: IntoIterator<Item = A>,
{
    if !(0.0..1.0).contains(&p) {
        return Err(GuiltError::Probability(p));
    }
    let mut seen = HashSet::new();
    let mut index: HashMap<A, usize> = HashMap::new();
    // Per agent in first-met order: the agent, Σ ln(1 − (1 − p)/|V_t|), and |S ∩ R_i|.
    let mut agents: Vec<(A, f64, usize)> = Vec::new();
    let mut unattributed = 0;
    for t in leaked {
        if !seen.insert(t) {
            continue;
        }
        let mut v_t: Vec<A> = Vec::new();
        let mut in_v_t = HashSet::new();
        for agent in holders(t) {
            if in_v_t.insert(agent.clone()) {
                v_t.push(agent);
            }
        }
        if v_t.is_empty() {
            unattributed += 1;
            continue;
        }
        // Summing logarithms keeps small probabilities accurate; ln(0) = −∞ gives probability 1 when p = 0
        // and the object has a single holder.
        let log_factor = (-(1.0 - p) / v_t.len() as f64).ln_1p();
        for agent in v_t {
            let i = *index.entry(agent.clone()).or_insert_with(|| {
                agents.push((agent, 0.0, 0));
                agents.len() - 1
            });
            if let Some((_, log_innocent, held)) = agents.get_mut(i) {
                *log_innocent += log_factor;
                *held += 1;
            }
        }
    }
    let mut agents: Vec<Guilt<A>> = agents
        .into_iter()
        .map(|(agent, log_innocent, held)| Guilt { agent, probability: -log_innocent.exp_m1(), held })
        .collect();
    // Stable: ties keep first-met order.
    agents.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    Ok(Report { agents, leaked: seen.len(), unattributed })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts two probabilities agree to 1e-12.
    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
    }

    fn probabilities<A: Clone>(report: &Report<A>) -> Vec<(A, f64, usize)> {
        report.agents.iter().map(|g| (g.agent.clone(), g.probability, g.held)).collect()
    }

    #[test]
    fn one_agent_holding_everything_is_guilty_unless_all_was_guessed() {
        // Pr = 1 − Π (1 − (1 − p)) = 1 − p^|S|.
        for (p, n) in [(0.2, 3usize), (0.5, 1), (0.9, 10)] {
            let leaked: Vec<u32> = (0..n as u32).collect();
            let report = guilt(&leaked, |_| ["u1"], p);
            let agents = report.as_ref().map(probabilities).unwrap_or_default();
            assert_eq!(agents.len(), 1);
            for (agent, probability, held) in agents {
                assert_eq!((agent, held), ("u1", n));
                close(probability, 1.0 - p.powi(n as i32));
            }
        }
    }

    #[test]
    fn two_agents_sharing_everything_split_the_suspicion() {
        // Pr = 1 − (1 − (1 − p)/2)^|S| = 1 − ((1 + p)/2)^|S| for each: 1 − 0.75³ = 0.578125 at p = 0.5.
        let report = guilt(&["a", "b", "c"], |_| vec!["u1", "u2"], 0.5);
        let agents = report.as_ref().map(probabilities).unwrap_or_default();
        assert_eq!(agents.len(), 2);
        for (_, probability, held) in agents {
            close(probability, 0.578_125);
            assert_eq!(held, 3);
        }
    }

    #[test]
    fn agents_rank_by_probability_and_non_holders_are_absent() {
        // R1 = {t1, t2}, R2 = {t1, t3}, R3 = {t4}, R4 = {t2}; S = {t1, t2, t3, t9}, t9 received by nobody.
        // U2 holds a shared and an exclusive object, U1 two shared ones, U4 one shared one, U3 none.
        let holders = |t: &&str| -> Vec<u8> {
            match *t {
                "t1" => vec![1, 2],
                "t2" => vec![1, 4],
                "t3" => vec![2],
                "t4" => vec![3],
                _ => vec![],
            }
        };
        let p = 0.2;
        let report = guilt(&["t2", "t1", "t3", "t9"], holders, p);
        let agents = report.as_ref().map(probabilities).unwrap_or_default();
        let order: Vec<u8> = agents.iter().map(|(a, _, _)| *a).collect();
        assert_eq!(order, [2, 1, 4]);
        let half = 1.0 - (1.0 - p) / 2.0; // an object with two holders
        let expected = [(2, 1.0 - half * p, 2), (1, 1.0 - half * half, 2), (4, 1.0 - half, 1)];
        for ((agent, probability, held), (e_agent, e_probability, e_held)) in agents.into_iter().zip(expected) {
            assert_eq!((agent, held), (e_agent, e_held));
            close(probability, e_probability);
        }
        assert_eq!(report.map(|r| (r.leaked, r.unattributed)), Ok((4, 1)));
    }

    #[test]
    fn ties_keep_first_met_order_and_duplicates_count_once() {
        let report =
            guilt(&["x", "y", "x"], |t: &&str| if *t == "x" { vec!["b", "a", "b"] } else { vec!["a", "b"] }, 0.0);
        let agents = report.as_ref().map(probabilities).unwrap_or_default();
        assert_eq!(agents.iter().map(|(a, _, held)| (*a, *held)).collect::<Vec<_>>(), [("b", 2), ("a", 2)]);
        // p = 0, two objects each shared by two: 1 − (1/2)² = 0.75.
        for (_, probability, _) in agents {
            close(probability, 0.75);
        }
        assert_eq!(report.map(|r| r.leaked), Ok(2));
    }

    #[test]
    fn with_p_zero_a_sole_holder_is_certainly_guilty() {
        let report = guilt(&[1, 2], |t: &i32| if *t == 1 { vec!["solo"] } else { vec!["solo", "other"] }, 0.0);
        let agents = report.map(|r| probabilities(&r)).unwrap_or_default();
        assert_eq!(agents.first().map(|(a, p, _)| (*a, *p)), Some(("solo", 1.0)));
        assert!(agents.get(1).is_some_and(|(a, p, _)| *a == "other" && (*p - 0.5).abs() < 1e-12));
    }

    #[test]
    fn a_leak_nobody_received_names_nobody() {
        let report = guilt(&["outside"], |_| Vec::<&str>::new(), 0.5);
        assert_eq!(report.map(|r| (r.agents.len(), r.leaked, r.unattributed)), Ok((0, 1, 1)));
    }

    #[test]
    fn p_must_be_in_zero_to_one() {
        for p in [-0.1, 1.0, 1.5, f64::NAN] {
            let report = guilt(&[1], |_| ["u1"], p);
            assert!(matches!(report, Err(GuiltError::Probability(_))), "{p}");
        }
        let message = guilt(&[1], |_| ["u1"], 1.0).err().map(|e| e.to_string());
        assert_eq!(message.as_deref(), Some("the guess probability must be at least 0 and below 1, not `1`"));
    }

    #[test]
    fn many_objects_stay_accurate() {
        // A small probability survives (1 − p for one object and one holder), and a large leak saturates at 1.
        let report = guilt(&[1], |_| ["u1"], 0.999);
        let p = report.ok().and_then(|r| r.agents.first().map(|g| g.probability));
        assert!(p.is_some_and(|p| (p - 0.001).abs() < 1e-15));
        let leaked: Vec<u32> = (0..10_000).collect();
        let report = guilt(&leaked, |_| ["u1", "u2"], 0.5);
        assert!(report.is_ok_and(|r| r.agents.iter().all(|g| g.probability == 1.0 && g.held == 10_000)));
    }
}
