package dev.qlora4j.tensor.io;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr(float)} and {@code json.dumps} of a float: the shortest decimal that reads
 * back as the same double, positional when the decimal exponent is in [-5, 16), otherwise
 * {@code d.ddde±XX}; {@code json.dumps} writes NaN and infinities as {@code NaN},
 * {@code Infinity}, {@code -Infinity}. The quant_state JSON of a double-quantized weight carries
 * its offset this way, and bitsandbytes' own file is the reference.
 */
public final class PyFloat {
    private PyFloat() {}

    /** The number as {@code json.dumps} writes it. */
    public static String json(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return repr(d);
    }

    /** {@code repr(d)} for a finite d. */
    public static String repr(double d) {
        if (d == 0) return 1 / d < 0 ? "-0.0" : "0.0";
        BigDecimal shortest = shortest(Math.abs(d));
        String digits = shortest.unscaledValue().toString();
        int exponent = digits.length() - 1 - shortest.scale();   // of the first digit
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (exponent < -4 || exponent >= 16) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) sb.append('0');
            sb.append(abs);
        } else if (exponent < 0) {
            sb.append("0.").append("0".repeat(-exponent - 1)).append(digits);
        } else if (digits.length() <= exponent + 1) {
            sb.append(digits).append("0".repeat(exponent + 1 - digits.length())).append(".0");
        } else {
            sb.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, digits.length());
        }
        return sb.toString();
    }

    /**
     * The fewest significant digits that round-trip: the exact value rounded to 1, 2, ... digits,
     * the first that parses back to d. Rounding the exact value gives the closest decimal of that
     * length, which is the one Python picks among equally short candidates.
     */
    private static BigDecimal shortest(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int p = 1; p < 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) return r.stripTrailingZeros();
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }
}
