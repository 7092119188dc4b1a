package dev.qlora4j.model.chat;

import java.util.List;

/** The parsed template: statements (what renders) and expressions (what evaluates), each with its line. */
final class JinjaAst {
    private JinjaAst() {}

    sealed interface Node permits Stmt, Expr {
        int line();
    }

    // ---- statements ----
    sealed interface Stmt extends Node {}

    record Text(String text, int line) implements Stmt {}

    record Output(Expr expr, int line) implements Stmt {}

    record If(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> orElse, int line) implements Stmt {}

    /** {@code for target in iter [if filter] [recursive]}, with its else body. */
    record For(Expr target, Expr iter, Expr filter, boolean recursive, List<Stmt> body, List<Stmt> orElse, int line) implements Stmt {}

    /** {@code set target = value}; target a name, a tuple of names, or {@code ns.attr}. */
    record Set(Expr target, Expr value, int line) implements Stmt {}

    /** {@code set name [| filters] %}body{% endset}}. */
    record SetBlock(Expr target, List<Stmt> body, List<Filter> filters, int line) implements Stmt {}

    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, int line) implements Stmt {}

    /** {@code call[(params)] macro(args)}: the body is the macro's {@code caller}. */
    record CallBlock(Call call, List<String> params, List<Expr> defaults, List<Stmt> body, int line) implements Stmt {}

    record FilterBlock(List<Filter> filters, List<Stmt> body, int line) implements Stmt {}

    record With(List<Expr> targets, List<Expr> values, List<Stmt> body, int line) implements Stmt {}

    /** transformers' {@code {% generation %}}: its body is assistant text. */
    record Generation(List<Stmt> body, int line) implements Stmt {}

    record Break(int line) implements Stmt {}

    record Continue(int line) implements Stmt {}

    // ---- expressions ----
    sealed interface Expr extends Node {}

    record Const(Object value, int line) implements Expr {}

    record Name(String name, int line) implements Expr {}

    record ListExpr(List<Expr> items, int line) implements Expr {}

    record TupleExpr(List<Expr> items, int line) implements Expr {}

    record DictExpr(List<Expr> keys, List<Expr> values, int line) implements Expr {}

    record GetAttr(Expr target, String name, int line) implements Expr {}

    record GetItem(Expr target, Expr key, int line) implements Expr {}

    record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr {}

    /** A call; {@code args} may hold {@link Starred} for *args and **kwargs. */
    record Call(Expr target, List<Expr> args, List<String> kwNames, List<Expr> kwValues, Expr starArgs, Expr starKwargs,
                int line) implements Expr {}

    record Filter(String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) {}

    record Filtered(Expr value, Filter filter, int line) implements Expr {}

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line) implements Expr {}

    record Unary(String op, Expr operand, int line) implements Expr {}

    record Binary(String op, Expr left, Expr right, int line) implements Expr {}

    /** {@code a < b < c}: each operator with its right operand. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {}

    record And(Expr left, Expr right, int line) implements Expr {}

    record Or(Expr left, Expr right, int line) implements Expr {}

    record Not(Expr operand, int line) implements Expr {}

    record CondExpr(Expr test, Expr then, Expr orElse, int line) implements Expr {}

    record Concat(List<Expr> parts, int line) implements Expr {}
}
