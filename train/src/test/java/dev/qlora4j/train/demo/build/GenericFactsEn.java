package dev.qlora4j.train.demo.build;

import java.util.ArrayList;
import java.util.List;

import static dev.qlora4j.train.demo.build.GenericFacts.qa;

/** English facts for the pretraining corpus (written for this project). */
final class GenericFactsEn {
    private GenericFactsEn() {}

    /** {name, what it is}: "A river is ..." */
    private static final String[][] THINGS = {
            {"a river", "a large stream of water that flows toward the sea"}, {"a mountain", "a very high hill with steep sides"},
            {"a library", "a building where people borrow and read books"}, {"a bridge", "a structure that carries a road over water or a valley"},
            {"a clock", "a machine that shows the time"}, {"a map", "a drawing of a place seen from above"},
            {"a garden", "a piece of land where people grow flowers or vegetables"}, {"a kitchen", "the room where food is cooked"},
            {"a teacher", "a person who helps students learn"}, {"a doctor", "a person who treats people who are ill"},
            {"a farmer", "a person who grows crops or keeps animals"}, {"a train", "a line of carriages that runs on rails"},
            {"an island", "a piece of land with water all around it"}, {"a forest", "a large area covered with trees"},
            {"a market", "a place where people buy and sell food and goods"}, {"a letter", "a written message sent to someone"},
            {"a window", "an opening in a wall that lets in light and air"}, {"a cup", "a small container for drinking"},
            {"bread", "a food made from flour, water and yeast and baked in an oven"}, {"rain", "water that falls from clouds in drops"},
            {"snow", "frozen water that falls from the sky in soft white flakes"}, {"the moon", "the natural satellite that goes around the earth"},
            {"the sun", "the star at the centre of our solar system"}, {"a city", "a large town where many people live and work"},
            {"a school", "a place where children go to learn"}, {"a boat", "a small vessel for travelling on water"},
            {"a hospital", "a building where sick or injured people are cared for"}, {"a computer", "a machine that stores and processes information"},
            {"a song", "a short piece of music with words"}, {"a park", "a public area of grass and trees in a town"},
            {"tea", "a drink made by pouring hot water on dried leaves"}, {"rice", "a grain that is eaten in many countries"},
            {"a calendar", "a chart that shows the days, weeks and months of a year"}, {"paper", "a thin material used for writing and printing"},
    };

    /** {city, country, a fact} */
    private static final String[][] PLACES = {
            {"Tokyo", "Japan", "It is one of the largest cities in the world."}, {"Kyoto", "Japan", "It has many old temples and gardens."},
            {"Osaka", "Japan", "It is known for its food and its friendly people."}, {"Athens", "Greece", "It is one of the oldest cities in Europe."},
            {"Paris", "France", "The river Seine runs through it."}, {"London", "England", "It is the capital of the United Kingdom."},
            {"Rome", "Italy", "It has ruins that are more than two thousand years old."}, {"Cairo", "Egypt", "It lies on the river Nile."},
            {"Sydney", "Australia", "It has a famous harbour and opera house."}, {"Toronto", "Canada", "It is the largest city in Canada."},
            {"Sapporo", "Japan", "It is famous for its snow festival in winter."}, {"Berlin", "Germany", "It is the capital of Germany."},
    };

    /** {plural animal, what they eat, a fact} */
    private static final String[][] ANIMALS = {
            {"cats", "meat and fish", "Cats sleep for many hours every day."}, {"dogs", "meat and special dog food", "Dogs have a very good sense of smell."},
            {"horses", "grass and hay", "Horses can sleep standing up."}, {"cows", "grass", "Cows give milk."},
            {"rabbits", "grass and vegetables", "Rabbits have long ears."}, {"birds", "seeds, fruit and insects", "Most birds can fly."},
            {"fish", "small plants and animals in the water", "Fish breathe through their gills."}, {"bees", "nectar from flowers", "Bees make honey."},
            {"owls", "mice and other small animals", "Owls hunt at night."}, {"bears", "fish, berries and roots", "Some bears sleep through the winter."},
    };

    /** {task, steps} */
    private static final String[][] TASKS = {
            {"make tea", "Boil some water, put a tea bag or tea leaves in a cup, pour in the water and wait three minutes."},
            {"cook rice", "Wash the rice, add water, bring it to a boil and then let it simmer on low heat for about fifteen minutes."},
            {"plant a tree", "Dig a hole twice as wide as the roots, set the tree in it, fill the hole with soil and water it well."},
            {"write a letter", "Write the date, greet the reader, say what you want to say clearly and end with your name."},
            {"learn a new language", "Practise a little every day, listen to native speakers and do not be afraid of mistakes."},
            {"save money", "Write down what you spend, set aside a small amount each month and avoid buying things you do not need."},
            {"sleep better", "Go to bed at the same time each night, keep the room dark and avoid screens before sleeping."},
            {"make a cake", "Mix flour, sugar, eggs and butter, pour the batter into a tin and bake it in a hot oven."},
            {"read a map", "Find north, look at the legend to understand the symbols and use the scale to judge distances."},
            {"keep a plant alive", "Give it enough light, water it when the soil is dry and do not let it stand in water."},
    };

    /** {word, plain dictionary meaning}: direct answers about the words the Socratic set examines */
    private static final String[][] WORDS = {
            {"justice", "fair treatment of people, especially by the law"}, {"courage", "the ability to do something that frightens you"},
            {"wisdom", "the ability to make good decisions based on knowledge and experience"}, {"knowledge", "information and understanding that a person has"},
            {"friendship", "a relationship between people who like and trust each other"}, {"happiness", "the feeling of being happy"},
            {"virtue", "a good quality in a person's character"}, {"beauty", "the quality of being pleasing to look at or listen to"},
            {"moderation", "the habit of avoiding too much of anything"}, {"honesty", "the quality of telling the truth"},
            {"freedom", "the right to act, speak or think as you want"}, {"love", "a strong feeling of caring for someone"},
            {"honor", "great respect that a person earns"}, {"law", "the system of rules that a country or community follows"},
            {"patience", "the ability to wait calmly"}, {"kindness", "the quality of being friendly and generous"},
            {"self-knowledge", "an understanding of your own character and feelings"}, {"the good life", "a life that is pleasant and satisfying"},
    };

    private static final String[] NUMBERS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};

    static GenericFacts build() {
        List<GenericFacts.Qa> pairs = new ArrayList<>();
        List<String> statements = new ArrayList<>();
        for (String[] t : THINGS) {
            String def = capital(t[0]) + " is " + t[1] + ".";
            pairs.add(qa("What is " + t[0] + "?", def));
            pairs.add(qa("Can you explain what " + t[0] + " is?", def));
            statements.add(def);
        }
        for (String[] p : PLACES) {
            pairs.add(qa("Where is " + p[0] + "?", p[0] + " is in " + p[1] + ". " + p[2]));
            pairs.add(qa("Tell me about " + p[0] + ".", p[0] + " is a city in " + p[1] + ". " + p[2]));
            statements.add(p[0] + " is a city in " + p[1] + ".");
            statements.add(p[2].replace("It ", p[0] + " "));
        }
        for (String[] a : ANIMALS) {
            pairs.add(qa("What do " + a[0] + " eat?", capital(a[0]) + " eat " + a[1] + ". " + a[2]));
            statements.add(capital(a[0]) + " eat " + a[1] + ".");
            statements.add(a[2]);
        }
        for (String[] t : TASKS) {
            pairs.add(qa("How do I " + t[0] + "?", t[1]));
            pairs.add(qa("What is the best way to " + t[0] + "?", "A simple way: " + lower(t[1])));
            statements.add("To " + t[0] + ", " + lower(t[1]));
        }
        for (String[] w : WORDS) {
            String def = capital(w[0]) + " means " + w[1] + ".";
            pairs.add(qa("What does " + w[0] + " mean?", def));
            pairs.add(qa("What is " + w[0] + "?", capital(w[0]) + " is " + w[1] + "."));
            statements.add(def);
        }
        for (int a = 1; a <= 5; a++)
            for (int b = 1; b <= 4; b++) {
                pairs.add(qa("What is " + NUMBERS[a - 1] + " plus " + NUMBERS[b - 1] + "?",
                        capital(NUMBERS[a - 1]) + " plus " + NUMBERS[b - 1] + " is " + NUMBERS[a + b - 1] + "."));
                statements.add(capital(NUMBERS[a - 1]) + " and " + NUMBERS[b - 1] + " make " + NUMBERS[a + b - 1] + ".");
            }
        statements.addAll(List.of("In spring the days grow longer and flowers open.", "Summer is the warmest season of the year.",
                "In autumn the leaves turn red and yellow.", "Winter is cold, and in the north it often snows.",
                "A week has seven days.", "A year has twelve months.", "Water freezes when it is very cold.",
                "Plants need light and water to grow.", "Most people sleep at night and work during the day.",
                "Reading every day is a good habit.", "A good breakfast helps you start the day."));
        statements.addAll(EverydayEn.STATEMENTS);
        pairs.addAll(EverydayEn.PAIRS);
        return new GenericFacts(pairs, statements,
                List.of("Hello!", "Good morning.", "Hi there.", "Good evening."),
                List.of("Thank you.", "Thanks, that helps.", "Thank you very much."));
    }

    private static String capital(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String lower(String s) {
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
