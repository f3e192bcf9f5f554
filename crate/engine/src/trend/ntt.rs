//! Exact integer autocorrelation `c_k = sum_i v_i v_(i+k)` for all lags at
//! once, by number-theoretic transforms (FFTs over the integers mod a prime):
//! O(n log n) instead of O(n^2), and exact, unlike a float64 FFT.
//!
//! The correlation is the convolution of `v` with `v` reversed, padded to a
//! power of two at least `2n - 1` (no wrap-around). Modulo one 62-bit prime
//! `P1` the result is exact while `sum v_i^2 < P1 / 2` (every `|c_k|` is at
//! most that, by Cauchy-Schwarz); beyond, a second prime `P2` and the Chinese
//! remainder theorem give exact values up to `P1 * P2 / 2` (about 2^123, more
//! than `n^3` for any `n` below 2^40). Arithmetic is Montgomery's (R = 2^64).

/// A prime `c * 2^k + 1` with its primitive root.
#[derive(Clone, Copy)]
struct Prime {
    p: u64,
    root: u64,
    /// `p - 1` is divisible by `2^two_adic`: the largest transform length.
    two_adic: u32,
}

const P1: Prime = Prime { p: 4_179_340_454_199_820_289, root: 3, two_adic: 57 }; // 29 * 2^57 + 1
const P2: Prime = Prime { p: 4_611_546_380_450_660_353, root: 5, two_adic: 40 }; // 4194177 * 2^40 + 1

/// Montgomery arithmetic modulo an odd `p < 2^62`.
struct Mont {
    p: u64,
    /// `-p^-1 mod 2^64`.
    neg_inv: u64,
    /// `2^128 mod p`, to enter Montgomery form.
    r2: u64,
}

impl Mont {
    fn new(p: u64) -> Mont {
        // Newton's iteration for p^-1 mod 2^64 (each step doubles the correct bits).
        let mut inv: u64 = p;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p.wrapping_mul(inv)));
        }
        let r = ((1u128 << 64) % p as u128) as u64;
        let r2 = ((r as u128 * r as u128) % p as u128) as u64;
        Mont { p, neg_inv: inv.wrapping_neg(), r2 }
    }

    #[inline]
    fn redc(&self, t: u128) -> u64 {
        let m = (t as u64).wrapping_mul(self.neg_inv);
        let u = ((t + m as u128 * self.p as u128) >> 64) as u64;
        if u >= self.p {
            u - self.p
        } else {
            u
        }
    }

    #[inline]
    fn mul(&self, a: u64, b: u64) -> u64 {
        self.redc(a as u128 * b as u128)
    }

    #[inline]
    fn add(&self, a: u64, b: u64) -> u64 {
        let s = a + b;
        if s >= self.p {
            s - self.p
        } else {
            s
        }
    }

    #[inline]
    fn sub(&self, a: u64, b: u64) -> u64 {
        if a >= b {
            a - b
        } else {
            a + self.p - b
        }
    }

    fn to_mont(&self, a: u64) -> u64 {
        self.mul(a % self.p, self.r2)
    }

    /// Out of Montgomery form.
    fn leave(&self, a: u64) -> u64 {
        self.redc(a as u128)
    }

    fn pow(&self, mut base: u64, mut e: u64) -> u64 {
        let mut acc = self.to_mont(1);
        while e > 0 {
            if e & 1 == 1 {
                acc = self.mul(acc, base);
            }
            base = self.mul(base, base);
            e >>= 1;
        }
        acc
    }

    fn signed(&self, v: i64) -> u64 {
        if v >= 0 {
            self.to_mont(v as u64)
        } else {
            self.sub(0, self.to_mont(v.unsigned_abs()))
        }
    }
}

/// In-place iterative radix-2 transform (Montgomery form); `inverse` uses the
/// inverse root and scales by `1 / len`.
fn transform(m: &Mont, prime: Prime, a: &mut [u64], inverse: bool) {
    let len = a.len();
    if len == 1 {
        return; // the identity (and no bits to reverse)
    }
    let log = len.trailing_zeros();
    for i in 0..len {
        let j = i.reverse_bits() >> (usize::BITS - log);
        if i < j {
            a.swap(i, j);
        }
    }
    let root = m.to_mont(prime.root);
    let mut half = 1;
    while half < len {
        // A primitive (2 * half)-th root of unity.
        let mut w = m.pow(root, (prime.p - 1) / (2 * half) as u64);
        if inverse {
            w = m.pow(w, prime.p - 2);
        }
        let mut ws = Vec::with_capacity(half);
        let mut x = m.to_mont(1);
        for _ in 0..half {
            ws.push(x);
            x = m.mul(x, w);
        }
        for chunk in a.chunks_exact_mut(2 * half) {
            let (lo, hi) = chunk.split_at_mut(half);
            for ((u, v), &wk) in lo.iter_mut().zip(hi.iter_mut()).zip(&ws) {
                let t = m.mul(*v, wk);
                *v = m.sub(*u, t);
                *u = m.add(*u, t);
            }
        }
        half *= 2;
    }
    if inverse {
        let scale = m.pow(m.to_mont(len as u64), prime.p - 2);
        for x in a.iter_mut() {
            *x = m.mul(*x, scale);
        }
    }
}

/// `c_k mod p` for `k in 0..=max_lag`, as residues in `0..p`.
fn correlation_mod(v: &[i64], max_lag: usize, prime: Prime) -> Vec<u64> {
    let n = v.len();
    let len = (2 * n - 1).next_power_of_two();
    assert!(len.trailing_zeros() <= prime.two_adic, "transform length {len} beyond the prime's roots");
    let m = Mont::new(prime.p);
    let mut a = vec![0u64; len];
    let mut b = vec![0u64; len];
    for (i, &x) in v.iter().enumerate() {
        a[i] = m.signed(x);
        b[n - 1 - i] = a[i];
    }
    transform(&m, prime, &mut a, false);
    transform(&m, prime, &mut b, false);
    for (x, y) in a.iter_mut().zip(&b) {
        *x = m.mul(*x, *y);
    }
    transform(&m, prime, &mut a, true);
    // conv[n - 1 - k] = sum_i v_i v_(i+k).
    (0..=max_lag).map(|k| m.leave(a[n - 1 - k])).collect()
}

/// `sum_i v_i v_(i+k)` for `k in 0..=max_lag` (`max_lag < v.len()`), exact.
pub(super) fn autocorrelation(v: &[i64], max_lag: usize) -> Vec<i128> {
    assert!(max_lag < v.len());
    let energy: u128 = v.iter().map(|&x| (x as i128 * x as i128) as u128).sum();
    let r1 = correlation_mod(v, max_lag, P1);
    if energy < (P1.p / 2) as u128 {
        return r1.into_iter().map(|r| centre(r as u128, P1.p as u128)).collect();
    }
    let r2 = correlation_mod(v, max_lag, P2);
    // x = r1 + P1 * ((r2 - r1) * P1^-1 mod P2), in 0..P1*P2.
    let m2 = Mont::new(P2.p);
    let inv_p1 = m2.pow(m2.to_mont(P1.p % P2.p), P2.p - 2); // Montgomery form
    let modulus = P1.p as u128 * P2.p as u128;
    r1.iter()
        .zip(&r2)
        .map(|(&a1, &a2)| {
            let d = m2.sub(m2.to_mont(a2), m2.to_mont(a1 % P2.p));
            let q = m2.leave(m2.mul(d, inv_p1));
            centre(a1 as u128 + P1.p as u128 * q as u128, modulus)
        })
        .collect()
}

/// The residue `r` of a value known to lie in `(-modulus/2, modulus/2)`.
fn centre(r: u128, modulus: u128) -> i128 {
    if r > modulus / 2 {
        r as i128 - modulus as i128
    } else {
        r as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(v: &[i64], max_lag: usize) -> Vec<i128> {
        (0..=max_lag).map(|k| v[k..].iter().zip(v).map(|(&a, &b)| a as i128 * b as i128).sum()).collect()
    }

    #[test]
    fn equals_the_direct_sums() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for n in [1usize, 2, 3, 7, 64, 65, 1000] {
            let v: Vec<i64> = (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 2001) as i64 - 1000
                })
                .collect();
            assert_eq!(autocorrelation(&v, n - 1), direct(&v, n - 1), "n = {n}");
        }
    }

    #[test]
    fn two_primes_when_one_is_too_small() {
        // Energy 4 * 1.5e18 > P1 / 2: the CRT path, negative correlations included.
        let v = [1_500_000_000i64, -1_500_000_000, 1_500_000_000, 1_500_000_000];
        assert!(v.iter().map(|&x| (x as i128).pow(2)).sum::<i128>() > (P1.p / 2) as i128);
        assert_eq!(autocorrelation(&v, 3), direct(&v, 3));
    }
}
