package dev.qlora4j.train.demo.build;

import java.util.Random;

import static dev.qlora4j.train.demo.build.SocraticForms.pick;

/** Japanese question and answer shapes (sentences are joined without spaces, as Japanese is written). */
final class SocraticFormsJa implements SocraticForms {
    @Override
    public String question(SocraticTopic t, int form) {
        return switch (form) {
            case 0 -> t.name() + "とは何ですか？";
            case 1 -> t.name() + "とは本当は何なのか、教えてもらえますか？";
            case 2 -> t.name() + "とは" + t.definition() + "ことだと思います。合っていますか？";
            case 3 -> t.name() + "は人に教えられるものですか？";
            case 4 -> "なぜ" + t.name() + "を大切にしなければならないのですか？";
            case 5 -> "どうすれば" + t.become() + "ことができますか？";
            case 6 -> "先生は、" + t.name() + "とは" + t.definition() + "ことだと言っています。あなたはどう思いますか？";
            case 7 -> t.everyQuestion() != null ? t.everyQuestion() : t.name() + "は、どんな場合でも良いものですか？";
            default -> throw new IllegalArgumentException("form " + form);
        };
    }

    @Override
    public String answer(SocraticTopic t, int form, Random rng) {
        return switch (form) {
            case 0, 1 -> opening(rng) + clarify(t, rng) + pick(rng, "どちらなのかを聞かせてもらえれば、そこから始められます。",
                    "その答え次第で、どこから考え始めるかが決まります。", "それがわかれば、二つに共通するものは何かを問うことができます。");
            case 2, 6 -> (form == 2 ? pick(rng, "そうかもしれません。確かめてみましょう。", "はじめはもっともらしく聞こえますね。でも、もう少し詳しく見てみましょう。")
                    : pick(rng, "先生は正しいかもしれませんが、先生ではなく、その主張そのものを調べてみましょう。", "では、先生の言うことを吟味してみましょう。"))
                    + pick(rng, "仮に" + t.name() + "が" + t.definition() + "ことだとしましょう。",
                    "もし" + t.name() + "が" + t.definition() + "ことなら、次の場合を考えてください。", "")
                    + t.counter()
                    + pick(rng, "もしそう言えないなら、" + t.definition() + "ことだけでは" + t.name() + "のすべてではないのかもしれません。何が足りないのでしょうか。",
                    "ためらうなら、その定義にはまだ手直しが必要です。何を付け加えますか。", "あなたはどう答えますか。");
            case 3 -> pick(rng, "もし" + t.name() + "が教えられるものなら、音楽や建築に先生がいるように、" + t.name() + "の先生もいるはずです。"
                            + t.name() + "の先生とは誰でしょうか。",
                    "立派な親の子が、" + t.name() + "を持っていないことはよくあります。もし教えられるものなら、親は自分の子に教えたのではないでしょうか。")
                    + pick(rng, "そして、もし誰にも教えられないのなら、それはどこから来るのでしょうか。",
                    "けれども、その前に" + t.name() + "とは何かを知る必要があります。あなたは何だと思いますか。");
            case 4 -> pick(rng,
                    "なぜ大切なのかを問う前に、それが何なのかを知るべきではないでしょうか。あなたの言う" + t.name() + "とは何ですか。手がかりになる問いを一つ出しましょう。"
                            + t.probe(),
                    "逆に一つ尋ねさせてください。" + t.probe() + "それに答えられれば、なぜ" + t.name() + "が大切なのかも見えてくるはずです。");
            case 5 -> pick(rng, t.become() + "ことを目指す前に、" + t.name() + "とは何かを知っておくべきではないでしょうか。健康とは何かを知らない医者には、人を健康にすることは難しいでしょう。",
                    "笛の上手な奏者になりたい人は、笛をよく知る人のもとへ行きます。" + t.become() + "ために、あなたは誰のもとへ行きますか。")
                    + "それに、あなたの言うのは" + t.senseA() + "のことですか、それとも" + t.senseB() + "のことですか。";
            case 7 -> pick(rng, "一つの例を見てみましょう。", "次の場合を考えてください。", "こんなことを考えてみてください。") + t.hardCase()
                    + pick(rng, "迷うとすれば、" + t.name() + "は知恵に導かれているときだけ良いものなのかもしれません。あなたはどう思いますか。",
                    "もしそう言えないなら、何が欠けていたのでしょうか。", "あなたの答えは、" + t.name() + "そのものについて何を教えてくれるでしょうか。");
            default -> throw new IllegalArgumentException("form " + form);
        };
    }

    @Override
    public String reply(SocraticTopic t, boolean firstSense, Random rng) {
        return firstSense ? pick(rng, t.senseA() + "のことだと思います。", t.senseA() + "のことです。")
                : pick(rng, "どちらかと言えば、" + t.senseB() + "のことです。", t.senseB() + "のほうです。");
    }

    @Override
    public String followUp(SocraticTopic t, boolean firstSense, Random rng) {
        String sense = firstSense ? t.senseA() : t.senseB();
        return pick(rng, "では、" + sense + "から始めましょう。", "わかりました。まず" + sense + "について考えましょう。") + t.probe()
                + pick(rng, "ゆっくり考えてください。", "聞いたことではなく、あなたが本当に思うことを言ってください。", "");
    }

    private static String opening(Random rng) {
        return pick(rng, "良い問いですね。ただ、私自身も答えを知っているとは言えません。", "よければ、一緒に考えてみましょう。",
                "答える代わりに、少し質問させてください。", "多くの人はそれを知っているつもりでいます。本当にそうか、確かめてみましょう。",
                "なるほど。これはじっくり考える価値のある問いです。");
    }

    private static String clarify(SocraticTopic t, Random rng) {
        return pick(rng, "あなたの言う" + t.name() + "とは、" + t.senseA() + "のことですか、それとも" + t.senseB() + "のことですか。",
                "答える前に教えてください。あなたが尋ねているのは" + t.senseA() + "についてですか、それとも" + t.senseB() + "についてですか。",
                t.name() + "という言葉は、" + t.senseA() + "にも" + t.senseB() + "にも使われます。どちらのことを尋ねていますか。");
    }
}
