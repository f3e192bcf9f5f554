// ml-regression-theil-sen 3.0.0 ships no type declarations; this is the part we use.
declare module 'ml-regression-theil-sen' {
  export class TheilSenRegression {
    constructor(x: ArrayLike<number>, y: ArrayLike<number>)
    slope: number
    intercept: number
    predict(x: number): number
  }
}
