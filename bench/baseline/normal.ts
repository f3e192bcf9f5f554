// The standard normal distribution, accurate to about 1e-15: enough for the
// Mann-Kendall p value (SPEC: 1e-12 absolute) and its critical value.
//
// erfc: for x < 3 through erf's series with positive terms
//   erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_k (2x^2)^k * x / (1*3*...*(2k+1)),
// which has no cancellation; for x >= 3 through erfc's continued fraction
//   erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
// The inverse uses Acklam's rational approximation (relative error 1.15e-9)
// polished by one Halley step on the accurate CDF.

const SQRT_PI = Math.sqrt(Math.PI)

function erfSeries(x: number): number {
  const x2 = x * x
  let term = x
  let sum = x
  for (let k = 1; k < 200; k++) {
    term *= (2 * x2) / (2 * k + 1)
    sum += term
    if (term < sum * 1e-17) break
  }
  return ((2 / SQRT_PI) * Math.exp(-x2)) * sum
}

function erfcContinuedFraction(x: number): number {
  let f = x
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f
  return Math.exp(-x * x) / (SQRT_PI * f)
}

/** The complementary error function. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN
  if (x < 0) return 2 - erfc(-x)
  return x < 3 ? 1 - erfSeries(x) : erfcContinuedFraction(x)
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2)
}

/** Two-sided p value `2 * (1 - cdf(|z|))`, computed as erfc(|z| / sqrt 2). */
export function twoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2)
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]

/** Inverse of the standard normal CDF, for p in (0, 1). */
export function normalPpf(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN
  const low = 0.02425
  let x: number
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p))
    const v = (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1)
    x = p < low ? v : -v
  } else {
    const q = p - 0.5
    const r = q * q
    x = ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1)
  }
  // One Halley step: e = cdf(x) - p, u = e / pdf(x).
  const e = normalCdf(x) - p
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2)
  return x - u / (1 + (x * u) / 2)
}
