package dev.qlora4j.train.demo.build;

import java.util.Random;

import static dev.qlora4j.train.demo.build.SocraticForms.join;
import static dev.qlora4j.train.demo.build.SocraticForms.pick;

/** English question and answer shapes. */
final class SocraticFormsEn implements SocraticForms {
    @Override
    public String question(SocraticTopic t, int form) {
        return switch (form) {
            case 0 -> "What is " + t.name() + "?";
            case 1 -> "Can you tell me what " + t.name() + " really is?";
            case 2 -> "I think " + t.name() + " is " + t.definition() + ". Am I right?";
            case 3 -> "Is " + t.name() + " something that can be taught?";
            case 4 -> "Why should anyone care about " + t.name() + "?";
            case 5 -> "How can I " + t.become() + "?";
            case 6 -> "My teacher says that " + t.name() + " is " + t.definition() + ". What do you think?";
            case 7 -> t.everyQuestion() != null ? t.everyQuestion() : "Is " + t.name() + " good in every situation?";
            default -> throw new IllegalArgumentException("form " + form);
        };
    }

    @Override
    public String answer(SocraticTopic t, int form, Random rng) {
        return switch (form) {
            case 0, 1 -> join(opening(rng), clarify(t, rng), pick(rng, "Tell me which you mean, and we can start from there.",
                    "Your answer will decide where we begin.", "Once we know that, we can ask what the two have in common."));
            case 2, 6 -> join(form == 2 ? pick(rng, "Perhaps. Let us test it.", "It sounds right at first. But let us look closer.")
                            : pick(rng, "Your teacher may be right, but let us examine the claim rather than the teacher.",
                            "Then let us examine what your teacher says."),
                    pick(rng, "Suppose " + t.name() + " is " + t.definition() + ".", "If " + t.name() + " is " + t.definition()
                            + ", then consider this.", ""),
                    t.counter(),
                    pick(rng, "If not, then perhaps " + t.definition() + " is not the whole of " + t.name() + ". What is missing?",
                            "If you hesitate, the definition needs more work. What would you add to it?", "What would you say?"));
            case 3 -> join(pick(rng, "If " + t.name() + " could be taught, there would be teachers of it, as there are teachers of music "
                            + "and of building. Who are the teachers of " + t.name() + "?",
                    "Good parents often have children who lack " + t.name() + ". If it could be taught, would they not have taught "
                            + "it to their own children?"),
                    pick(rng, "And if no one can teach it, where does it come from?",
                            "But first we would need to know what " + t.name() + " is. What do you think it is?"));
            case 4 -> pick(rng,
                    join("Before we ask why it matters, shouldn't we know what it is? What do you mean by " + t.name() + "?",
                            "Here is a question that may help.", t.probe()),
                    join("Let me answer with a question of my own.", t.probe(),
                            "If you can answer that, you may see for yourself why " + t.name() + " matters."));
            case 5 -> join(pick(rng, "Before you try to " + you(t.become()) + ", should we not know what " + t.name() + " is? A doctor who "
                            + "did not know what health is could hardly make anyone healthy.",
                    "Someone who wants to play the flute well goes to a person who knows the flute. To whom would you go in order to "
                            + you(t.become()) + "?"),
                    "And do you mean " + t.senseA() + ", or " + t.senseB() + "?");
            case 7 -> join(pick(rng, "Let us look at a case.", "Consider this.", "Here is something to think about."), t.hardCase(),
                    pick(rng, "If you are unsure, perhaps " + t.name() + " is good only when wisdom guides it. What do you think?",
                            "If not, what was missing?", "What does your answer tell us about " + t.name() + " itself?"));
            default -> throw new IllegalArgumentException("form " + form);
        };
    }

    @Override
    public String reply(SocraticTopic t, boolean firstSense, Random rng) {
        return firstSense ? pick(rng, "I suppose I mean " + t.senseA() + ".", "I mean " + t.senseA() + ".")
                : pick(rng, "I think I mean " + t.senseB() + ".", "Mostly " + t.senseB() + ".");
    }

    @Override
    public String followUp(SocraticTopic t, boolean firstSense, Random rng) {
        String sense = firstSense ? t.senseA() : t.senseB();
        return join(pick(rng, "Then let us start with " + sense + ".", "Good, let us think about " + sense + " first."), t.probe(),
                pick(rng, "Take your time.", "Say what you really think, not what you have heard.", ""));
    }

    /** The asker's "myself" seen from the teacher's side. */
    private static String you(String phrase) {
        return phrase.replace("myself", "yourself");
    }

    private static String opening(Random rng) {
        return pick(rng, "That is a fine question, and I am not sure that I know the answer myself.",
                "Let us look into it together, if you are willing.", "I would rather ask than answer, if you will allow me.",
                "Many people are sure they know this. Let us see whether we do.", "Good. Questions like this are worth our time.");
    }

    private static String clarify(SocraticTopic t, Random rng) {
        return pick(rng, "When you say " + t.name() + ", do you mean " + t.senseA() + ", or " + t.senseB() + "?",
                "Before I say anything, tell me: are you asking about " + t.senseA() + ", or about " + t.senseB() + "?",
                "People use the word " + t.name() + " for " + t.senseA() + " and also for " + t.senseB() + ". Which one are you asking about?");
    }
}
