import { describe, expect, test } from "vitest"
import { ferroDecimalKey } from "../src/functions.js"

/** Exact comparison of two decimal strings via scaled bigints. */
const compareExact = (a: string, b: string): number => {
  const scale = (s: string) => (s.split(".")[1] ?? "").length
  const digits = Math.max(scale(a), scale(b))
  const toBig = (s: string) => {
    const [w, f = ""] = s.split(".")
    return BigInt(`${w}${f.padEnd(digits, "0")}`.replace(/^(-?)$/, "$10"))
  }
  const x = toBig(a)
  const y = toBig(b)
  return x < y ? -1 : x > y ? 1 : 0
}

const randomDecimal = (random: () => number): string => {
  const sign = random() < 0.4 ? "-" : ""
  const whole = random() < 0.2 ? "0" : String(Math.floor(random() * 10 ** Math.floor(random() * 12)))
  const fraction = random() < 0.3 ? "" : `.${String(Math.floor(random() * 1e9)).padStart(Math.floor(random() * 9) + 1, "0")}`
  return `${sign}${whole}${fraction}`
}

describe("ferro_decimal_key", () => {
  test("orders decimals exactly, beyond double precision", () => {
    const cases = [
      ["9.5", "10"],
      ["0.1", "0.1000000000000000001"],
      ["12345678901234567890.1", "12345678901234567890.2"],
      ["-10", "-9.5"],
      ["-0.0001", "0"],
      ["0", "0.0001"],
      ["-1.23", "-1.2"],
    ] as const
    for (const [low, high] of cases) {
      expect((ferroDecimalKey(low) as string) < (ferroDecimalKey(high) as string), `${low} < ${high}`).toBe(true)
    }
    expect(ferroDecimalKey("1.50")).toBe(ferroDecimalKey("1.5"))
    expect(ferroDecimalKey("-0.00")).toBe(ferroDecimalKey("0"))
  })

  test("agrees with exact bigint comparison on random decimals", () => {
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 5000; i++) {
      const a = randomDecimal(random)
      const b = randomDecimal(random)
      const ka = ferroDecimalKey(a) as string
      const kb = ferroDecimalKey(b) as string
      expect(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0), `${a} vs ${b}`).toBe(compareExact(a, b))
    }
  })
})
