package dev.qlora4j.model.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} in the C locale (the one transformers' strftime_now runs
 * under), for the directives chat templates use (Llama 3.2: "%d %b %Y").
 */
final class Strftime {
    private Strftime() {}

    static String format(String pattern, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 == pattern.length()) {
                sb.append(c);
                continue;
            }
            char d = pattern.charAt(++i);
            switch (d) {
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'w' -> sb.append(t.getDayOfWeek().getValue() % 7);
                case 'd' -> two(sb, t.getDayOfMonth());
                case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'm' -> two(sb, t.getMonthValue());
                case 'y' -> two(sb, t.getYear() % 100);
                case 'Y' -> sb.append(t.getYear());
                case 'H' -> two(sb, t.getHour());
                case 'I' -> two(sb, t.getHour() % 12 == 0 ? 12 : t.getHour() % 12);
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'M' -> two(sb, t.getMinute());
                case 'S' -> two(sb, t.getSecond());
                case 'f' -> sb.append(String.format("%06d", t.getNano() / 1000));
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'z' -> sb.append(t.getOffset().getId().equals("Z") ? "+0000" : t.getOffset().getId().replace(":", ""));
                case 'Z' -> sb.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'G' -> sb.append(t.get(IsoFields.WEEK_BASED_YEAR));
                case 'V' -> two(sb, t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
                case 'u' -> sb.append(t.get(ChronoField.DAY_OF_WEEK));
                case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    private static void two(StringBuilder sb, int v) {
        if (v < 10) sb.append('0');
        sb.append(v);
    }
}
