package dev.qlora4j.model.chat;

import dev.qlora4j.model.chat.JinjaAst.*;
import dev.qlora4j.model.chat.JinjaLexer.Kind;
import dev.qlora4j.model.chat.JinjaLexer.Token;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * jinja2's grammar, the subset chat templates use: if / for (else, filter, recursive) / set
 * (also block set and namespace attributes) / macro / call / filter / with / break / continue /
 * raw, and transformers' generation block. Expressions follow jinja2's precedence: conditional,
 * or, and, not, comparisons and {@code in}, {@code + -}, {@code ~}, {@code * / // %}, {@code **},
 * unary minus, then postfix (attribute, subscript, slice, call) with filters and {@code is} tests.
 * Template inheritance, include and import have no place in a chat template and are refused.
 */
final class JinjaParser {
    private static final Set<String> UNSUPPORTED = Set.of("extends", "block", "include", "import", "from", "autoescape", "do",
            "trans", "pluralize");

    private final List<Token> tokens;
    private int i;

    private JinjaParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String source, String origin) {
        JinjaParser p = new JinjaParser(JinjaLexer.tokenize(source, origin));
        List<Stmt> body = p.subparse(Set.of());
        if (p.peek().kind() != Kind.EOF) throw p.error("unexpected '" + p.peekTagName() + "'", p.peek().line());
        return body;
    }

    private JinjaException error(String message, int line) {
        return new JinjaException("chat template syntax error: " + message, line);
    }

    private Token peek() {
        return tokens.get(i);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(i + ahead, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(i++);
    }

    private boolean atOp(String op) {
        return peek().is(Kind.OP, op);
    }

    private boolean atName(String name) {
        return peek().is(Kind.NAME, name);
    }

    private boolean skipOp(String op) {
        if (!atOp(op)) return false;
        i++;
        return true;
    }

    private boolean skipName(String name) {
        if (!atName(name)) return false;
        i++;
        return true;
    }

    private Token expectOp(String op) {
        if (!atOp(op)) throw error("expected '" + op + "', got " + peek().describe(), peek().line());
        return next();
    }

    private String expectName() {
        if (peek().kind() != Kind.NAME) throw error("expected a name, got " + peek().describe(), peek().line());
        return next().value();
    }

    private void expect(Kind kind) {
        if (peek().kind() != kind) {
            String want = kind == Kind.BLOCK_END ? "'%}'" : kind == Kind.VAR_END ? "'}}'" : kind.toString();
            throw error("expected " + want + ", got " + peek().describe(), peek().line());
        }
        i++;
    }

    /** The name of the tag at {@code {%}, for messages. */
    private String peekTagName() {
        Token t = peek(1);
        return t.kind() == Kind.NAME ? t.value() : t.value();
    }

    /** Statements until a block tag whose name is in {@code ends} (left unconsumed, at its '{%'), or the end. */
    private List<Stmt> subparse(Set<String> ends) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty())
                        throw error("unexpected end of template, expected " + String.join(" or ", ends.stream().sorted().map(e -> "'" + e + "'").toList()),
                                t.line());
                    return body;
                }
                case TEXT -> {
                    body.add(new Text(t.value(), t.line()));
                    i++;
                }
                case VAR_BEGIN -> {
                    i++;
                    Expr e = expression(true);
                    expect(Kind.VAR_END);
                    body.add(new Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.kind() != Kind.NAME) throw error("expected a tag name, got " + name.describe(), name.line());
                    if (ends.contains(name.value())) return body;
                    i += 2;
                    body.add(statement(name));
                }
                default -> throw error("unexpected " + t.describe(), t.line());
            }
        }
    }

    private Stmt statement(Token tag) {
        int line = tag.line();
        String name = tag.value();
        return switch (name) {
            case "if" -> parseIf(line);
            case "for" -> parseFor(line);
            case "set" -> parseSet(line);
            case "macro" -> parseMacro(line);
            case "call" -> parseCall(line);
            case "filter" -> {
                List<Filter> filters = filterChain(true);
                expect(Kind.BLOCK_END);
                List<Stmt> body = subparse(Set.of("endfilter"));
                end("endfilter");
                yield new FilterBlock(filters, body, line);
            }
            case "with" -> {
                List<Expr> targets = new ArrayList<>(), values = new ArrayList<>();
                while (peek().kind() != Kind.BLOCK_END) {
                    if (!targets.isEmpty()) expectOp(",");
                    targets.add(new Name(expectName(), line));
                    expectOp("=");
                    values.add(expression(true));
                }
                expect(Kind.BLOCK_END);
                List<Stmt> body = subparse(Set.of("endwith"));
                end("endwith");
                yield new With(targets, values, body, line);
            }
            case "generation" -> {
                expect(Kind.BLOCK_END);
                List<Stmt> body = subparse(Set.of("endgeneration"));
                end("endgeneration");
                yield new Generation(body, line);
            }
            case "break" -> {
                expect(Kind.BLOCK_END);
                yield new Break(line);
            }
            case "continue" -> {
                expect(Kind.BLOCK_END);
                yield new Continue(line);
            }
            default -> throw UNSUPPORTED.contains(name)
                    ? error("'" + name + "' is not supported in chat templates", line)
                    : error("unknown tag '" + name + "'", line);
        };
    }

    /** Consumes {@code {% name %}}. */
    private void end(String name) {
        expect(Kind.BLOCK_BEGIN);
        if (!skipName(name)) throw error("expected '" + name + "'", peek().line());
        expect(Kind.BLOCK_END);
    }

    private Stmt parseIf(int line) {
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> orElse = List.of();
        tests.add(expression(true));
        expect(Kind.BLOCK_END);
        while (true) {
            bodies.add(subparse(Set.of("elif", "else", "endif")));
            i++;   // {%
            String tag = next().value();
            if (tag.equals("elif")) {
                tests.add(expression(true));
                expect(Kind.BLOCK_END);
            } else if (tag.equals("else")) {
                expect(Kind.BLOCK_END);
                orElse = subparse(Set.of("endif"));
                end("endif");
                break;
            } else {
                expect(Kind.BLOCK_END);
                break;
            }
        }
        return new If(tests, bodies, orElse, line);
    }

    private Stmt parseFor(int line) {
        Expr target = assignTarget(false);
        if (!skipName("in")) throw error("expected 'in', got " + peek().describe(), peek().line());
        Expr iter = tuple(false, false);
        Expr filter = null;
        if (skipName("if")) filter = expression(true);
        boolean recursive = skipName("recursive");
        expect(Kind.BLOCK_END);
        List<Stmt> body = subparse(Set.of("endfor", "else"));
        List<Stmt> orElse = List.of();
        i++;
        if (next().value().equals("else")) {
            expect(Kind.BLOCK_END);
            orElse = subparse(Set.of("endfor"));
            end("endfor");
        } else {
            expect(Kind.BLOCK_END);
        }
        return new For(target, iter, filter, recursive, body, orElse, line);
    }

    private Stmt parseSet(int line) {
        Expr target = assignTarget(true);
        if (skipOp("=")) {
            Expr value = tuple(false, true);
            expect(Kind.BLOCK_END);
            return new JinjaAst.Set(target, value, line);
        }
        List<Filter> filters = filterChain(false);
        expect(Kind.BLOCK_END);
        List<Stmt> body = subparse(Set.of("endset"));
        end("endset");
        return new SetBlock(target, body, filters, line);
    }

    /** A name, {@code a, b}, or (for set) {@code ns.attr}. */
    private Expr assignTarget(boolean allowAttr) {
        int line = peek().line();
        List<Expr> names = new ArrayList<>();
        boolean paren = skipOp("(");
        do {
            if (atOp(")") && paren) break;
            String n = expectName();
            if (allowAttr && atOp(".")) {
                i++;
                names.add(new GetAttr(new Name(n, line), expectName(), line));
            } else names.add(new Name(n, line));
        } while (skipOp(","));
        if (paren) expectOp(")");
        return names.size() == 1 && !paren ? names.getFirst() : new TupleExpr(names, line);
    }

    private Stmt parseMacro(int line) {
        String name = expectName();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        signature(params, defaults);
        expect(Kind.BLOCK_END);
        List<Stmt> body = subparse(Set.of("endmacro"));
        expect(Kind.BLOCK_BEGIN);
        next();
        if (peek().kind() == Kind.NAME) next();   // {% endmacro name %}
        expect(Kind.BLOCK_END);
        return new Macro(name, params, defaults, body, line);
    }

    private void signature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!atOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (atOp(")")) break;
            params.add(expectName());
            if (skipOp("=")) defaults.add(expression(true));
            else if (!defaults.isEmpty()) throw error("non-default argument follows default argument", peek().line());
        }
        expectOp(")");
    }

    private Stmt parseCall(int line) {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (atOp("(")) signature(params, defaults);
        Expr call = expression(true);
        if (!(call instanceof Call c)) throw error("expected a call", line);
        expect(Kind.BLOCK_END);
        List<Stmt> body = subparse(Set.of("endcall"));
        end("endcall");
        return new CallBlock(c, params, defaults, body, line);
    }

    private List<Filter> filterChain(boolean first) {
        List<Filter> out = new ArrayList<>();
        if (first) out.add(filter());
        while (skipOp("|")) out.add(filter());
        return out;
    }

    // ---- expressions ----

    /** A tuple without parentheses where allowed ({@code set x = a, b}, {@code for x in a, b}), else one expression. */
    private Expr tuple(boolean simplified, boolean allowCond) {
        int line = peek().line();
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!skipOp(",")) break;
                comma = true;
                if (peek().kind() == Kind.BLOCK_END || peek().kind() == Kind.VAR_END || atOp(")") || atName("if")) break;
            }
            items.add(simplified ? primary() : expression(allowCond));
        }
        return items.size() == 1 && !comma ? items.getFirst() : new TupleExpr(items, line);
    }

    private Expr expression(boolean withCondExpr) {
        return withCondExpr ? condExpr() : or();
    }

    private Expr condExpr() {
        Expr e = or();
        while (atName("if")) {
            int line = next().line();
            Expr test = or();
            Expr orElse = skipName("else") ? condExpr() : null;
            e = new CondExpr(test, e, orElse, line);
        }
        return e;
    }

    private Expr or() {
        Expr e = and();
        while (atName("or")) {
            int line = next().line();
            e = new Or(e, and(), line);
        }
        return e;
    }

    private Expr and() {
        Expr e = not();
        while (atName("and")) {
            int line = next().line();
            e = new And(e, not(), line);
        }
        return e;
    }

    private Expr not() {
        if (atName("not")) {
            int line = next().line();
            return new Not(not(), line);
        }
        return compare();
    }

    private static final Set<String> COMPARE = Set.of("==", "!=", "<", "<=", ">", ">=");

    private Expr compare() {
        int line = peek().line();
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARE.contains(t.value())) {
                i++;
                ops.add(t.value());
            } else if (atName("in")) {
                i++;
                ops.add("in");
            } else if (atName("not") && peek(1).is(Kind.NAME, "in")) {
                i += 2;
                ops.add("notin");
            } else break;
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest, line);
    }

    private Expr math1() {
        Expr e = concat();
        while (atOp("+") || atOp("-")) {
            Token op = next();
            e = new Binary(op.value(), e, concat(), op.line());
        }
        return e;
    }

    private Expr concat() {
        int line = peek().line();
        List<Expr> parts = new ArrayList<>();
        parts.add(math2());
        while (skipOp("~")) parts.add(math2());
        return parts.size() == 1 ? parts.getFirst() : new Concat(parts, line);
    }

    private Expr math2() {
        Expr e = pow();
        while (atOp("*") || atOp("/") || atOp("//") || atOp("%")) {
            Token op = next();
            e = new Binary(op.value(), e, pow(), op.line());
        }
        return e;
    }

    private Expr pow() {
        Expr e = unary(true);
        while (atOp("**")) {
            Token op = next();
            e = new Binary("**", e, unary(true), op.line());
        }
        return e;
    }

    private Expr unary(boolean withFilter) {
        Token t = peek();
        Expr e;
        if (atOp("-") || atOp("+")) {
            i++;
            e = new Unary(t.value(), unary(false), t.line());
        } else {
            e = postfix(primary());
        }
        return withFilter ? filterExpr(e) : e;
    }

    private Expr primary() {
        Token t = next();
        int line = t.line();
        return switch (t.kind()) {
            case NAME -> switch (t.value()) {
                case "true", "True" -> new Const(Boolean.TRUE, line);
                case "false", "False" -> new Const(Boolean.FALSE, line);
                case "none", "None" -> new Const(PyNone.NONE, line);
                default -> new Name(t.value(), line);
            };
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.value());
                while (peek().kind() == Kind.STRING) sb.append(next().value());
                yield new Const(sb.toString(), line);
            }
            case INT -> new Const(Long.parseLong(t.value()), line);
            case FLOAT -> new Const(Double.parseDouble(t.value()), line);
            case OP -> switch (t.value()) {
                case "(" -> {
                    if (skipOp(")")) yield new TupleExpr(List.of(), line);
                    Expr inner = tuple(false, true);
                    expectOp(")");
                    yield inner;
                }
                case "[" -> {
                    List<Expr> items = new ArrayList<>();
                    while (!atOp("]")) {
                        if (!items.isEmpty()) expectOp(",");
                        if (atOp("]")) break;
                        items.add(expression(true));
                    }
                    expectOp("]");
                    yield new ListExpr(items, line);
                }
                case "{" -> {
                    List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                    while (!atOp("}")) {
                        if (!keys.isEmpty()) expectOp(",");
                        if (atOp("}")) break;
                        keys.add(expression(true));
                        expectOp(":");
                        values.add(expression(true));
                    }
                    expectOp("}");
                    yield new DictExpr(keys, values, line);
                }
                default -> throw error("unexpected '" + t.value() + "'", line);
            };
            default -> throw error("unexpected " + t.describe(), line);
        };
    }

    private Expr postfix(Expr e) {
        while (true) {
            if (atOp(".")) {
                int line = next().line();
                Token t = next();
                if (t.kind() == Kind.NAME) e = new GetAttr(e, t.value(), line);
                else if (t.kind() == Kind.INT) e = new GetItem(e, new Const(Long.parseLong(t.value()), line), line);
                else throw error("expected a name after '.', got " + t.describe(), line);
            } else if (atOp("[")) {
                e = subscript(e);
            } else if (atOp("(")) {
                e = call(e);
            } else return e;
        }
    }

    private Expr subscript(Expr target) {
        int line = expectOp("[").line();
        Expr start = null, stop = null, step = null;
        boolean slice = false;
        if (!atOp(":")) start = expression(true);
        if (skipOp(":")) {
            slice = true;
            if (!atOp("]") && !atOp(":")) stop = expression(true);
            if (skipOp(":") && !atOp("]")) step = expression(true);
        }
        expectOp("]");
        return slice ? new Slice(target, start, stop, step, line) : new GetItem(target, start, line);
    }

    private Call call(Expr target) {
        int line = expectOp("(").line();
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        Expr star = null, starStar = null;
        boolean first = true;
        while (!atOp(")")) {
            if (!first) expectOp(",");
            first = false;
            if (atOp(")")) break;
            if (skipOp("**")) starStar = expression(true);
            else if (skipOp("*")) star = expression(true);
            else if (peek().kind() == Kind.NAME && peek(1).is(Kind.OP, "=")) {
                kwNames.add(next().value());
                i++;
                kwValues.add(expression(true));
            } else {
                if (!kwNames.isEmpty()) throw error("positional argument follows keyword argument", peek().line());
                args.add(expression(true));
            }
        }
        expectOp(")");
        return new Call(target, args, kwNames, kwValues, star, starStar, line);
    }

    private Filter filter() {
        int line = peek().line();
        StringBuilder name = new StringBuilder(expectName());
        while (atOp(".")) {
            i++;
            name.append('.').append(expectName());
        }
        if (!JinjaBuiltins.hasFilter(name.toString())) throw error("no filter named '" + name + "'", line);
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        if (atOp("(")) {
            Call c = call(new Const(null, line));
            args = c.args();
            kwNames = c.kwNames();
            kwValues = c.kwValues();
        }
        return new Filter(name.toString(), args, kwNames, kwValues, line);
    }

    private Expr filterExpr(Expr e) {
        while (true) {
            if (atOp("|")) {
                i++;
                Filter f = filter();
                e = new Filtered(e, f, f.line());
            } else if (atName("is")) {
                int line = next().line();
                boolean negated = skipName("not");
                String name = expectName();
                if (!JinjaBuiltins.hasTest(name)) throw error("no test named '" + name + "'", line);
                List<Expr> args = new ArrayList<>();
                if (atOp("(")) args = call(new Const(null, line)).args();
                else if (startsTestArgument()) args = List.of(postfix(primary()));
                e = new Test(e, name, args, negated, line);
            } else if (atOp("(")) {
                e = call(e);
            } else return e;
        }
    }

    /** jinja2: a test takes one argument without parentheses when a primary follows ({@code is divisibleby 3}). */
    private boolean startsTestArgument() {
        Token t = peek();
        return switch (t.kind()) {
            case NAME -> !Set.of("else", "or", "and", "if", "in", "is", "not").contains(t.value());
            case STRING, INT, FLOAT -> true;
            case OP -> t.value().equals("[") || t.value().equals("{");
            default -> false;
        };
    }
}
