//! The statistics that need no data frame: the Poisson tail of the emerging-issue and
//! new-term tests, and Erlang B and C for staffing.

/// P(X ≥ k) for X ~ Poisson(λ).
///
/// Summed outward from P(X = k) in log space, away from the mode so the terms shrink:
/// upwards when k > λ (the tail itself, exact down to about 1e-300, where `1 − lower
/// sum` would stop at 1e-16), downwards for `1 − P(X < k)` otherwise. Starting from
/// e^−λ instead would underflow to 0 for λ above about 745 and call every large
/// category insignificant.
pub fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda.is_nan() || lambda <= 0.0 {
        return 0.0;
    }
    let kf = k as f64;
    let log_pk = -lambda + kf * lambda.ln() - ln_factorial(k);
    let pk = log_pk.exp();
    if kf > lambda {
        let (mut sum, mut term, mut i) = (pk, pk, kf);
        loop {
            i += 1.0;
            term *= lambda / i;
            sum += term;
            if term <= sum * 1e-17 || term == 0.0 {
                break;
            }
        }
        sum.min(1.0)
    } else {
        // P(X ≤ k − 1), from P(X = k − 1) down to P(X = 0).
        let (mut below, mut term, mut i) = (0.0, pk, kf);
        while i > 0.0 {
            term *= i / lambda;
            below += term;
            i -= 1.0;
            if term <= below * 1e-17 {
                break;
            }
        }
        (1.0 - below).clamp(0.0, 1.0)
    }
}

/// P(X ≥ k) for X ~ Binomial(n, p), summed in log space from P(X = k) outward like
/// [`poisson_upper_tail`], so tiny tails stay exact.
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p.is_nan() || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let log_pmf = |i: u64| {
        ln_factorial(n) - ln_factorial(i) - ln_factorial(n - i)
            + i as f64 * p.ln()
            + (n - i) as f64 * (1.0 - p).ln()
    };
    let mean = n as f64 * p;
    if k as f64 > mean {
        let mut sum = 0.0;
        for i in k..=n {
            let term = log_pmf(i).exp();
            sum += term;
            if term <= sum * 1e-17 {
                break;
            }
        }
        sum.min(1.0)
    } else {
        let mut below = 0.0;
        for i in (0..k).rev() {
            let term = log_pmf(i).exp();
            below += term;
            if term <= below * 1e-17 {
                break;
            }
        }
        (1.0 - below).clamp(0.0, 1.0)
    }
}

/// Two-sided p-value that a count's rate changed between two periods: `current` of
/// `current_base` contacts against `previous` of `previous_base`. Under no change both
/// are Poisson with one rate, so given their sum the current count is binomial with
/// p = current_base ÷ (current_base + previous_base) (the conditional test for two
/// Poisson rates). `None` without counts or bases to test.
pub fn two_period_p(
    current: u64,
    current_base: u64,
    previous: u64,
    previous_base: u64,
) -> Option<f64> {
    let n = current + previous;
    if n == 0 || current_base == 0 || previous_base == 0 {
        return None;
    }
    let p = current_base as f64 / (current_base + previous_base) as f64;
    let upper = binomial_upper_tail(current, n, p);
    let lower = 1.0 - binomial_upper_tail(current + 1, n, p);
    Some((2.0 * upper.min(lower)).min(1.0))
}

/// ln(n!): exact sum for small n, Stirling's series (error below 1e-15) beyond.
fn ln_factorial(n: u64) -> f64 {
    if n < 20 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

/// Erlang B blocking probability for `agents` servers and `traffic` Erlangs.
pub fn erlang_b(agents: u32, traffic: f64) -> f64 {
    let mut b = 1.0;
    for n in 1..=agents {
        b = traffic * b / (f64::from(n) + traffic * b);
    }
    b
}

/// Erlang C probability that a contact waits; 1 when the agents cannot keep up.
pub fn erlang_c(agents: u32, traffic: f64) -> f64 {
    if traffic <= 0.0 {
        return 0.0;
    }
    let n = f64::from(agents);
    if n <= traffic {
        return 1.0;
    }
    let b = erlang_b(agents, traffic);
    n * b / (n - traffic * (1.0 - b))
}

/// Share of contacts answered within `answer_s` seconds.
pub fn service_level(agents: u32, traffic: f64, aht_s: f64, answer_s: f64) -> f64 {
    if traffic <= 0.0 {
        return 1.0;
    }
    let n = f64::from(agents);
    if n <= traffic || aht_s <= 0.0 {
        return 0.0;
    }
    1.0 - erlang_c(agents, traffic) * (-(n - traffic) * answer_s / aht_s).exp()
}

/// Fewest agents reaching `target` service level; 0 without traffic.
pub fn agents_needed(traffic: f64, aht_s: f64, answer_s: f64, target: f64) -> u32 {
    if traffic.is_nan() || traffic <= 0.0 || aht_s.is_nan() || aht_s <= 0.0 {
        return 0;
    }
    let mut n = traffic.floor() as u32 + 1;
    // The service level rises with every agent and reaches any target below 1 within a
    // few hundred agents of the traffic; the cap only guards against bad input.
    let cap = n.saturating_add(100_000);
    while n < cap && service_level(n, traffic, aht_s, answer_s) < target {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tail_and_two_period_test_by_hand() {
        // Bin(4, ½): P(X ≥ 3) = (4 + 1) / 16.
        assert!((binomial_upper_tail(3, 4, 0.5) - 5.0 / 16.0).abs() < 1e-12);
        assert!((binomial_upper_tail(1, 4, 0.5) - 15.0 / 16.0).abs() < 1e-12);
        assert_eq!(binomial_upper_tail(5, 4, 0.5), 0.0);
        // 1 → 9 on equal bases: P(X ≥ 9 | n = 10, ½) = 11 / 1024, doubled.
        let p = two_period_p(9, 100, 1, 100).unwrap();
        assert!((p - 22.0 / 1024.0).abs() < 1e-12, "{p}");
        // The same split the other way is as significant.
        assert!((two_period_p(1, 100, 9, 100).unwrap() - p).abs() < 1e-12);
        // 25 → 33 is no evidence of change; twice the contacts doubles the expectation.
        assert!(two_period_p(33, 100, 25, 100).unwrap() > 0.3);
        assert!(two_period_p(20, 200, 10, 100).unwrap() > 0.99);
        assert_eq!(two_period_p(0, 100, 0, 100), None);
        assert_eq!(two_period_p(3, 0, 1, 100), None);
    }

    #[test]
    fn poisson_tail_matches_hand_computation() {
        // λ = 2: P(X ≥ 3) = 1 - e^-2 (1 + 2 + 2) = 0.3233235838
        assert!((poisson_upper_tail(3, 2.0) - 0.323_323_583_8).abs() < 1e-9);
        assert_eq!(poisson_upper_tail(0, 5.0), 1.0);
        assert_eq!(poisson_upper_tail(4, 0.0), 0.0);
        // Reference values summed with 60-digit decimals:
        // P(X ≥ 30 | 3) = 4.2770477214e-20, far below what 1 − CDF can show.
        let tiny = poisson_upper_tail(30, 3.0);
        assert!((tiny / 4.277_047_721_4e-20 - 1.0).abs() < 1e-9, "{tiny}");
        // Large λ, where e^-λ underflows: P(X ≥ 1000 | 1000) = 0.5042052442,
        // P(X ≥ 1100 | 1000) = 0.000962630406.
        assert!((poisson_upper_tail(1000, 1000.0) - 0.504_205_244_2).abs() < 1e-9);
        assert!((poisson_upper_tail(1100, 1000.0) / 9.626_304_06e-4 - 1.0).abs() < 1e-8);
        // k below λ: 1 − P(X ≤ 1) for λ = 5 = 1 − 6e^-5.
        assert!((poisson_upper_tail(2, 5.0) - (1.0 - 6.0 * (-5.0f64).exp())).abs() < 1e-14);
        assert!((ln_factorial(25) - (1..=25).map(|i| (i as f64).ln()).sum::<f64>()).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_matches_the_textbook_example() {
        // 10 Erlangs (e.g. 200 calls an hour of 180 s), target 80% within 20 s.
        // Published: 11 agents wait 68.2%, SL 39.0%; 13 agents SL 79.6%; 14 agents
        // wait 17.4%, SL 88.8% — so 14 agents.
        assert!((erlang_c(11, 10.0) - 0.682_118).abs() < 1e-6);
        assert!((service_level(11, 10.0, 180.0, 20.0) - 0.389_614).abs() < 1e-6);
        assert!((service_level(13, 10.0, 180.0, 20.0) - 0.795_595).abs() < 1e-6);
        assert!((erlang_c(14, 10.0) - 0.174_132).abs() < 1e-6);
        assert!((service_level(14, 10.0, 180.0, 20.0) - 0.888_350).abs() < 1e-6);
        assert_eq!(agents_needed(10.0, 180.0, 20.0, 0.8), 14);
        // Erlang B by hand: A = 2, N = 2: B = A²/2 / (1 + A + A²/2) = 2/5.
        assert!((erlang_b(2, 2.0) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(erlang_c(5, 0.0), 0.0);
        assert_eq!(erlang_c(5, 5.0), 1.0);
        assert_eq!(service_level(5, 6.0, 180.0, 20.0), 0.0);
        assert_eq!(agents_needed(0.0, 180.0, 20.0, 0.8), 0);
        assert_eq!(agents_needed(f64::NAN, 180.0, 20.0, 0.8), 0);
        assert_eq!(agents_needed(3.0, 0.0, 20.0, 0.8), 0);
    }
}
