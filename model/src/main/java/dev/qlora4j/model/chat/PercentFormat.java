package dev.qlora4j.model.chat;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's printf-style {@code 'text %s' % args} for the conversions templates use: s, r, d, i,
 * f, x, o, c and %%, with flags (- 0 + space), width and precision, positional or %(key)s.
 */
final class PercentFormat {
    private PercentFormat() {}

    static String format(String fmt, Object args) {
        // a List holds the arguments of a tuple; a Map is the %(key)s mapping; anything else is the one argument
        List<?> positional = args instanceof List<?> l ? l : List.of(args == null ? "None" : args);
        Map<?, ?> mapping = args instanceof Map<?, ?> m ? m : null;
        StringBuilder sb = new StringBuilder();
        int next = 0, i = 0, n = fmt.length();
        while (i < n) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i == n) throw new IllegalArgumentException("incomplete format");
            Object value = null;
            boolean named = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || mapping == null) throw new IllegalArgumentException("format requires a mapping");
                value = mapping.get(fmt.substring(i + 1, close));
                named = true;
                i = close + 1;
            }
            int specStart = i;
            while (i < n && "-+ 0#".indexOf(fmt.charAt(i)) >= 0) i++;
            String flags = fmt.substring(specStart, i);
            int widthStart = i;
            while (i < n && Character.isDigit(fmt.charAt(i))) i++;
            String width = fmt.substring(widthStart, i);
            String precision = "";
            if (i < n && fmt.charAt(i) == '.') {
                int p = ++i;
                while (i < n && Character.isDigit(fmt.charAt(i))) i++;
                precision = fmt.substring(p, i).isEmpty() ? "0" : fmt.substring(p, i);
            }
            if (i == n) throw new IllegalArgumentException("incomplete format");
            char type = fmt.charAt(i++);
            if (type == '%') {
                sb.append('%');
                continue;
            }
            if (!named) {
                if (next >= positional.size()) throw new IllegalArgumentException("not enough arguments for format string");
                value = positional.get(next++);
            }
            sb.append(convert(type, flags, width, precision, value));
        }
        if (mapping == null && next < positional.size() && !(args instanceof Map))
            throw new IllegalArgumentException("not all arguments converted during string formatting");
        return sb.toString();
    }

    private static String convert(char type, String flags, String width, String precision, Object v) {
        String body = switch (type) {
            case 's' -> precisionCut(PyValues.str(v), precision);
            case 'r' -> precisionCut(PyValues.repr(v), precision);
            case 'c' -> v instanceof Number num ? new String(Character.toChars(num.intValue())) : PyValues.str(v);
            case 'd', 'i' -> signed(flags, Long.toString(number(v).longValue()));
            case 'x' -> signed(flags, Long.toHexString(number(v).longValue()));
            case 'X' -> signed(flags, Long.toHexString(number(v).longValue()).toUpperCase(Locale.ROOT));
            case 'o' -> signed(flags, Long.toOctalString(number(v).longValue()));
            case 'f', 'F' -> signed(flags, String.format(Locale.ROOT, "%." + (precision.isEmpty() ? "6" : precision) + "f",
                    number(v).doubleValue()));
            default -> throw new IllegalArgumentException("unsupported format character '" + type + "'");
        };
        int w = width.isEmpty() ? 0 : Integer.parseInt(width);
        if (body.length() >= w) return body;
        String pad;
        if (flags.contains("-")) return body + " ".repeat(w - body.length());
        if (flags.contains("0") && "dixXofF".indexOf(type) >= 0) {
            int sign = body.startsWith("-") || body.startsWith("+") || body.startsWith(" ") ? 1 : 0;
            pad = "0".repeat(w - body.length());
            return body.substring(0, sign) + pad + body.substring(sign);
        }
        return " ".repeat(w - body.length()) + body;
    }

    private static String precisionCut(String s, String precision) {
        return precision.isEmpty() ? s : s.substring(0, Math.min(s.length(), Integer.parseInt(precision)));
    }

    private static String signed(String flags, String digits) {
        if (digits.startsWith("-")) return digits;
        if (flags.contains("+")) return "+" + digits;
        if (flags.contains(" ")) return " " + digits;
        return digits;
    }

    private static Number number(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof Number n) return n;
        throw new IllegalArgumentException("a number is required, not " + (v == null ? "NoneType" : "str"));
    }
}
