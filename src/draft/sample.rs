//! Choosing the next token: greedy, or nucleus (top-p) sampling from a seeded generator so
//! that a prompt drafts the same opener every time.

/// How the next token is chosen.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    /// 0 = greedy (the most likely token).
    pub temperature: f32,
    /// Nucleus: sample among the most likely tokens whose probabilities sum to this.
    pub top_p: f32,
    pub seed: u64,
}

/// A token choice and the model's probability for it (at temperature 1: the confidence
/// that the stop rules read).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    pub token: u32,
    pub prob: f32,
}

/// Picks tokens for one draft.
pub struct Sampler {
    sampling: Sampling,
    state: u64,
}

impl Sampler {
    /// A sampler whose random stream depends on the configured seed and on `salt` (the
    /// prompt), so that one prompt always gets the same opener.
    pub fn new(sampling: Sampling, salt: u64) -> Sampler {
        Sampler {
            sampling,
            state: sampling.seed ^ salt.rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// The next token from a row of logits.
    pub fn pick(&mut self, logits: &[f32]) -> Pick {
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = logits.iter().map(|&l| (l - max).exp()).sum();
        let prob = |i: usize| (logits[i] - max).exp() / sum;
        if self.sampling.temperature <= 0.0 {
            let best = logits
                .iter()
                .enumerate()
                .fold(0, |b, (i, &l)| if l > logits[b] { i } else { b });
            return Pick {
                token: best as u32,
                prob: prob(best),
            };
        }
        let t = self.sampling.temperature;
        let mut ranked: Vec<(usize, f32)> = logits
            .iter()
            .enumerate()
            .map(|(i, &l)| (i, ((l - max) / t).exp()))
            .collect();
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        let total: f32 = ranked.iter().map(|r| r.1).sum();
        let mut kept = 0.0;
        let mut n = 0;
        while n < ranked.len() && (n == 0 || kept < self.sampling.top_p * total) {
            kept += ranked[n].1;
            n += 1;
        }
        let mut target = self.next_unit() * kept;
        let mut chosen = ranked[n - 1].0;
        for &(i, w) in &ranked[..n] {
            if target < w {
                chosen = i;
                break;
            }
            target -= w;
        }
        Pick {
            token: chosen as u32,
            prob: prob(chosen),
        }
    }

    /// A uniform number in [0, 1) (SplitMix64).
    fn next_unit(&mut self) -> f32 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREEDY: Sampling = Sampling {
        temperature: 0.0,
        top_p: 1.0,
        seed: 0,
    };

    #[test]
    fn greedy_takes_the_most_likely_token_with_its_probability() {
        let pick = Sampler::new(GREEDY, 1).pick(&[0.0, 2.0, 1.0]);
        assert_eq!(pick.token, 1);
        let expected = 2f32.exp() / (1.0 + 2f32.exp() + 1f32.exp());
        assert!((pick.prob - expected).abs() < 1e-6);
    }

    #[test]
    fn top_p_samples_only_inside_the_nucleus_and_repeats_with_the_seed() {
        let sampling = Sampling {
            temperature: 1.0,
            top_p: 0.9,
            seed: 7,
        };
        // Token 3 holds ~0.1% of the mass: outside a 0.9 nucleus.
        let logits = [3.0, 3.0, 3.0, -4.0];
        let draw = |salt| {
            let mut s = Sampler::new(sampling, salt);
            (0..200).map(|_| s.pick(&logits).token).collect::<Vec<_>>()
        };
        let a = draw(42);
        assert!(a.iter().all(|&t| t < 3), "sampled outside the nucleus");
        for t in 0..3 {
            assert!(a.contains(&t), "token {t} never drawn");
        }
        assert_eq!(a, draw(42));
        assert_ne!(a, draw(43));
    }
}
